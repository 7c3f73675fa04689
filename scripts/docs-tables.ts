/**
 * Keeps the inputs and outputs tables of each action's page, `docs/<name>.md`, equal to that
 * action's `actions/<name>/action.yml` (name, required, default, description). The tables live
 * between marker comments, which the page places where they belong in its prose:
 *
 *   <!-- inputs:start: generated from actions/<name>/action.yml by npm run docs:tables -->
 *   …
 *   <!-- inputs:end -->
 *
 * and the same with `outputs`. Everything between a pair of markers is replaced; nothing outside.
 * The tables are written as prettier formats them, so `prettier --check` agrees.
 *
 *   node scripts/docs-tables.ts            rewrite the tables of every page
 *   node scripts/docs-tables.ts --check    change nothing; fail listing each stale page and what differs
 *
 * Every action with an `actions/<name>/action.yml` must have its page with both pairs of markers.
 * The reusable workflows' tables in docs/workflows.md follow, by scripts/workflow-tables.ts.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { parse as parseYaml } from 'yaml';

export type Kind = 'inputs' | 'outputs';
export const KINDS: readonly Kind[] = ['inputs', 'outputs'];

/** One input or output as action.yml declares it. */
export interface Entry {
  name: string;
  description: string;
  /** Inputs only. */
  required?: boolean;
  /** Inputs only; undefined when action.yml gives none. */
  default?: string;
}

export interface ActionSpec {
  inputs: Entry[];
  outputs: Entry[];
}

/** One way a page's table differs from action.yml. */
export interface Difference {
  /** The page, relative to the repository root (`docs/sbom.md`). */
  page: string;
  /** The table concerned; absent when the page itself is missing. */
  kind?: Kind;
  /** The input or output concerned; absent for a difference of the whole table. */
  name?: string;
  message: string;
}

