/**
 * The runner-side kit: runAction as the runner sees it (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, the exit
 * code and the workflow commands on stdout), the masking helpers and the registry-client factory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, it } from '@jest/globals';
import * as core from '@actions/core';
import { createRegistryClient, maskSecret, runAction, sameLogin } from '@release-actions/action-kit';
import { InputError } from '@release-actions/shared/github';
import { OciError } from '@release-actions/shared/oci';
import { parseOutputFile } from '../action-runner.ts';
import { captureStdout } from '../inputs.ts';

// One pair of runner files for the whole file: core.summary remembers the summary path it first saw.
const dir = mkdtempSync(join(tmpdir(), 'kit-'));
const saved = { ...process.env };

beforeEach(() => {
  process.env.GITHUB_OUTPUT = join(dir, 'output');
  process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary.md');
  writeFileSync(process.env.GITHUB_OUTPUT, '');
  writeFileSync(process.env.GITHUB_STEP_SUMMARY, '');
  core.summary.emptyBuffer();
});

afterEach(() => {
  process.exitCode = 0;
  process.env = { ...saved };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const outputs = () => parseOutputFile(readFileSync(process.env.GITHUB_OUTPUT!, 'utf8'));
const summary = () => readFileSync(process.env.GITHUB_STEP_SUMMARY!, 'utf8');

describe('runAction', () => {
  it('sets outputs and logs them as they are: a newline list stays a newline list', async () => {
    const { output } = await captureStdout(() =>
      runAction({
        name: 'demo',
        getInputs: () => ({ tags: ['v1', 'latest'] }),
        main: async (inputs, run) => {
          await run.phase('Tagging', () => undefined);
          run.output('tags', inputs.tags.join('\n'));
          run.output('count', 2);
          await run.summary(() => core.summary.addRaw('all good').write());
        },
      }),
    );
    assert.equal(process.exitCode ?? 0, 0);
    assert.deepEqual(outputs(), { tags: 'v1\nlatest', count: '2' });
    assert.match(output, /^output tags:\nv1\nlatest$/m);
    assert.match(output, /^output count: 2$/m);
    assert.match(output, /^::group::Tagging$/m);
    assert.equal(summary(), 'all good');
  });

  it('on a thrown error: fails the step with its code, sets the failure outputs, and writes a summary of what was attempted, what failed and the fix', async () => {
    let closed = false;
    const { output } = await captureStdout(() =>
      runAction({
        name: 'verify-image',
        getInputs: () => ({}),
        failureOutputs: { verified: false },
        main: async (_inputs, run) => {
          run.defer(() => {
            closed = true;
          });
          await run.phase('Resolving the image', () => undefined);
          core.summary.addRaw('half a table that must not be written');
          await run.phase('Verifying <img>', () => {
            throw new OciError('UNAUTHORIZED', 'ghcr.io/acme/app refused manifest latest');
          });
          await run.phase('Never reached', () => undefined);
        },
      }),
    );
    assert.equal(process.exitCode, 1);
    assert.match(output, /^::error::UNAUTHORIZED: ghcr\.io\/acme\/app refused manifest latest$/m);
    assert.deepEqual(outputs(), { verified: 'false' });
    assert.ok(closed, 'deferred closers run on failure');
    const text = summary();
    assert.match(text, /## ❌ verify-image failed/);
    assert.match(text, /<code>UNAUTHORIZED<\/code>/);
    assert.match(text, /ghcr\.io\/acme\/app refused manifest latest/);
    assert.match(text, /Fix<\/th><td>Give credentials for the registry/);
    assert.match(text, /\| ✅ \| Resolving the image \|/);
    assert.match(text, /\| ❌ \| Verifying &lt;img&gt; \|/, 'phase titles are escaped');
    assert.doesNotMatch(text, /Never reached/);
    assert.doesNotMatch(text, /half a table/);
  });

  it('an error that carries its own fix shows that fix', async () => {
    const err = Object.assign(new Error('the canary is unhealthy'), {
      fix: 'Roll back by hand: see docs/canary.md',
    });
    await captureStdout(() =>
      runAction({
        name: 'canary',
        getInputs: () => ({}),
        main: async () => {
          throw err;
        },
      }),
    );
    assert.match(summary(), /<code>ERROR<\/code>/);
    assert.match(summary(), /Fix<\/th><td>Roll back by hand: see docs\/canary\.md/);
  });

  it('refused inputs: every input at fault in the summary, nothing attempted, main never called', async () => {
    let called = false;
    const { output } = await captureStdout(() =>
      runAction({
        name: 'promote',
        getInputs: () => {
          throw new InputError([
            { input: 'tags', message: '"bad tag!" is not a valid tag' },
            { input: 'to', message: 'is required' },
          ]);
        },
        main: async () => {
          called = true;
        },
      }),
    );
    assert.equal(called, false);
    assert.equal(process.exitCode, 1);
    assert.match(output, /^::error::2 inputs are invalid/m);
    const text = summary();
    assert.match(
      text,
      /input &quot;tags&quot;: &quot;bad tag!&quot; is not a valid tag<br>input &quot;to&quot;: is required/,
    );
    assert.match(text, /Nothing was attempted: the inputs were refused first\./);
    assert.match(text, /Correct the inputs named above/);
  });

  it('refused inputs with a library error behind them show its code and its fix', async () => {
    await captureStdout(() =>
      runAction({
        name: 'build-sign',
        getInputs: () => {
          throw new InputError([
            { input: 'cosign-password', message: 'does not decrypt cosign-key', code: 'WRONG_PASSWORD' },
          ]);
        },
        main: async () => undefined,
      }),
    );
    assert.match(summary(), /<code>INVALID_INPUT \(WRONG_PASSWORD\)<\/code>/);
    assert.match(
      summary(),
      /Fix<\/th><td>Pass the password the key was encrypted with in `cosign-password`\./,
    );
  });

  it('run.fail fails the step after main, keeping the summary main wrote', async () => {
    await captureStdout(() =>
      runAction({
        name: 'health-check',
        getInputs: () => ({}),
        main: async (_inputs, run) => {
          run.output('healthy', false);
          await run.summary(() => core.summary.addRaw('1 of 2 unhealthy').write());
          run.fail('1 of 2 URL(s) unhealthy');
        },
      }),
    );
    assert.equal(process.exitCode, 1);
    assert.equal(summary(), '1 of 2 unhealthy');
    assert.deepEqual(outputs(), { healthy: 'false' });
  });

  it('a summary that cannot be written is a warning, not the step failing', async () => {
    const { output } = await captureStdout(() =>
      runAction({
        name: 'sbom',
        getInputs: () => ({}),
        main: async (_inputs, run) => {
          await run.summary(async () => {
            throw new Error('disk full');
          });
        },
      }),
    );
    assert.equal(process.exitCode ?? 0, 0);
    assert.match(output, /^::warning::job summary not written: disk full$/m);
  });
});

describe('maskSecret', () => {
  it('masks the value and each line of a multi-line secret, leaving PEM armour alone', async () => {
    const key =
      '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6\nc2NyeXB0IiwicGFyYW1z\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----';
    const { output } = await captureStdout(() => maskSecret(key));
    const masks = [...output.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]);
    assert.ok(masks.includes('eyJrZGYiOnsibmFtZSI6'));
    assert.ok(masks.includes('c2NyeXB0IiwicGFyYW1z'));
    assert.ok(
      !masks.some((m) => m?.startsWith('-----') && !m.includes('%0A')),
      'armour lines are not masked alone',
    );
    const none = await captureStdout(() => maskSecret(''));
    assert.equal(none.output, '');
  });
});

describe('createRegistryClient', () => {
  it('gives explicit logins per registry and the github-token for ghcr.io only', async () => {
    const client = createRegistryClient({
      credentials: sameLogin(['localhost:5000', 'localhost:5000', 'registry.example'], 'ci', 'pw'),
      githubToken: 'ghs_input',
      logger: { debug() {}, info() {}, warning() {} },
    });
    try {
      assert.deepEqual(await client.credentials?.resolve('localhost:5000'), {
        username: 'ci',
        password: 'pw',
      });
      assert.deepEqual(await client.credentials?.resolve('registry.example'), {
        username: 'ci',
        password: 'pw',
      });
      const ghcr = await client.credentials?.resolve('ghcr.io');
      assert.ok(ghcr && 'password' in ghcr && ghcr.password === 'ghs_input');
    } finally {
      await client.http.close();
    }
    assert.deepEqual(sameLogin(['a'], '', 'pw'), []);
  });
});
