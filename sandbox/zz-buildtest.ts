import { buildImagesFromDebian } from './image-build';
buildImagesFromDebian({ postgres: 'opareta-sandbox-buildtest:1', app: 'opareta-sandbox-buildtest-app:1' }, console.log).then(
  () => console.log('BUILD OK'),
  (e) => console.log('BUILD FAILED', e),
);