/** Reads the inputs and outputs of an action.yml text, in their order there. */
export function parseAction(text: string, source = 'action.yml'): ActionSpec {
  const doc = parseYaml(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new Error(`${source} is not a YAML mapping`);
  const entries = (kind: Kind): Entry[] => {
    const section = doc[kind];
    if (section === undefined || section === null) return [];
    if (typeof section !== 'object' || Array.isArray(section))
      throw new Error(`${source}: ${kind} is not a mapping of names`);
    return Object.entries(section as Record<string, unknown>).map(([name, value]) => {
      const spec = (value ?? {}) as Record<string, unknown>;
      const entry: Entry = { name, description: String(spec.description ?? '') };
      if (kind === 'inputs') {
        entry.required = spec.required === true || spec.required === 'true';
        if (spec.default !== undefined && spec.default !== null) entry.default = String(spec.default);
      }
      return entry;
    });
  };
  return { inputs: entries('inputs'), outputs: entries('outputs') };
}

/**
 * Text as one Markdown table cell: `|` escaped (GFM splits cells on it, in code spans too),
 * newlines as `<br>`, and what Markdown would otherwise read as markup (HTML such as `<name>`,
 * emphasis, code, links, strikethrough, entities) escaped so it shows as written.
 */
export function escapeCell(text: string): string {
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) =>
      line
        .trim()
        .replace(/[\\`*[\]<~|]/g, (c) => `\\${c}`)
        .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
        .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&'),
    )
    .join('<br>');
}

/** A code span holding `text` (a fence longer than any run of backticks in it), pipes escaped. */
export function codeCell(text: string): string {
  if (text === '') return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

const HEADERS: Record<Kind, string[]> = {
  inputs: ['input', 'required', 'default', 'description'],
  outputs: ['output', 'description'],
};

/** The cells of each row of a kind's table, as written before prettier pads them. */
export function rowsOf(kind: Kind, entries: readonly Entry[]): string[][] {
  return entries.map((e) =>
    kind === 'inputs'
      ? [codeCell(e.name), e.required ? 'yes' : 'no', codeCell(e.default ?? ''), escapeCell(e.description)]
      : [codeCell(e.name), escapeCell(e.description)],
  );
}

const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

/** The table of `entries`, formatted by prettier with the repository's settings for `file`. */
export async function renderTable(kind: Kind, entries: readonly Entry[], file: string): Promise<string> {
  const header = HEADERS[kind];
  const raw = [line(header), line(header.map(() => '---')), ...rowsOf(kind, entries).map(line)].join('\n');
  const options = (await prettier.resolveConfig(file)) ?? {};
  const formatted = await prettier.format(`${raw}\n`, { ...options, filepath: file, parser: 'markdown' });
  return formatted.trimEnd();
}

/** Splits a table row on its unescaped pipes into trimmed cells. */
export function splitRow(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  const text = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cell += c + text[i + 1];
      i++;
    } else if (c === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

/** The rows of the first Markdown table in `block` (header and delimiter row left out). */
export function parseTable(block: string): string[][] {
  const lines = block.split('\n').filter((l) => l.trim().startsWith('|'));
  return lines.slice(2).map(splitRow);
}

interface Region {
  /** Index just after the start marker's line. */
  from: number;
  /** Index of the end marker. */
  to: number;
}

/** Where a kind's generated block sits in a page, or undefined when its markers are missing. */
export function findRegion(page: string, kind: Kind): Region | undefined {
  const start = new RegExp(`<!-- ${kind}:start\\b[^>]*-->[^\\n]*\\n`).exec(page);
  if (!start) return undefined;
  const from = start.index + start[0].length;
  const to = page.indexOf(`<!-- ${kind}:end -->`, from);
  return to === -1 ? undefined : { from, to };
}

export function startMarker(kind: Kind, action: string): string {
  return `<!-- ${kind}:start: generated from actions/${action}/action.yml by npm run docs:tables -->`;
}

/** The page with both tables regenerated; throws naming the page when a pair of markers is missing. */
export async function updatePage(
  page: string,
  spec: ActionSpec,
  options: { page: string; action: string; file: string },
): Promise<string> {
  let text = page;
  for (const kind of KINDS) {
    const region = findRegion(text, kind);
    if (!region)
      throw new Error(
        `${options.page} has no ${kind} table markers: add ${startMarker(kind, options.action)} and <!-- ${kind}:end --> where the ${kind} table belongs`,
      );
    const table = await renderTable(kind, spec[kind], options.file);
    text = `${text.slice(0, region.from)}\n${table}\n\n${text.slice(region.to)}`;
  }
  return text;
}

/** What differs between a page's tables and an action.yml text, each difference naming the entry. */
export async function comparePage(
  page: string,
  actionYaml: string,
  options: { page: string; action: string; file: string },
): Promise<Difference[]> {
  const spec = parseAction(actionYaml, `actions/${options.action}/action.yml`);
  const differences: Difference[] = [];
  const source = `actions/${options.action}/action.yml`;
  for (const kind of KINDS) {
    const singular = kind === 'inputs' ? 'input' : 'output';
    const region = findRegion(page, kind);
    if (!region) {
      differences.push({
        page: options.page,
        kind,
        message: `${options.page}: no ${kind} table markers (${startMarker(kind, options.action)} … <!-- ${kind}:end -->)`,
      });
      continue;
    }
    const actual = page.slice(region.from, region.to);
    const expected = await renderTable(kind, spec[kind], options.file);
    if (actual.trim() === expected) continue;
    const header = HEADERS[kind];
    const want = new Map(parseTable(expected).map((cells) => [cells[0]!, cells]));
    const have = new Map(parseTable(actual).map((cells) => [cells[0]!, cells]));
    const before = differences.length;
    const nameOf = (cell: string) => cell.replace(/^`+ ?| ?`+$/g, '');
    for (const [key, cells] of want) {
      const name = nameOf(key);
      const found = have.get(key);
      if (!found) {
        differences.push({
          page: options.page,
          kind,
          name,
          message: `${options.page}: ${singular} "${name}" is in ${source} but not in the page's ${kind} table`,
        });
        continue;
      }
      for (let i = 1; i < header.length; i++)
        if ((found[i] ?? '') !== cells[i])
          differences.push({
            page: options.page,
            kind,
            name,
            message: `${options.page}: ${singular} "${name}": ${header[i]} is ${JSON.stringify(cells[i])} in ${source}, ${JSON.stringify(found[i] ?? '')} in the page`,
          });
    }
    for (const key of have.keys())
      if (!want.has(key))
        differences.push({
          page: options.page,
          kind,
          name: nameOf(key),
          message: `${options.page}: ${singular} "${nameOf(key)}" is in the page's ${kind} table but not in ${source}`,
        });
    if (differences.length === before)
      differences.push({
        page: options.page,
        kind,
        message: `${options.page}: the ${kind} table has the rows of ${source} but not in its order or layout`,
      });
  }
  return differences;
}

