/**
 * The `run:` scripts of the reusable workflows, taken from the YAML and run the way the runner
 * runs a bash step (`bash --noprofile --norc -eo pipefail <file>`), with the runner's files
 * (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) in a temporary directory, a stand-in `gh` that
 * records its calls, and a loopback HTTP server as the webhook.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { parse } from 'yaml';
import { REPO_ROOT } from '../fixtures.ts';

type Obj = Record<string, unknown>;
interface Step {
  name?: string;
  run?: string;
}

function workflow(name: string): Obj {
  return parse(readFileSync(join(REPO_ROOT, '.github', 'workflows', `${name}.yml`), 'utf8')) as Obj;
}

function script(name: string, job: string, step: string): string {
  const steps = ((workflow(name)['jobs'] as Obj)[job] as Obj)['steps'] as Step[];
  const found = steps.find((s) => s.name === step);
  assert.ok(found?.run, `${name}.yml has no run: step "${step}" in job ${job}`);
  return found.run;
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'workflow-scripts-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the step appended to each runner file. */
  env: string;
  output: string;
  summary: string;
}

/** Runs `text` as a bash step with `env` (and the runner's files), in a directory of its own. */
function runStep(text: string, env: Record<string, string>, path?: string): Promise<Run> {
  const dir = mkdtempSync(join(work, 'step-'));
  const files = { GITHUB_ENV: 'env', GITHUB_OUTPUT: 'output', GITHUB_STEP_SUMMARY: 'summary' } as const;
  for (const file of Object.values(files)) writeFileSync(join(dir, file), '');
  writeFileSync(join(dir, 'step.sh'), text);
  const runnerEnv = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, join(dir, f)]));
  // Asynchronous, so that a server of this process can answer the step.
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', join(dir, 'step.sh')], {
      cwd: dir,
      env: { PATH: path ? `${path}:${process.env.PATH}` : process.env.PATH, ...runnerEnv, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        env: readFileSync(join(dir, 'env'), 'utf8'),
        output: readFileSync(join(dir, 'output'), 'utf8'),
        summary: readFileSync(join(dir, 'summary'), 'utf8'),
      }),
    );
  });
}

/** NAME=value pairs of a GITHUB_ENV or GITHUB_OUTPUT file (both `k=v` and `k<<DELIM` forms). */
function runnerFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

