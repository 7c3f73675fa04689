/**
 * Bundles every action found at `actions/<name>/src/index.ts` into `actions/<name>/dist/` with ncc
 * (one ESM `index.js`, its `package.json` and a `licenses.txt` of everything bundled), and writes
 * `<name>/action.yml` at the top of the repository from `actions/<name>/action.yml`, so users can
 * write `uses: release-actions/release-actions/<name>@v1` (as `github/codeql-action/init` does, its
 * `runs.main` points into `actions/<name>/dist`).
 *
 *   node scripts/build.ts [name…]            rebuild every dist/ (or only the named actions')
 *   node scripts/build.ts --check [name…]    rebuild into a temporary folder and fail if a committed dist/ differs
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
const check = process.argv.includes('--check');

function actionsWithEntry(): string[] {
  const dir = join(root, 'actions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'src', 'index.ts')))
    .map((d) => join(dir, d.name))
    .sort();
}

/**
 * Worker scripts a bundle starts by name next to its `index.js` (ncc would copy a
 * `new Worker(new URL(…))` file as it is, unbundled): when the bundle names one, the action's
 * `src/<name>.ts` is bundled on its own into `dist/<name>.js`.
 */
const workers = ['layer-gzip-worker'];

function bundle(actionDir: string, outDir: string): void {
  const ncc_ = (entry: string, out: string, ...args: string[]) =>
    execFileSync(process.execPath, [ncc, 'build', entry, '-o', out, '--no-cache', '-q', ...args], {
      cwd: actionDir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  ncc_('src/index.ts', outDir, '--license', 'licenses.txt');
  const main = readFileSync(join(outDir, 'index.js'), 'utf8');
  for (const name of workers) {
    if (!main.includes(`${name}.js`)) continue;
    const entry = join('src', `${name}.ts`);
    if (!existsSync(join(actionDir, entry)))
      throw new Error(
        `${basename(actionDir)}'s bundle starts the worker ${name}.js: add ${entry} importing it`,
      );
    const tmp = mkdtempSync(join(tmpdir(), 'release-actions-worker-'));
    try {
      ncc_(entry, tmp);
      renameSync(join(tmp, 'index.js'), join(outDir, `${name}.js`));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

/** The files that differ between two trees, as relative paths. */
function differences(a: string, b: string): string[] {
  const names = new Set([...listFiles(a), ...listFiles(b)]);
  return [...names].sort().filter((name) => {
    const pa = join(a, name);
    const pb = join(b, name);
    return !existsSync(pa) || !existsSync(pb) || !readFileSync(pa).equals(readFileSync(pb));
  });
}

/** The top-level `<name>/action.yml` users reference: the action's own, pointing into its dist/. */
function publicActionYml(actionDir: string): { path: string; text: string } {
  const name = basename(actionDir);
  const source = readFileSync(join(actionDir, 'action.yml'), 'utf8');
  const main = /^(\s+main:\s*)['"]?dist\/index\.js['"]?[ \t]*$/m;
  if (!main.test(source)) throw new Error(`actions/${name}/action.yml must have runs.main: 'dist/index.js'`);
  const text =
    `# Generated from actions/${name}/action.yml by \`npm run build\`: edit that file, not this one.\n` +
    source.replace(main, `$1'../actions/${name}/dist/index.js'`);
  return { path: join(root, name, 'action.yml'), text };
}

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const actions = actionsWithEntry().filter((dir) => only.length === 0 || only.includes(basename(dir)));
for (const name of only) {
  if (!actions.some((dir) => basename(dir) === name))
    throw new Error(`no action actions/${name}/src/index.ts to build`);
}
let stale = 0;
for (const actionDir of actions) {
  const name = relative(root, actionDir);
  const pub = publicActionYml(actionDir);
  const pubName = relative(root, pub.path);
  if (check) {
    if (!existsSync(pub.path) || readFileSync(pub.path, 'utf8') !== pub.text) {
      stale++;
      console.error(`${pubName} is stale: run \`npm run build\` and commit the result.`);
    }
  } else {
    mkdirSync(dirname(pub.path), { recursive: true });
    writeFileSync(pub.path, pub.text);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'release-actions-dist-'));
  try {
    bundle(actionDir, tmp);
    const dist = join(actionDir, 'dist');
    if (check) {
      const diff = differences(tmp, dist);
      if (diff.length > 0) {
        stale++;
        console.error(
          `${name}/dist is stale (${diff.join(', ')}): run \`npm run build\` and commit the result.`,
        );
      } else {
        console.log(`${name}/dist is up to date`);
      }
    } else {
      rmSync(dist, { recursive: true, force: true });
      renameSync(tmp, dist);
      console.log(`built ${name}/dist`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
if (actions.length === 0) console.log('no actions with src/index.ts to bundle');
if (stale > 0) process.exit(1);
