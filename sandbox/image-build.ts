import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot, settings } from '../shared/node/settings';

/** Debian bookworm ships PostgreSQL 15 (with contrib/amcheck); its pg_dump writes \restrict lines. */
const SUITE = 'bookworm';
const PACKAGES = ['postgresql-15', 'nodejs', 'ca-certificates'];

const buildDir = () => path.join(settings.dataDir, 'sandbox', 'image-build');
const entrypointSource = path.join(projectRoot, 'sandbox', 'image', 'docker-entrypoint.sh');

/** The image's settings, as `docker import --change` instructions (what the official postgres image sets). */
const IMAGE_CHANGES = [
  'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'ENV PGDATA=/var/lib/postgresql/data',
  'ENV LANG=C.UTF-8',
  'ENTRYPOINT ["docker-entrypoint.sh"]',
  'CMD ["postgres"]',
  'EXPOSE 5432',
  'VOLUME /var/lib/postgresql/data',
];

/** Label carrying a hash of the recipe, so an image built from an older entrypoint is rebuilt. */
export const RECIPE_LABEL = 'org.opareta.sandbox.recipe';

export function recipeHash(): string {
  return createHash('sha256')
    .update(readFileSync(entrypointSource))
    .update(JSON.stringify([SUITE, PACKAGES, IMAGE_CHANGES]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Builds one Debian root filesystem with PostgreSQL 15 and Node.js and imports it under both tags:
 * one build serves the database and the app containers (the app containers give their own command).
 */
export async function buildImagesFromDebian(
  tags: { postgres: string; app: string },
  log: (line: string) => void,
): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('building the sandbox images needs root (debootstrap); run as root');
  if (!commandOnPath('debootstrap')) {
    throw new Error('debootstrap is missing: run `apt-get install -y debootstrap` (scripts/setup.sh does it)');
  }
  {
    const root = path.join(buildDir(), 'rootfs');
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    const mirror = debianMirror();
    const logFile = path.join(buildDir(), 'debootstrap.log');
    log(`sandbox: debootstrap ${SUITE} from ${mirror} (log: ${logFile})`);
    await run('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, root, mirror], logFile);
    await prepareRootfs(root);
    log(`sandbox: importing ${tags.postgres}`);
    await importRootfs(root, tags.postgres);
    const [repo, tag] = tags.app.split(':');
    await run('docker', ['tag', tags.postgres, `${repo}:${tag}`], logFile);
    await rm(root, { recursive: true, force: true });
    log(`sandbox: built ${tags.postgres} and ${tags.app}`);
  }
}

/** Adds the entrypoint and drops what the package scripts left that the image must not carry. */
async function prepareRootfs(root: string): Promise<void> {
  const entrypoint = path.join(root, 'usr', 'local', 'bin', 'docker-entrypoint.sh');
  await copyFile(entrypointSource, entrypoint);
  await chmod(entrypoint, 0o755);
  // postgresql-common creates a default cluster at install time; our entrypoint initialises PGDATA itself.
  for (const leftover of [
    'var/lib/postgresql/15',
    'etc/postgresql/15',
    'var/cache/apt/archives',
    'var/lib/apt/lists',
  ]) {
    await rm(path.join(root, leftover), { recursive: true, force: true });
  }
  await mkdir(path.join(root, 'var', 'lib', 'postgresql', 'data'), { recursive: true });
}

async function importRootfs(root: string, tag: string): Promise<void> {
  const changes = [...IMAGE_CHANGES, `LABEL ${RECIPE_LABEL}=${recipeHash()}`].flatMap((change) => ['--change', change]);
  const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const importer = spawn('docker', ['import', ...changes, '-', tag], { stdio: ['pipe', 'pipe', 'pipe'] });
  tar.stdout.pipe(importer.stdin);
  const [tarCode, importCode, importErr] = await Promise.all([
    exitCode(tar),
    exitCode(importer),
    readAll(importer.stderr),
  ]);
  if (tarCode !== 0 || importCode !== 0) {
    throw new Error(`docker import ${tag} failed (tar ${tarCode}, import ${importCode}): ${importErr.trim()}`);
  }
}

/**
 * The Debian mirror apt already uses here: the machine may reach no other, so no public host is guessed.
 * OPARETA_DEBIAN_MIRROR overrides it.
 */
export function debianMirror(files = aptSourceFiles()): string {
  if (process.env.OPARETA_DEBIAN_MIRROR) return process.env.OPARETA_DEBIAN_MIRROR;
  for (const file of files.filter((f) => f.endsWith('.list') || f.endsWith('.sources'))) {
    if (!existsSync(file)) continue;
    const found = findMirror(readFileSync(file, 'utf8'));
    if (found) return found;
  }
  throw new Error(
    `no Debian ${SUITE} mirror in ${files.join(', ')} to build the sandbox images from: ` +
      'set OPARETA_DEBIAN_MIRROR to a mirror this machine can reach (e.g. http://deb.debian.org/debian)',
  );
}

function aptSourceFiles(): string[] {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) files.push(...readdirSync(dir).map((f) => path.join(dir, f)));
  return files;
}

/** Finds a URI serving the plain suite (not -security/-updates) in one-line or deb822 apt sources. */
export function findMirror(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
    if (match && match[2] === SUITE) return match[1];
  }
  for (const block of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(block)?.[1].trim().split(/\s+/);
    const types = field('Types') ?? [];
    const suites = field('Suites') ?? [];
    const uris = field('URIs') ?? [];
    if (types.includes('deb') && suites.includes(SUITE) && uris.length > 0) return uris[0];
  }
  return undefined;
}

function commandOnPath(name: string): boolean {
  return (process.env.PATH ?? '')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => dir && existsSync(path.join(dir, name)));
}

async function run(command: string, args: string[], logFile: string): Promise<void> {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const code = await exitCode(child);
  out.end();
  if (code !== 0) throw new Error(`${command} exited with ${code}; see ${logFile}`);
}

function exitCode(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

async function readAll(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
