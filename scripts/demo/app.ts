/**
 * The demo's application: a tiny HTTP service (scripts/demo/app/) in four builds, and the build
 * context each is assembled from.
 *
 * | build      | handler | dependencies                          | what the chain does with it          |
 * | ---------- | ------- | ------------------------------------- | ------------------------------------ |
 * | 1.0.0      | v1      | log-format 1.4.0                      | to production (no canary: the first) |
 * | 2.0.0-rc.1 | v2      | log-format 1.4.0, query-parse 0.9.0   | stopped by the scan gate             |
 * | 2.0.0      | v2      | log-format 1.4.0, query-parse 0.9.1   | canary against 1.0.0, promoted       |
 * | 3.0.0      | v3      | log-format 1.4.0, query-parse 0.9.1   | canary against 2.0.0, rolled back    |
 *
 * log-format 1.4.0 has DEMO-2026-0001 (high), accepted in the allowlist; query-parse 0.9.0 has
 * DEMO-2026-0002 (critical), fixed in 0.9.1 (scripts/demo/osv/). The packages and advisories are
 * made up for the demo. v3's handler is slow and fails one request in four.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO_DIR = dirname(fileURLToPath(import.meta.url));
const APP_DIR = join(DEMO_DIR, 'app');

export interface Release {
  version: string;
  /** The handler directory under app/ (v1, v2, v3). */
  handler: string;
  /** `name@version` of each dependency, from app/deps/. */
  dependencies: string[];
}

const SCOPE = '@release-demo';

/** The release's builds, in the order the chain takes them; `healthyV3` builds 3.0.0 without its bug. */
export function releases(
  options: { healthyV3?: boolean } = {},
): Record<'v1' | 'v2rc' | 'v2' | 'v3', Release> {
  return {
    v1: { version: '1.0.0', handler: 'v1', dependencies: ['log-format@1.4.0'] },
    v2rc: { version: '2.0.0-rc.1', handler: 'v2', dependencies: ['log-format@1.4.0', 'query-parse@0.9.0'] },
    v2: { version: '2.0.0', handler: 'v2', dependencies: ['log-format@1.4.0', 'query-parse@0.9.1'] },
    v3: {
      version: '3.0.0',
      handler: options.healthyV3 ? 'v2' : 'v3',
      dependencies: ['log-format@1.4.0', 'query-parse@0.9.1'],
    },
  };
}

function split(dependency: string): { name: string; version: string } {
  const at = dependency.lastIndexOf('@');
  return { name: `${SCOPE}/${dependency.slice(0, at)}`, version: dependency.slice(at + 1) };
}

/**
 * Writes the build context of `release` into `dir`: `src/` (server.js, handler.js, package.json,
 * package-lock.json) becomes /app, `deps/` becomes /app/node_modules. Returns the build-sign
 * `files` lines (one layer each: dependencies first, as they change less often).
 */
export async function stageContext(release: Release, dir: string): Promise<string> {
  const src = join(dir, 'src');
  await mkdir(src, { recursive: true });
  await cp(join(APP_DIR, 'server.js'), join(src, 'server.js'));
  await cp(join(APP_DIR, release.handler, 'handler.js'), join(src, 'handler.js'));
  const deps = release.dependencies.map(split);
  const pkg = {
    name: 'release-demo',
    version: release.version,
    private: true,
    type: 'module',
    main: 'server.js',
    dependencies: Object.fromEntries(deps.map((d) => [d.name, d.version])),
  };
  await writeFile(join(src, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const lock = {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies },
      ...Object.fromEntries(
        deps.map((d) => [`node_modules/${d.name}`, { version: d.version, license: 'Apache-2.0' }]),
      ),
    },
  };
  await writeFile(join(src, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  for (const [i, dependency] of release.dependencies.entries())
    await cp(join(APP_DIR, 'deps', dependency), join(dir, 'deps', deps[i]!.name), { recursive: true });
  return ['deps=/app/node_modules', 'src=/app'].join('\n');
}

/** The repository root (for the key generator's path and the commit the provenance names). */
export const REPO_ROOT = resolve(DEMO_DIR, '../..');
