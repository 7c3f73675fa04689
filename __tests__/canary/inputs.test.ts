/** actions/canary inputs: everything is checked before any request, weight change or load. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, it } from '@jest/globals';
import { getInputs } from '../../actions/canary/src/context.ts';
import { captureStdout, inputProblems, setInputs } from '../inputs.ts';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const PUBLIC_KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const base = (more: Record<string, string> = {}) => ({
  image: `ghcr.io/acme/app@${DIGEST}`,
  key: PUBLIC_KEY,
  traffic: 'command',
  'set-weight-command': 'echo "$CANARY_WEIGHT"',
  'load-url': 'http://127.0.0.1:8082/healthz',
  ...more,
});
const problems = (inputs: Record<string, string>) =>
  inputProblems(getInputs, inputs).map((p) => `${p.input}: ${p.message}`);

afterEach(() => setInputs({}));

describe('canary inputs', () => {
  it('applies the documented defaults', () => {
    setInputs(
      base({
        key: '',
        'certificate-identity': 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
        'certificate-oidc-issuer': 'https://token.actions.githubusercontent.com',
      }),
    );
    const inputs = getInputs();
    assert.deepEqual(inputs.plan, {
      steps: [10, 50, 100],
      stepDurationMs: 30_000,
      intervalMs: 5_000,
      failureLimit: 0,
    });
    assert.deepEqual(inputs.load, {
      urls: ['http://127.0.0.1:8082/healthz'],
      rate: 20,
      maxErrorRate: 0.2,
      maxP95Ms: 300,
      minRequests: 10,
      baselineUrls: [],
      compare: 'none',
    });
    assert.equal(inputs['fail-on-rollback'], true);
    assert.equal(inputs.skip, undefined);
    assert.deepEqual(inputs['issue-labels'], ['canary', 'rollback']);
  });

  it('names every input at fault at once', () => {
    assert.deepEqual(
      problems(base({ image: 'ghcr.io/acme/app:v2', steps: '10,abc', interval: '5', 'load-rate': '0' })).map(
        (p) => p.split(':')[0],
      ),
      ['image', 'steps', 'interval', 'load-rate'],
    );
    assert.match(problems(base({ steps: '10,abc' }))[0]!, /^steps: "abc" is not a whole percentage/);
    assert.match(problems(base({ image: 'ghcr.io/acme/app:v2' }))[0]!, /has no digest: give it by digest/);
  });

  it('each traffic kind names what it needs', () => {
    assert.deepEqual(
      problems(base({ traffic: 'haproxy' })).map((p) => p.split(':')[0]),
      ['haproxy-socket', 'haproxy-backend'],
    );
    assert.deepEqual(
      problems(base({ traffic: 'nginx' })).map((p) => p.split(':')[0]),
      ['nginx-config', 'nginx-canary-server', 'nginx-stable-server'],
    );
    assert.deepEqual(
      problems(base({ 'set-weight-command': '' })).map((p) => p.split(':')[0]),
      ['set-weight-command'],
    );
    assert.match(
      problems(base({ traffic: 'istio' }))[0]!,
      /^traffic: "istio" is not one of haproxy, nginx, command/,
    );
  });

  it('refuses a step shorter than one window, break-glass without a reason, and nothing to analyse', () => {
    assert.match(
      problems(base({ 'step-duration': '2s', interval: '5s' }))[0]!,
      /^step-duration: .*shorter than one interval/,
    );
    assert.match(problems(base({ skip: 'true' }))[0]!, /^skip-reason: is required with skip: true/);
    assert.match(problems(base({ 'load-url': '' }))[0]!, /^load-url: nothing would be analysed/);
    setInputs(base({ 'load-url': '', skip: 'true', 'skip-reason': 'INC-42 hotfix' }));
    assert.deepEqual(getInputs().skip, { reason: 'INC-42 hotfix' });
  });

  it('checks what the rollback and the comparison need', () => {
    assert.match(
      problems(base({ 'rollback-command': 'kubectl rollout undo deploy/app' }))[0]!,
      /^previous-image: is required with rollback-command/,
    );
    assert.match(
      problems(base({ compare: 'mann-whitney' }))[0]!,
      /^baseline-url: is required with compare mann-whitney/,
    );
    assert.match(
      problems(base({ 'previous-image': 'ghcr.io/acme/app:v1' }))[0]!,
      /^previous-image: .*has no digest/,
    );
    assert.match(
      problems(base({ metrics: '- name: x\n  query: up\n  max: 1' }))[0]!,
      /^prometheus-url: is required with metrics/,
    );
  });

  it('refuses a baseline without the comparison, and a Prometheus metric named like a load metric', () => {
    assert.match(
      problems(base({ 'baseline-url': 'http://127.0.0.1:8081/' }))[0]!,
      /^baseline-url: is only used with compare: mann-whitney/,
    );
    assert.match(
      problems(
        base({ 'prometheus-url': 'http://127.0.0.1:9090', metrics: '- name: p95\n  query: up\n  max: 1' }),
      )[0]!,
      /^metrics: p95: the built-in load's metric names/,
    );
  });

  it('masks the webhook URL, and never quotes it in an error', async () => {
    const secret = 'hooks.slack.example/services/T000/B000/XXXXSECRET';
    const { output } = await captureStdout(() => {
      const found = problems(base({ 'webhook-url': `ftp://${secret}` }));
      assert.equal(found.length, 1);
      assert.match(found[0]!, /^webhook-url: is not an http\(s\) URL \(it is not shown/);
      assert.ok(!found[0]!.includes(secret));
    });
    assert.ok(output.includes(`::add-mask::ftp://${secret}`));
  });
});
