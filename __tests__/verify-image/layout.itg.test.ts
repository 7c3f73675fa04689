/**
 * verify-image on an OCI image layout (`image: oci-layout:<dir>[:tag|@digest]`), through the
 * committed bundle run as the runner runs it: an image signed in the layout by `signImage` (any
 * ImageStore), by tag, by digest, and untagged (the layout's only image, never `latest`); a layout
 * with two images refuses the untagged reference, listing the tags; the scan gate works there too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { LayoutStore } from '@release-actions/shared/oci';
import { attestSbom, generateSbom } from '@release-actions/shared/sbom';
import { createKeySigner, signImage } from '@release-actions/shared/sign';
import { distOf, runAction, type ActionRun } from '../action-runner.ts';
import { makeImage, push } from '../images.ts';
import { newKey, pem } from '../verify/fixtures.ts';

const DIST = distOf('verify-image');
const OSV_DB = resolve('__tests__/scan/fixtures/osv');

function assertRan(run: ActionRun, exitCode: number): void {
  assert.equal(run.exitCode, exitCode, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
}
const resultOf = (run: ActionRun) =>
  (JSON.parse(run.outputs.results!) as Array<{ error: { code: string; message: string } | null }>)[0]!;

describe('verify-image on an OCI image layout (committed dist/)', () => {
  let dir: string;
  const key = newKey();
  const signer = createKeySigner(key);
  const sign = (store: LayoutStore, digest: string) =>
    signImage({
      store,
      image: { registry: 'example.com', repository: 'app' },
      digest,
      signer,
      format: 'both',
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-image-layout-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies a signed image in a layout by tag, by digest, and untagged (its only image)', async () => {
    const path = join(dir, 'one');
    const store = await LayoutStore.open(path, { create: true });
    const { digest } = await push(store, makeImage({ layers: [64] }), 'v1');
    await sign(store, digest);
    for (const image of [`oci-layout:${path}:v1`, `oci-layout:${path}@${digest}`, `oci-layout:${path}`]) {
      const run = await runAction(DIST, { image, key: pem(key), 'expected-digest': digest });
      assertRan(run, 0);
      assert.equal(run.outputs.verified, 'true');
      assert.equal(run.outputs.digest, digest);
      assert.equal(run.outputs.image, `oci-layout:${path}@${digest}`);
    }
    // Another key's trust refuses it: the layout is verified, not merely read.
    const other = await runAction(DIST, { image: `oci-layout:${path}`, key: pem(newKey()) });
    assertRan(other, 1);
    assert.equal(resultOf(other).error?.code, 'UNTRUSTED_KEY');
  });

  it('an untagged layout with two images fails listing its tags; a tag still picks one', async () => {
    const path = join(dir, 'two');
    const store = await LayoutStore.open(path, { create: true });
    const a = await push(store, makeImage({ layers: [64] }), 'latest');
    const b = await push(store, makeImage({ layers: [64] }), 'v2');
    await sign(store, a.digest);
    await sign(store, b.digest);
    const run = await runAction(DIST, { image: `oci-layout:${path}`, key: pem(key) });
    assertRan(run, 1);
    assert.equal(run.outputs.verified, 'false');
    const { error } = resultOf(run);
    assert.equal(error?.code, 'INVALID_REFERENCE');
    assert.ok(error!.message.includes(`latest (${a.digest})`), error!.message);
    assert.ok(error!.message.includes(`v2 (${b.digest})`), error!.message);
    assert.match(run.summary, /INVALID_REFERENCE/);

    const tagged = await runAction(DIST, { image: `oci-layout:${path}:v2`, key: pem(key) });
    assertRan(tagged, 0);
    assert.equal(tagged.outputs.digest, b.digest);
  });

  it('a layout that does not exist is LAYOUT_ERROR; registry credentials are refused for a layout', async () => {
    const missing = await runAction(DIST, { image: `oci-layout:${join(dir, 'nope')}`, key: pem(key) });
    assertRan(missing, 1);
    assert.equal(resultOf(missing).error?.code, 'LAYOUT_ERROR');
    const creds = await runAction(DIST, {
      image: `oci-layout:${join(dir, 'one')}`,
      key: pem(key),
      username: 'ci',
      password: 'secret-secret',
    });
    assertRan(creds, 1);
    assert.match(creds.stdout, /input "username": an oci-layout: image needs no registry credentials/);
  });

  it('scans the trusted SBOM attestation of an image in a layout', async () => {
    const path = join(dir, 'scanned');
    const store = await LayoutStore.open(path, { create: true });
    const { digest } = await push(
      store,
      makeImage({
        layers: [
          [
            { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
            {
              name: 'var/lib/dpkg/status',
              content:
                'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9\n\n',
            },
          ],
        ],
      }),
      'v1',
    );
    await sign(store, digest);
    const sbom = await generateSbom({ store, reference: digest });
    await attestSbom({
      store,
      name: store.name,
      digest,
      signer,
      format: 'bundle',
      documents: [{ format: 'spdx-json', document: sbom.spdx }],
    });
    const run = await runAction(DIST, {
      image: `oci-layout:${path}`,
      key: pem(key),
      scan: 'true',
      'osv-db': OSV_DB,
    });
    assertRan(run, 1);
    const { error } = resultOf(run);
    assert.equal(error?.code, 'GATE_FAILED');
    assert.match(error!.message, /DSA-9001-1 in libc6@2\.36-9 \(critical/);
  });
});
