/**
 * The images the syft comparison catalogs, each in its own OCI layout (what `syft oci-dir:` reads):
 *
 * - `dpkg-npm`: this machine's `/etc/os-release` and `/var/lib/dpkg/status` with the copyright
 *   files of its packages, and this repository's `node_modules` trees (package.json files) under
 *   `/app`, as the acceptance image of the accuracy suite;
 * - `go`: Go programs under `/usr/local/bin` built with module versions (crane and actionlint from
 *   `npm run tools`) and Debian's `/usr/bin/docker-registry` (built from a tarball: `(devel)`);
 * - `java`: the jars of `/usr/share/java` (Debian's maven installs them);
 * - `python`: the `*.dist-info` and `*.egg-info` metadata of this machine's
 *   `/usr/lib/python3/dist-packages`;
 * - `rpm`: syft's BerkeleyDB `Packages` fixture at `/var/lib/rpm/Packages` under CentOS's os-release;
 * - `apk`: syft's apk `installed` fixture at `/lib/apk/db/installed` under Alpine's os-release.
 *
 * The fixtures come from `../shared/fixtures/syft` (see ../fixtures.ts); an image whose inputs are
 * missing is left out, saying why.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayoutStore } from '@release-actions/shared/oci';
import { fixture, needsFixtures, REPO_ROOT } from '../fixtures.ts';
import { makeImage, push, type TarEntry } from '../images.ts';
import { TOOLS_BIN } from './tools.ts';

export interface ComparedImage {
  name: string;
  /** Why it cannot be built here, or false. */
  missing: string | false;
  layers: () => TarEntry[][];
}

/** Regular files directly in `dir` matching `keep`, as tar entries under `prefix`. */
function filesOf(dir: string, prefix: string, keep: (name: string) => boolean, mode = 0o644): TarEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => keep(f) && lstatSync(join(dir, f)).isFile())
    .sort()
    .map((f) => ({ name: `${prefix}/${f}`, content: readFileSync(join(dir, f)), mode }));
}

/** Every regular file below `dir` (symlinks and their targets outside left out). */
function treeOf(dir: string, prefix: string, keep: (path: string) => boolean): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (d: string, rel: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(d, entry.name);
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(full, path);
      else if (entry.isFile() && keep(path))
        out.push({ name: `${prefix}${path}`, content: readFileSync(full) });
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

const osRelease = (): TarEntry[] => [
  { name: 'usr/lib/os-release', content: readFileSync('/etc/os-release') },
  { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
];

function nodeModules(): TarEntry[] {
  const roots = [
    'node_modules',
    ...['packages', 'actions'].flatMap((d) =>
      readdirSync(join(REPO_ROOT, d)).map((w) => `${d}/${w}/node_modules`),
    ),
  ];
  return roots.flatMap((r) => {
    const full = join(REPO_ROOT, r);
    if (!existsSync(full) || !lstatSync(full).isDirectory()) return [];
    return treeOf(full, `app/${r}`, (p) => p.endsWith('/package.json'));
  });
}

const GO_TOOLS = ['crane', 'actionlint'];
const PYTHON = '/usr/lib/python3/dist-packages';
const RPM_DB = 'pkg/cataloger/redhat/testdata/Packages';
const CENTOS = 'linux/testdata/os/centos/usr/lib/os-release';
const APK_DB = 'pkg/cataloger/alpine/testdata/base';
const ALPINE = 'linux/testdata/os/alpine/etc/os-release';

export const COMPARED_IMAGES: readonly ComparedImage[] = [
  {
    name: 'dpkg-npm',
    missing: existsSync('/var/lib/dpkg/status') ? false : 'this machine has no /var/lib/dpkg/status',
    layers: () => [
      osRelease(),
      [
        { name: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') },
        ...treeOf('/usr/share/doc', 'usr/share/doc', (p) => /^\/[^/]+\/copyright$/.test(p)),
      ],
      nodeModules(),
    ],
  },
  {
    name: 'go',
    missing:
      GO_TOOLS.every((t) => existsSync(join(TOOLS_BIN, t))) || process.env['CI']
        ? false // with CI set a missing tool fails the test (reading it), never skips it
        : `${GO_TOOLS.join(' and ')} are not built (npm run tools)`,
    layers: () => [
      [
        ...GO_TOOLS.map((t) => ({
          name: `usr/local/bin/${t}`,
          content: readFileSync(join(TOOLS_BIN, t)),
          mode: 0o755,
        })),
        ...filesOf('/usr/bin', 'usr/bin', (f) => f === 'docker-registry', 0o755),
      ],
    ],
  },
  {
    name: 'java',
    missing: existsSync('/usr/share/java')
      ? false
      : 'this machine has no /usr/share/java (apt-get install maven)',
    layers: () => [filesOf('/usr/share/java', 'usr/share/java', (f) => f.endsWith('.jar'))],
  },
  {
    name: 'python',
    missing: existsSync(PYTHON) ? false : `this machine has no ${PYTHON}`,
    layers: () => [treeOf(PYTHON, PYTHON.slice(1), (p) => /^\/[^/]+\.(dist-info|egg-info)(\/|$)/.test(p))],
  },
  {
    name: 'rpm',
    missing: needsFixtures('syft', RPM_DB) || needsFixtures('syft', CENTOS),
    layers: () => [
      [
        { name: 'usr/lib/os-release', content: readFileSync(fixture('syft', CENTOS)) },
        { name: 'var/lib/rpm/Packages', content: readFileSync(fixture('syft', RPM_DB)) },
      ],
    ],
  },
  {
    name: 'apk',
    missing: needsFixtures('syft', APK_DB) || needsFixtures('syft', ALPINE),
    layers: () => [
      [
        { name: 'etc/os-release', content: readFileSync(fixture('syft', ALPINE)) },
        { name: 'lib/apk/db/installed', content: readFileSync(fixture('syft', APK_DB)) },
      ],
    ],
  },
];

/** Writes `image` as the only image of a new OCI layout at `dir` (tag `latest`), for ours and `syft oci-dir:`. */
export async function writeLayout(
  image: ComparedImage,
  dir: string,
): Promise<{ store: LayoutStore; digest: string }> {
  const store = await LayoutStore.open(dir, { create: true });
  const built = makeImage({ layers: image.layers() });
  const { digest } = await push(store, built, 'latest');
  return { store, digest };
}
