/**
 * Real buildah for tests: a private storage (`--root`/`--runroot` in a temporary directory, vfs
 * driver, chroot isolation: works as root without a daemon), and a tiny build context whose
 * Dockerfile has a RUN step executed by a static busybox copied from the Debian package
 * `busybox-static`. Each test gets its own storage, removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildahSettings } from '@release-actions/shared/build';

/** Where busybox-static installs its static binary. */
export const BUSYBOX = '/bin/busybox';

/** Fails with what to install when buildah or a static busybox is missing. */
export function requireBuildahTools(): void {
  try {
    execFileSync('buildah', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('buildah is not installed: apt-get install buildah (see .ci/run)');
  }
  if (!isStaticElf(BUSYBOX))
    throw new Error(`${BUSYBOX} is missing or not a static binary: apt-get install busybox-static`);
}

/** Whether a file is a 64-bit ELF executable without a program interpreter (PT_INTERP), i.e. static. */
export function isStaticElf(path: string): boolean {
  let elf: Buffer;
  try {
    elf = readFileSync(path);
  } catch {
    return false;
  }
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

export interface BuildahSandbox extends Required<Pick<BuildahSettings, 'root' | 'runroot'>> {
  dir: string;
  settings: BuildahSettings;
  /** A storage.conf for `CONTAINERS_STORAGE_CONF`, for runs where buildah's flags are not ours to set. */
  storageConf: string;
  remove(): void;
}

export function buildahSandbox(): BuildahSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'buildah-test-'));
  const root = join(dir, 'root');
  const runroot = join(dir, 'runroot');
  const storageConf = join(dir, 'storage.conf');
  writeFileSync(storageConf, `[storage]\ndriver = "vfs"\ngraphroot = "${root}"\nrunroot = "${runroot}"\n`);
  return {
    dir,
    root,
    runroot,
    storageConf,
    settings: { root, runroot, storageDriver: 'vfs', isolation: 'chroot' },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A context: `FROM scratch`, busybox and a file copied in, and a RUN step that writes the build
 * argument GREETING to /greeting.txt (so a test can see RUN ran, with the build argument).
 */
export function tinyContext(parent: string): string {
  const context = mkdtempSync(join(parent, 'context-'));
  copyFileSync(BUSYBOX, join(context, 'busybox'));
  writeFileSync(join(context, 'hello.txt'), 'hello from the context\n');
  writeFileSync(
    join(context, 'Dockerfile'),
    [
      'FROM scratch',
      'ARG GREETING=unset',
      'COPY busybox /bin/busybox',
      'COPY hello.txt /hello.txt',
      'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo \\"$GREETING\\" > /greeting.txt"]',
      '',
    ].join('\n'),
  );
  return context;
}
