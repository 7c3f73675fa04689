/**
 * Keeps the inputs, secrets and outputs tables of `docs/workflows.md` equal to the reusable
 * workflows (`.github/workflows/*.yml` with `on: workflow_call`), as scripts/docs-tables.ts does
 * for the actions' pages. Each table sits between marker comments naming the workflow and the
 * table, placed where the page's prose wants it:
 *
 *   <!-- release:inputs:start: generated from .github/workflows/release.yml by npm run docs:tables -->
 *   …
 *   <!-- release:inputs:end -->
 *
 * and the same with `secrets` and `outputs`. Everything between a pair is replaced, nothing outside.
 *
 *   node scripts/workflow-tables.ts            rewrite the tables
 *   node scripts/workflow-tables.ts --check    change nothing; fail naming each stale or missing table
 *
 * `npm run docs:tables` runs it after the actions' pages.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { parse as parseYaml } from 'yaml';
import { codeCell, escapeCell } from './docs-tables.ts';

export const WORKFLOWS_PAGE = 'docs/workflows.md';
const WORKFLOWS_DIR = '.github/workflows';

export type WorkflowKind = 'inputs' | 'secrets' | 'outputs';
export const WORKFLOW_KINDS: readonly WorkflowKind[] = ['inputs', 'secrets', 'outputs'];

/** The `on.workflow_call` interface of a reusable workflow: the cells of each table, in file order. */
export type WorkflowSpec = Record<WorkflowKind, string[][]>;

const HEADERS: Record<WorkflowKind, string[]> = {
  inputs: ['input', 'type', 'required', 'default', 'description'],
  secrets: ['secret', 'required', 'description'],
  outputs: ['output', 'description'],
};

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const yes = (v: unknown) => (v === true || v === 'true' ? 'yes' : 'no');

/** The table rows of a workflow's text; undefined when it has no `on.workflow_call`. */
export function parseWorkflowCall(text: string): WorkflowSpec | undefined {
  const on = obj(obj(parseYaml(text))['on']);
  if (!('workflow_call' in on)) return undefined;
  const call = obj(on['workflow_call']);
  const rows = (kind: WorkflowKind, row: (name: string, spec: Obj) => string[]) =>
    Object.entries(obj(call[kind])).map(([name, spec]) => row(name, obj(spec)));
  const description = (spec: Obj) => escapeCell(String(spec['description'] ?? ''));
  return {
    inputs: rows('inputs', (name, spec) => [
      codeCell(name),
      String(spec['type'] ?? 'string'),
      yes(spec['required']),
      spec['default'] === undefined || spec['default'] === null ? '' : codeCell(String(spec['default'])),
      description(spec),
    ]),
    secrets: rows('secrets', (name, spec) => [codeCell(name), yes(spec['required']), description(spec)]),
    outputs: rows('outputs', (name, spec) => [codeCell(name), description(spec)]),
  };
}

/** The reusable workflows under `root`: name (file name without .yml) to spec, sorted by name. */
export function reusableWorkflows(root: string): Map<string, WorkflowSpec> {
  const dir = join(root, WORKFLOWS_DIR);
  const found = new Map<string, WorkflowSpec>();
  if (!existsSync(dir)) return found;
  for (const file of readdirSync(dir).sort()) {
    const m = /^(.+)\.ya?ml$/.exec(file);
    const spec = m ? parseWorkflowCall(readFileSync(join(dir, file), 'utf8')) : undefined;
    if (m?.[1] && spec) found.set(m[1], spec);
  }
  return found;
}

export function startMarker(workflow: string, kind: WorkflowKind): string {
  return `<!-- ${workflow}:${kind}:start: generated from ${WORKFLOWS_DIR}/${workflow}.yml by npm run docs:tables -->`;
}

