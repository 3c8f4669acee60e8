import { docker, inspectImageOrUndefined } from '../shared/node/docker';
import { withLock } from './lock';
import { buildImagesFromDebian, RECIPE_LABEL, recipeHash } from './image-build';

/** Local tags the sandbox containers run from: built once, then reused. */
export const sandboxImages = {
  postgres: 'opareta-sandbox-postgres:15',
  app: 'opareta-sandbox-app:1',
} as const;

/** Official images tried first where a registry answers (a user's laptop); they honour the same contract. */
const officialImages = { postgres: 'postgres:15', app: 'node:20-bookworm-slim' } as const;

const PULL_TIMEOUT_MS = Number(process.env.OPARETA_PULL_TIMEOUT_MS ?? 15_000);

export interface EnsureImagesOptions {
  /** Skip the registry and build from Debian packages straight away. */
  noPull?: boolean;
  log?: (line: string) => void;
}

/** Makes sure both sandbox images exist: reuse, else pull and retag, else build from Debian packages. */
export async function ensureSandboxImages(options: EnsureImagesOptions = {}): Promise<typeof sandboxImages> {
  if ((await missingImages()).length === 0) return sandboxImages;
  // One process builds; another one waiting here finds the images made when it gets the lock.
  return withLock('images', () => pullOrBuild(options));
}

async function pullOrBuild(options: EnsureImagesOptions): Promise<typeof sandboxImages> {
  const log = options.log ?? ((line: string) => console.log(line));
  const missing = await missingImages();
  if (missing.length === 0) return sandboxImages;
  if (!options.noPull && process.env.OPARETA_NO_PULL !== '1') {
    for (const kind of missing) {
      if (await pullAndTag(officialImages[kind], sandboxImages[kind])) log(`sandbox: pulled ${officialImages[kind]}`);
    }
    if ((await missingImages()).length === 0) return sandboxImages;
    log('sandbox: no registry answered; building the images from Debian packages (about a minute, once)');
  }
  await buildImagesFromDebian(sandboxImages, log);
  const stillMissing = await missingImages();
  if (stillMissing.length > 0) {
    throw new Error(
      `sandbox images still missing after the build: ${stillMissing.map((k) => sandboxImages[k]).join(', ')}`,
    );
  }
  return sandboxImages;
}

/** Images absent, or built here from an older recipe (pulled official images carry no recipe label). */
async function missingImages(): Promise<(keyof typeof sandboxImages)[]> {
  const kinds = Object.keys(sandboxImages) as (keyof typeof sandboxImages)[];
  const usable = await Promise.all(kinds.map((kind) => isCurrent(sandboxImages[kind])));
  return kinds.filter((_, i) => !usable[i]);
}

async function isCurrent(tag: string): Promise<boolean> {
  const info = await inspectImageOrUndefined(tag);
  if (!info) return false;
  const recipe = info.Config?.Labels?.[RECIPE_LABEL];
  return recipe === undefined || recipe === recipeHash();
}

async function pullAndTag(source: string, target: string): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PULL_TIMEOUT_MS);
  try {
    const stream = await docker().pull(source, { abortSignal: abort.signal });
    await new Promise<void>((resolve, reject) => {
      docker().modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
    const [repo, tag] = target.split(':');
    await docker().getImage(source).tag({ repo, tag });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
