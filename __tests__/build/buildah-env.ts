/**
 * Real buildah for tests: a private storage (`--root`/`--runroot` in a temporary directory, vfs
 * driver, chroot isolation: works as root without a daemon), and a tiny build context whose
 * Dockerfile has a RUN step executed by a static busybox copied from the Debian package
 * `busybox-static`. Each test gets its own storage, removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const file = execFileSync('file', ['-L', BUSYBOX], { encoding: 'utf8' });
  if (!/statically linked/.test(file))
    throw new Error(`${BUSYBOX} is not a static binary: apt-get install busybox-static`);
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