/** The table, formatted by prettier with the repository's settings for the page. */
export async function renderTable(
  kind: WorkflowKind,
  rows: readonly string[][],
  file: string,
): Promise<string> {
  if (rows.length === 0) return `This workflow has no ${kind}.`;
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const header = HEADERS[kind];
  const raw = [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return (await prettier.format(`${raw}\n`, { ...options, filepath: file, parser: 'markdown' })).trimEnd();
}

function region(
  page: string,
  workflow: string,
  kind: WorkflowKind,
): { from: number; to: number } | undefined {
  const start = new RegExp(`<!-- ${workflow}:${kind}:start\\b[^>]*-->[^\\n]*\\n`).exec(page);
  if (!start) return undefined;
  const from = start.index + start[0].length;
  const to = page.indexOf(`<!-- ${workflow}:${kind}:end -->`, from);
  return to === -1 ? undefined : { from, to };
}

/**
 * The page with every table regenerated, and what could not be done: a workflow without its
 * markers, or markers naming a workflow that is not a reusable one.
 */
export async function updateWorkflowPage(
  page: string,
  workflows: ReadonlyMap<string, WorkflowSpec>,
  file: string,
): Promise<{ text: string; problems: string[] }> {
  let text = page;
  const problems: string[] = [];
  for (const [workflow, spec] of workflows) {
    for (const kind of WORKFLOW_KINDS) {
      const at = region(text, workflow, kind);
      if (!at) {
        problems.push(
          `${WORKFLOWS_PAGE} has no ${kind} table of ${WORKFLOWS_DIR}/${workflow}.yml: add ${startMarker(workflow, kind)} and <!-- ${workflow}:${kind}:end --> where it belongs`,
        );
        continue;
      }
      text = `${text.slice(0, at.from)}\n${await renderTable(kind, spec[kind], file)}\n\n${text.slice(at.to)}`;
    }
  }
  for (const m of page.matchAll(/<!-- ([\w.-]+):(inputs|secrets|outputs):start\b/g))
    if (!workflows.has(m[1] ?? ''))
      problems.push(
        `${WORKFLOWS_PAGE} has a ${m[2]} table of ${m[1]}, which is not a reusable workflow of ${WORKFLOWS_DIR}: remove it`,
      );
  return { text, problems };
}

/** Each table of the page that differs from its workflow, or is missing, as a message (none: current). */
export async function checkWorkflowPage(root: string): Promise<string[]> {
  const file = join(root, WORKFLOWS_PAGE);
  const workflows = reusableWorkflows(root);
  if (!existsSync(file))
    return workflows.size
      ? [`${WORKFLOWS_PAGE} is missing: it documents ${[...workflows.keys()].join(', ')}`]
      : [];
  const page = readFileSync(file, 'utf8');
  const { text, problems } = await updateWorkflowPage(page, workflows, file);
  const stale: string[] = [];
  for (const [workflow] of workflows)
    for (const kind of WORKFLOW_KINDS) {
      const [before, after] = [region(page, workflow, kind), region(text, workflow, kind)];
      if (before && after && page.slice(before.from, before.to) !== text.slice(after.from, after.to))
        stale.push(
          `${WORKFLOWS_PAGE}: the ${kind} table of ${workflow} differs from ${WORKFLOWS_DIR}/${workflow}.yml`,
        );
    }
  return [...problems, ...stale];
}

/** Rewrites the page's tables; returns whether it changed, and the problems. */
export async function writeWorkflowPage(root: string): Promise<{ changed: boolean; problems: string[] }> {
  const file = join(root, WORKFLOWS_PAGE);
  if (!existsSync(file)) return { changed: false, problems: await checkWorkflowPage(root) };
  const page = readFileSync(file, 'utf8');
  const { text, problems } = await updateWorkflowPage(page, reusableWorkflows(root), file);
  if (text !== page) writeFileSync(file, text);
  return { changed: text !== page, problems };
}

export async function cli(argv: readonly string[], root: string): Promise<number> {
  if (argv.includes('--check')) {
    const messages = await checkWorkflowPage(root);
    for (const message of messages) console.error(`  ${message}`);
    if (messages.length) console.error('run: npm run docs:tables');
    else console.log(`${WORKFLOWS_PAGE} tables match the reusable workflows`);
    return messages.length ? 1 : 0;
  }
  const { changed, problems } = await writeWorkflowPage(root);
  console.log(changed ? `updated ${WORKFLOWS_PAGE}` : `${WORKFLOWS_PAGE} tables already up to date`);
  for (const problem of problems) console.error(problem);
  return problems.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2), resolve(dirname(fileURLToPath(import.meta.url)), '..')).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
