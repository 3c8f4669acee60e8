import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { debianMirror, findMirror } from '../../sandbox/image-build';

describe('the Debian mirror the sandbox images are built from', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    delete process.env.OPARETA_DEBIAN_MIRROR;
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function sources(name: string, text: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'opareta-apt-'));
    dirs.push(dir);
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  }

  it('takes the plain suite from one-line and deb822 apt sources, never -security', () => {
    const oneLine =
      'deb http://security.example/debian-security bookworm-security main\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n';
    expect(findMirror(oneLine)).toBe('http://mirror.example/debian');
    const deb822 =
      'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://deb822.example/debian\nSuites: bookworm bookworm-updates\n';
    expect(findMirror(deb822)).toBe('http://deb822.example/debian');
    expect(findMirror('deb http://security.example/debian-security bookworm-security main\n')).toBeUndefined();
  });

  it("uses the machine's apt mirror, and names the way out when there is none", async () => {
    const found = await sources('debian.sources', 'Types: deb\nURIs: http://local.example/debian\nSuites: bookworm\n');
    expect(debianMirror([found])).toBe('http://local.example/debian');
    const none = await sources('other.list', 'deb http://elsewhere.example/ubuntu jammy main\n');
    expect(() => debianMirror([none, '/nonexistent/sources.list'])).toThrow(
      /no Debian bookworm mirror in .*other\.list.*set OPARETA_DEBIAN_MIRROR/,
    );
    process.env.OPARETA_DEBIAN_MIRROR = 'http://override.example/debian';
    expect(debianMirror([none])).toBe('http://override.example/debian');
  });
});
