/**
 * The committed bundle with `dependency-snapshot: true`, run as the runner runs it with
 * GITHUB_API_URL pointed at a loopback stand-in of GitHub's dependency submission API
 * (`POST /repos/{owner}/{repo}/dependency-graph/snapshots`), which records each request and
 * answers 201 with a snapshot id, or 403 as GitHub does for a token without `contents: write`.
 * A directory gives one manifest per lockfile at its repository path; an image (on a loopback
 * docker-registry) one manifest named after it. A refusal is a warning naming the permission and
 * the step passes; the token is never printed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { makeImage, push } from '../images.ts';
import { DIST, runAction, type ActionRun } from './runner.ts';
import { useRegistry } from '../registry-fixture.ts';

const TOKEN = 'ghs_standInToken0123456789abcdefABCDEF';
const SHA = 'c27d339ee6075c1f744c5d4b200f7901aad2c369';

interface Submission {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

interface GitHubApi {
  url: string;
  submissions: Submission[];
  /** The status the next submissions get: 201 (accepted, id 4242) or a refusal. */
  answer: { status: number };
  stop: () => Promise<void>;
}

async function startGitHubApi(): Promise<GitHubApi> {
  const submissions: Submission[] = [];
  const answer = { status: 201 };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      submissions.push({
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: text ? JSON.parse(text) : {},
      });
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method !== 'POST' || req.url !== '/repos/acme/app/dependency-graph/snapshots')
        return json(404, { message: 'Not Found' });
      if (answer.status === 403)
        return json(403, {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/dependency-graph/dependency-submission',
        });
      json(201, {
        id: 4242,
        created_at: '2025-03-04T05:06:07Z',
        result: 'SUCCESS',
        message: 'Dependency results for the repo have been successfully updated.',
      });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    submissions,
    answer,
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}

const PACKAGE_LOCK = {
  name: 'web',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'web', version: '1.0.0', dependencies: { express: '^4.18.0' } },
    'node_modules/express': { version: '4.18.2', dependencies: { debug: '2.6.9' } },
    'node_modules/debug': { version: '2.6.9' },
  },
};