describe('COMMAND_ENV: NAME=value lines for the commands', () => {
  const copies = [
    ['promote', 'promote'],
    ['canary', 'canary'],
    ['rollback', 'rollback'],
  ] as const;
  const loader = () => script('promote', 'promote', 'Export COMMAND_ENV to the commands');

  it('is the same script in promote, canary and rollback', () => {
    for (const [name, job] of copies)
      assert.equal(script(name, job, 'Export COMMAND_ENV to the commands'), loader(), `${name}.yml differs`);
  });

  it('exports each line, values masked, = and spaces inside values kept, CRLF, blanks and comments skipped', async () => {
    const run = await runStep(loader(), {
      COMMAND_ENV: 'DATABASE_URL=postgres://u:p@db/app?x=1\r\n\n# a comment\nKUBE_TOKEN=a b=c\nEMPTY=\n',
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(runnerFile(run.env), {
      DATABASE_URL: 'postgres://u:p@db/app?x=1',
      KUBE_TOKEN: 'a b=c',
      EMPTY: '',
    });
    assert.match(run.stdout, /^::add-mask::postgres:\/\/u:p@db\/app\?x=1$/m);
    assert.match(run.stdout, /^::add-mask::a b=c$/m);
    assert.doesNotMatch(run.stdout, /add-mask::$/m);
  });

  it('changes nothing when the secret is empty', async () => {
    const run = await runStep(loader(), { COMMAND_ENV: '' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.env, '');
  });

  it.each([
    ['a line without =', 'S3CR3T_NAME_ONLY'],
    ['a name that is not one', '1ST=s3cr3t'],
    ['a runner variable', 'GITHUB_TOKEN=s3cr3t'],
    ['an input of our actions', 'INPUT_IMAGE=s3cr3t'],
    ['PATH', 'PATH=/s3cr3t'],
    ['the command itself', 'COMMAND=s3cr3t'],
    ['the image the command acts on', 'IMAGE=s3cr3t@sha256:00'],
  ])('refuses %s, naming the line and not its value', async (_what, line) => {
    const run = await runStep(loader(), { COMMAND_ENV: `OK=1\n${line}` });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error title=COMMAND_ENV::line 2 /);
    assert.doesNotMatch(run.stdout + run.stderr, /s3cr3t/i);
  });
});

describe('rollback: which release', () => {
  const which = () => script('rollback', 'verify', 'Which release');
  const digest = `sha256:${'ab'.repeat(32)}`;
  const base = { REPOSITORY: 'ghcr.io/acme/app', TAG: 'prod', PREVIOUS_DIGEST: '', HISTORY: '1' };

  it.each([
    ['a digest, in the repository', { PREVIOUS_DIGEST: digest }, `ghcr.io/acme/app@${digest}`],
    ['a full reference', { PREVIOUS_DIGEST: `ghcr.io/acme/old@${digest}` }, `ghcr.io/acme/old@${digest}`],
    ['nothing: the release before the current one', {}, 'ghcr.io/acme/app:prod-prev-1'],
    ['history 2', { HISTORY: '2' }, 'ghcr.io/acme/app:prod-prev-2'],
  ])('%s', async (_what, env, ref) => {
    const run = await runStep(which(), { ...base, ...env });
    assert.equal(run.code, 0, run.stdout);
    assert.equal(runnerFile(run.output)['ref'], ref);
  });

  it.each([
    ['a short digest', { PREVIOUS_DIGEST: 'sha256:abc' }, 'previous-digest'],
    ['a tag instead of a digest', { PREVIOUS_DIGEST: 'ghcr.io/acme/app:v1' }, 'previous-digest'],
    ['history 0', { HISTORY: '0' }, 'history'],
  ])('refuses %s, naming the input', async (_what, env, input) => {
    const run = await runStep(which(), { ...base, ...env });
    assert.equal(run.code, 1);
    assert.match(run.stdout, new RegExp(`::error title=${input}::`));
    assert.equal(run.output, '');
  });
});

describe('rollback: summary and notification', () => {
  const report = () => script('rollback', 'notify', 'Report');
  let server: Server;
  let url: string;
  const posts: { body: string; type: string | undefined }[] = [];
  let status = 200;
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        posts.push({ body, type: req.headers['content-type'] });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const base = {
    VERIFIED: 'success',
    REDEPLOYED: 'success',
    SMOKE: 'success',
    IMAGE: `ghcr.io/acme/app@sha256:${'cd'.repeat(32)}`,
    ENVIRONMENT: 'production',
    REASON: 'p95 | doubled',
    ACTOR: 'octocat',
    RUN_URL: 'https://github.com/acme/app/actions/runs/1',
  };

  it('reports rolled-back, in the summary and to the webhook as {"text"}', async () => {
    posts.length = 0;
    status = 200;
    const run = await runStep(report(), { ...base, WEBHOOK_URL: url });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(runnerFile(run.output)['result'], 'rolled-back');
    assert.match(run.summary, /## Rollback of production: rolled-back/);
    assert.match(run.summary, /\| reason \| p95 \\\| doubled \|/);
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.type, 'application/json');
    const text = (JSON.parse(posts[0]!.body) as { text: string }).text;
    assert.match(text, /production rolled back to ghcr\.io\/acme\/app@sha256:cdcd/);
    assert.match(text, /reason: p95 \| doubled/);
    assert.match(text, /runs\/1/);
  });

  it('reports failed when a stage failed, and a smoke test without health-url as not configured', async () => {
    posts.length = 0;
    const failed = await runStep(report(), {
      ...base,
      VERIFIED: 'failure',
      REDEPLOYED: 'skipped',
      SMOKE: 'skipped',
      IMAGE: '',
      WEBHOOK_URL: url,
    });
    assert.equal(runnerFile(failed.output)['result'], 'failed');
    assert.match(
      (JSON.parse(posts[0]!.body) as { text: string }).text,
      /rollback of production failed \(verify: failure/,
    );
    const unsmoked = await runStep(report(), { ...base, SMOKE: 'skipped', WEBHOOK_URL: '' });
    assert.equal(runnerFile(unsmoked.output)['result'], 'rolled-back');
    assert.match(unsmoked.summary, /\| smoke test \| skipped \(no health-url\) \|/);
    assert.equal(posts.length, 1, 'no webhook, no post');
  });

  it('warns, and still reports, when the webhook refuses the post', async () => {
    posts.length = 0;
    status = 400;
    const run = await runStep(report(), { ...base, WEBHOOK_URL: url });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /::warning title=WEBHOOK_URL::/);
    assert.equal(runnerFile(run.output)['result'], 'rolled-back');
    assert.ok(!run.stdout.includes(url) && !run.stderr.includes('/hook'), 'the URL is not printed');
  });
});

describe('reverify: an issue per failing image', () => {
  const issue = () => script('reverify', 'issue', 'Open or update the issues');
  let bin: string;
  let log: string;
  beforeAll(() => {
    bin = mkdtempSync(join(work, 'bin-'));
    log = join(bin, 'calls');
    // gh as far as the script uses it: one issue already open for the first image. Each call is
    // logged as its arguments, NUL-separated, then an RS (bodies hold newlines).
    writeFileSync(
      join(bin, 'gh'),
      [
        '#!/bin/bash',
        `printf '%s\\0' "$@" >>"${log}"; printf '\\036' >>"${log}"`,
        'case "$1 $2" in',
        `  "issue list") echo '[{"number":7,"title":"Re-verification failed: ghcr.io/acme/app@sha256:1111"}]' ;;`,
        '  "issue create") echo "https://github.com/acme/app/issues/8" ;;',
        '  "issue comment") echo "https://github.com/acme/app/issues/$3#issuecomment-1" ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'gh'), 0o755);
  });
  const calls = () =>
    readFileSync(log, 'utf8')
      .split('\x1e')
      .filter(Boolean)
      .map((c) => c.split('\0').filter(Boolean));

  const results = [
    {
      image: 'ghcr.io/acme/app@sha256:1111',
      verified: false,
      scan: {
        counts: { total: 1, critical: 1, high: 0, medium: 0, low: 0, unknown: 0, none: 0 },
        gate: 'failed',
        failOn: 'high',
        failing: [
          {
            id: 'GHSA-aaaa',
            severity: 'critical',
            package: 'lodash',
            version: '4.17.20',
            fixedIn: ['4.17.21'],
          },
        ],
      },
      error: { code: 'GATE_FAILED', message: '1 finding at or above high' },
    },
    {
      image: 'ghcr.io/acme/worker@sha256:2222',
      verified: false,
      scan: null,
      error: { code: 'NO_SIGNATURE', message: 'no signature' },
    },
    { image: 'ghcr.io/acme/web@sha256:3333', verified: true, scan: null, error: null },
  ];
  const env = { GH_TOKEN: 't', GH_REPO: 'acme/app', LABELS: 'reverify, security', RUN_URL: 'https://run/1' };

  it('comments on the open issue of an image, opens one for another, and none for an image that passed', async () => {
    writeFileSync(log, '');
    const run = await runStep(issue(), { ...env, RESULTS: JSON.stringify(results), IMAGES: '' }, bin);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const made = calls();
    assert.deepEqual(
      made.filter((c) => c[0] === 'label').map((c) => c[2]),
      ['reverify', 'security'],
    );
    const comment = made.find((c) => c[1] === 'comment')!;
    assert.equal(comment[2], '7');
    const body = comment[comment.indexOf('--body') + 1]!;
    assert.match(body, /\*\*GATE_FAILED\*\*/);
    assert.match(body, /\| GHSA-aaaa \| critical \| `lodash` 4\.17\.20 \| 4\.17\.21 \|/);
    assert.match(body, /rebuild on patched dependencies/);
    const create = made.find((c) => c[0] === 'issue' && c[1] === 'create')!;
    assert.equal(
      create[create.indexOf('--title') + 1],
      'Re-verification failed: ghcr.io/acme/worker@sha256:2222',
    );
    assert.match(create[create.indexOf('--body') + 1]!, /\*\*NO_SIGNATURE\*\*[\s\S]*no longer verifies/);
    assert.deepEqual(
      create.filter((_, i) => create[i - 1] === '--label'),
      ['reverify', 'security'],
    );
    assert.equal(made.filter((c) => c[0] === 'issue' && c[1] !== 'list').length, 2);
    assert.deepEqual(runnerFile(run.output)['issues']!.split('\n'), [
      'https://github.com/acme/app/issues/7#issuecomment-1',
      'https://github.com/acme/app/issues/8',
    ]);
  });

  it('opens one per image, naming the run, when verify-image stopped before its results', async () => {
    writeFileSync(log, '');
    const run = await runStep(
      issue(),
      { ...env, LABELS: '', RESULTS: '', IMAGES: '  ghcr.io/acme/a@sha256:aa\n\nghcr.io/acme/b@sha256:bb ' },
      bin,
    );
    assert.equal(run.code, 0, run.stderr);
    const titles = calls()
      .filter((c) => c[0] === 'issue' && c[1] === 'create')
      .map((c) => c[c.indexOf('--title') + 1]);
    assert.deepEqual(titles, [
      'Re-verification failed: ghcr.io/acme/a@sha256:aa',
      'Re-verification failed: ghcr.io/acme/b@sha256:bb',
    ]);
  });
});

it('has bash, jq, curl and openssl, as GitHub-hosted runners do', () => {
  for (const tool of ['bash', 'jq', 'curl', 'openssl'])
    assert.equal(spawnSync('sh', ['-c', `command -v ${tool}`]).status, 0, `${tool} is not installed`);
});