/** The actions that have an `actions/<name>/action.yml`, sorted. */
export function actionNames(root: string): string[] {
  const dir = join(root, 'actions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'action.yml')))
    .map((d) => d.name)
    .sort();
}

function missingPage(action: string): string {
  return `docs/${action}.md is missing: actions/${action} has no docs page; write one with ${startMarker('inputs', action)} and <!-- inputs:end --> where its inputs table belongs (and the same for outputs), then run npm run docs:tables`;
}

function pageOf(root: string, action: string) {
  const page = `docs/${action}.md`;
  return { page, action, file: join(root, page) };
}

/** Every difference between the action pages and the action.yml files under `root`. */
export async function checkPages(root: string): Promise<Difference[]> {
  const differences: Difference[] = [];
  for (const action of actionNames(root)) {
    const where = pageOf(root, action);
    if (!existsSync(where.file)) {
      differences.push({ page: where.page, message: missingPage(action) });
      continue;
    }
    const yaml = readFileSync(join(root, 'actions', action, 'action.yml'), 'utf8');
    differences.push(...(await comparePage(readFileSync(where.file, 'utf8'), yaml, where)));
  }
  return differences;
}

/**
 * Rewrites the tables of every action page under `root` that can be rewritten; returns the pages
 * that changed and, for each page that could not be (missing, or without markers), why.
 */
export async function writePages(root: string): Promise<{ changed: string[]; problems: string[] }> {
  const changed: string[] = [];
  const problems: string[] = [];
  for (const action of actionNames(root)) {
    const where = pageOf(root, action);
    if (!existsSync(where.file)) {
      problems.push(missingPage(action));
      continue;
    }
    try {
      const yaml = readFileSync(join(root, 'actions', action, 'action.yml'), 'utf8');
      const spec = parseAction(yaml, `actions/${action}/action.yml`);
      const before = readFileSync(where.file, 'utf8');
      const after = await updatePage(before, spec, where);
      if (after !== before) {
        writeFileSync(where.file, after);
        changed.push(where.page);
      }
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { changed, problems };
}

async function cli(argv: readonly string[]): Promise<number> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  if (argv.includes('--check')) {
    const differences = await checkPages(root);
    if (differences.length === 0) {
      console.log(`docs tables match action.yml (${actionNames(root).length} pages)`);
      return 0;
    }
    const pages = [...new Set(differences.map((d) => d.page))];
    console.error(`stale docs tables in ${pages.join(', ')}:`);
    for (const d of differences) console.error(`  ${d.message}`);
    console.error('run: npm run docs:tables');
    return 1;
  }
  const { changed, problems } = await writePages(root);
  console.log(changed.length ? `updated ${changed.join(', ')}` : 'docs tables already up to date');
  for (const problem of problems) console.error(problem);
  return problems.length > 0 ? 1 : 0;
}

/** The actions' pages, then docs/workflows.md from the reusable workflows (scripts/workflow-tables.ts). */
async function all(argv: readonly string[]): Promise<number> {
  const actions = await cli(argv);
  const workflows = await import('./workflow-tables.ts');
  return Math.max(actions, await workflows.cli(argv, resolve(dirname(fileURLToPath(import.meta.url)), '..')));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  all(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