function assertRan(run: ActionRun, exitCode: number): void {
  assert.equal(run.exitCode, exitCode, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
}

function assertTokenNowhere(run: ActionRun): void {
  // `::add-mask::` is the masking itself: the runner takes it in and never shows it.
  const log = `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  assert.ok(!log.includes(TOKEN), 'the token is in the log');
  assert.ok(!run.summary.includes(TOKEN), 'the token is in the summary');
  assert.ok(!JSON.stringify(run.outputs).includes(TOKEN), 'the token is in the outputs');
}

describe('actions/sbom dist/index.js with dependency-snapshot (loopback GitHub API stand-in)', () => {
  let api: GitHubApi;
  const reg = useRegistry();
  const workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
  const services = join(workspace, 'services');
  const runs: ActionRun[] = [];

  beforeAll(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`);
    api = await startGitHubApi();
    mkdirSync(join(services, 'web'), { recursive: true });
    mkdirSync(join(services, 'api'), { recursive: true });
    writeFileSync(join(services, 'web', 'package-lock.json'), JSON.stringify(PACKAGE_LOCK));
    writeFileSync(join(services, 'api', 'requirements.txt'), 'requests==2.30.0\n');
  });
  afterAll(async () => {
    for (const r of runs) r.dispose();
    rmSync(workspace, { recursive: true, force: true });
    await api?.stop();
  });

  const env = () => ({
    GITHUB_API_URL: api.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_SHA: SHA,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKFLOW: 'release',
    GITHUB_RUN_ID: '42',
    GITHUB_WORKSPACE: workspace,
  });
  const snapshotInputs = {
    'dependency-snapshot': 'true',
    'github-token': TOKEN,
    scan: 'false',
    'upload-artifact': 'false',
  };

  it('submits a directory’s packages, one manifest per lockfile, and names the snapshot in the summary', async () => {
    api.submissions.length = 0;
    api.answer.status = 201;
    const started = Date.now();
    const r = await runAction({ path: services, ...snapshotInputs }, env());
    runs.push(r);
    assertRan(r, 0);
    assert.equal(api.submissions.length, 1);
    const [sent] = api.submissions;
    assert.equal(sent!.method, 'POST');
    assert.equal(sent!.path, '/repos/acme/app/dependency-graph/snapshots');
    assert.match(sent!.headers.authorization ?? '', new RegExp(`^(token|Bearer) ${TOKEN}$`));
    assert.match(sent!.headers['content-type'] ?? '', /^application\/json/);
    const body = sent!.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(body.version, 0);
    assert.equal(body.sha, SHA);
    assert.equal(body.ref, 'refs/heads/main');
    assert.deepEqual(body.job, {
      correlator: 'release_sbom_services',
      id: '42',
      html_url: 'https://github.com/acme/app/actions/runs/42',
    });
    assert.deepEqual(body.detector, {
      name: 'release-actions/sbom',
      version: 'unversioned',
      url: 'https://github.com/acme/app',
    });
    const scanned = Date.parse(body.scanned);
    assert.ok(scanned >= started - 1000 && scanned <= Date.now() + 1000, `scanned ${body.scanned}`);
    assert.deepEqual(Object.keys(body.manifests), [
      'services/api/requirements.txt',
      'services/web/package-lock.json',
    ]);
    assert.deepEqual(body.manifests['services/web/package-lock.json'], {
      name: 'services/web/package-lock.json',
      file: { source_location: 'services/web/package-lock.json' },
      resolved: {
        'pkg:npm/debug@2.6.9': {
          package_url: 'pkg:npm/debug@2.6.9',
          relationship: 'indirect',
          dependencies: [],
        },
        'pkg:npm/express@4.18.2': {
          package_url: 'pkg:npm/express@4.18.2',
          relationship: 'direct',
          dependencies: ['pkg:npm/debug@2.6.9'],
        },
      },
    });
    assert.deepEqual(Object.keys(body.manifests['services/api/requirements.txt'].resolved), [
      'pkg:pypi/requests@2.30.0',
    ]);
    assert.match(
      r.summary,
      /dependency graph<\/td><td>✅ submitted: snapshot <code>4242<\/code> \(2 manifest\(s\), 3 package\(s\)\)/,
    );
    assertTokenNowhere(r);
  });

  it('submits an image as one manifest named after it', async () => {
    api.submissions.length = 0;
    api.answer.status = 201;
    const store = reg.repo('acme/snap-app');
    const layers = [
      [
        {
          name: 'srv/app/node_modules/lodash/package.json',
          content: JSON.stringify({ name: 'lodash', version: '4.17.20' }),
        },
      ],
    ];
    await push(store, makeImage({ layers }), 'v1');
    const r = await runAction({ image: `${reg.registry.host}/acme/snap-app:v1`, ...snapshotInputs }, env());
    runs.push(r);
    assertRan(r, 0);
    assert.equal(api.submissions.length, 1);
    const body = api.submissions[0]!.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const name = `${reg.registry.host}/acme/snap-app`;
    assert.equal(body.job.correlator, `release_sbom_${name}`);
    assert.deepEqual(Object.keys(body.manifests), [name]);
    assert.equal(body.manifests[name].name, name);
    assert.equal(body.manifests[name].metadata.digest, r.outputs.digest);
    assert.deepEqual(Object.keys(body.manifests[name].resolved), ['pkg:npm/lodash@4.17.20']);
    assertTokenNowhere(r);
  });

  it('warns naming contents: write when GitHub refuses, and the step passes', async () => {
    api.submissions.length = 0;
    api.answer.status = 403;
    const r = await runAction({ path: services, ...snapshotInputs }, env());
    runs.push(r);
    assertRan(r, 0);
    assert.equal(api.submissions.length, 1);
    assert.match(
      r.stdout,
      /^::warning::dependency-snapshot: GitHub refused the dependency snapshot \(403: Resource not accessible by integration.*permissions: contents: write/m,
    );
    assert.doesNotMatch(r.stdout, /^::error::/m);
    assert.match(
      r.summary,
      /dependency graph<\/td><td>⚠️ refused: GitHub refused the dependency snapshot \(403/,
    );
    assertTokenNowhere(r);
  });

  it('submits nothing without dependency-snapshot, and needs github-token with it', async () => {
    api.submissions.length = 0;
    const off = await runAction(
      { path: services, scan: 'false', 'upload-artifact': 'false', 'github-token': TOKEN },
      env(),
    );
    runs.push(off);
    assertRan(off, 0);
    assert.equal(api.submissions.length, 0);
    assert.doesNotMatch(off.summary, /dependency graph/);
    const noToken = await runAction({ path: services, ...snapshotInputs, 'github-token': '' }, env());
    runs.push(noToken);
    assertRan(noToken, 1);
    assert.match(
      noToken.stdout,
      /^::error::.*input "github-token": is required with dependency-snapshot: true/m,
    );
    assert.equal(api.submissions.length, 0);
  });
});
