import { ensureSandboxImages } from './images';

async function main(): Promise<void> {
  const [command] = process.argv.slice(2);
  if (command === 'images') {
    const tags = await ensureSandboxImages();
    console.log(`sandbox images ready: ${tags.postgres}, ${tags.app}`);
    return;
  }
  throw new Error(`unknown command ${command}`);
}

main().catch((err: Error) => {
  console.error(`sandbox: ${err.message}`);
  process.exit(1);
});
