/** Rollback's order and refusals, and what the notifications say. */
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { issueContent, rollBack, webhookBody, type CanaryNotice } from '@release-actions/shared/canary';
import { VerifyError } from '@release-actions/shared/verify';

const PREVIOUS = `ghcr.io/acme/app@sha256:${'b'.repeat(64)}`;

describe('rollBack', () => {
  it('verifies the previous image, then redeploys it, then smoke-tests it', async () => {
    const calls: string[] = [];
    const report = await rollBack({
      previousImage: PREVIOUS,
      verify: async (image) => void calls.push(`verify ${image}`),
      redeploy: async (image) => void calls.push(`redeploy ${image}`),
      smoke: async () => {
        calls.push('smoke');
        return { healthy: true, detail: '1 URL healthy' };
      },
    });
    assert.deepEqual(calls, [`verify ${PREVIOUS}`, `redeploy ${PREVIOUS}`, 'smoke']);
    assert.deepEqual(report, {
      previousImage: PREVIOUS,
      verified: true,
      redeployed: true,
      smoke: { healthy: true, detail: '1 URL healthy' },
    });
  });

  it('an unverifiable previous image is not redeployed, and the report says why', async () => {
    let redeployed = false;
    const report = await rollBack({
      previousImage: PREVIOUS,
      verify: async () => {
        throw new VerifyError('NO_SIGNATURE', 'no signature of the trusted key');
      },
      redeploy: async () => {
        redeployed = true;
      },
    });
    assert.equal(redeployed, false);
    assert.equal(report.verified, false);
    assert.deepEqual(report.verifyError, {
      code: 'NO_SIGNATURE',
      message: 'no signature of the trusted key',
    });
  });

  it('without a previous image nothing is verified or redeployed; a failed redeploy skips the smoke test', async () => {
    assert.deepEqual(
      await rollBack({ previousImage: undefined, verify: async () => assert.fail('no verify') }),
      {
        previousImage: undefined,
        verified: undefined,
        redeployed: false,
      },
    );
    const failed = await rollBack({
      previousImage: PREVIOUS,
      verify: async () => undefined,
      redeploy: async () => {
        throw new Error('kubectl exited 1');
      },
      smoke: async () => assert.fail('no smoke test after a failed redeploy'),
    });
    assert.equal(failed.redeployed, false);
    assert.equal(failed.redeployError, 'kubectl exited 1');
  });
});

describe('notifications', () => {
  const notice: CanaryNotice = {
    result: 'rolled-back',
    image: `ghcr.io/acme/app@sha256:${'c'.repeat(64)}`,
    failedCheck: 'error-rate',
    reason: 'error-rate 4.8% > 0.2% in step 1 (10%), window 1',
    detectedAfterMs: 5_020,
    rolledBackTo: PREVIOUS,
    repository: 'acme/app',
    runUrl: 'https://github.com/acme/app/actions/runs/42',
  };

  it('the webhook body has the text Slack and Teams show, and the facts as fields', () => {
    const body = webhookBody(notice);
    assert.equal(
      body.text,
      [
        '⏪ acme/app: canary rolled back',
        `Image: ${notice.image}`,
        'Failed check: error-rate',
        'Why: error-rate 4.8% > 0.2% in step 1 (10%), window 1',
        'Detected after: 5s of canary traffic',
        `Rolled back to: ${PREVIOUS}`,
        'Run: https://github.com/acme/app/actions/runs/42',
      ].join('\n'),
    );
    assert.deepEqual(body.canary, {
      result: 'rolled-back',
      image: notice.image,
      failedCheck: 'error-rate',
      reason: notice.reason,
      detectedAfterMs: 5_020,
      rolledBackTo: PREVIOUS,
      runUrl: notice.runUrl,
    });
  });

  it('break-glass: the reason is in every notification', () => {
    const skipped: CanaryNotice = {
      result: 'skipped',
      image: notice.image,
      skipReason: 'INC-123: hotfix for outage',
    };
    assert.match(String(webhookBody(skipped).text), /Break-glass reason: INC-123: hotfix for outage/);
    assert.match(issueContent(skipped).body, /Break-glass reason: INC-123: hotfix for outage/);
  });

  it('the issue names the digest and the failed check, with the figures', () => {
    const { title, body } = issueContent({
      ...notice,
      figures: ['error-rate 4.8% > 0.2%', 'p95 120 ms ≤ 300 ms'],
    });
    assert.equal(title, 'Canary rolled back: sha256:cccccccccccc (error-rate)');
    assert.match(body, /### Figures\n\n- error-rate 4\.8% > 0\.2%\n- p95 120 ms ≤ 300 ms/);
    assert.match(body, /Rolled back to: ghcr\.io\/acme\/app@sha256:b{64}/);
  });
});
