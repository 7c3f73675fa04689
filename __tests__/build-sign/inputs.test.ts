/** actions/build-sign inputs: parsed and validated from `INPUT_*` as the runner sets them. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { HttpClient } from '@release-actions/shared';
import { InputError } from '@release-actions/shared/github';
import { generateKeyPair, KEY_REFERENCE_SCHEMES, type GeneratedKeyPair } from '@release-actions/shared/sign';
import { getInputs } from '../../actions/build-sign/src/context.ts';
import { setUpSigning } from '../../actions/build-sign/src/signer.ts';
import { captureStdout, inputProblems, setInputs } from '../inputs.ts';

const problems = (inputs: Record<string, string>) =>
  inputProblems(getInputs, inputs).map((p) => `${p.input}: ${p.message}`);

const PEM =
  '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n';

describe('build-sign inputs', () => {
  afterEach(() => setInputs({}));

  it('defaults: buildx, keyless, both formats, provenance, public-good Sigstore', () => {
    setInputs({ tags: 'ghcr.io/acme/app:v1' });
    const inputs = getInputs();
    assert.equal(inputs.builder, 'buildx');
    assert.equal(inputs.signing, 'keyless');
    assert.equal(inputs['signature-format'], 'both');
    assert.equal(inputs.provenance, true);
    assert.equal(inputs.context, '.');
    assert.equal(inputs['fulcio-url'], 'https://fulcio.sigstore.dev');
    assert.equal(inputs['rekor-url'], 'https://rekor.sigstore.dev');
    assert.equal(inputs['tsa-url'], undefined);
    assert.deepEqual(
      inputs.tags.map((t) => [t.registry, t.repository, t.tag]),
      [['ghcr.io', 'acme/app', 'v1']],
    );
  });

  it('reads tags relative to image, pairs, platforms and annotations', () => {
    setInputs({
      builder: 'buildah',
      image: 'localhost:5000/acme/app',
      tags: 'v1,latest\nlocalhost:5000/acme/app:sha-1',
      'build-args': 'A=1\nNOTE=x, y = z',
      labels: 'org.opencontainers.image.source=https://github.com/acme/app',
      platforms: 'linux/amd64, linux/arm64/v8',
      annotations: 'team=release',
      'buildah-storage-driver': 'vfs',
      'buildah-isolation': 'chroot',
    });
    const inputs = getInputs();
    assert.deepEqual(
      inputs.tags.map((t) => t.tag),
      ['v1', 'latest', 'sha-1'],
    );
    assert.deepEqual(inputs['build-args'], [
      ['A', '1'],
      ['NOTE', 'x, y = z'],
    ]);
    assert.deepEqual(inputs.platforms, ['linux/amd64', 'linux/arm64/v8']);
    assert.deepEqual(inputs.annotations, { team: 'release' });
    assert.equal(inputs['buildah-isolation'], 'chroot');
  });

  it('reports every bad input at once, each with its fix', () => {
    assert.deepEqual(
      problems({
        builder: 'kaniko',
        signing: 'key',
        'signature-format': 'v2',
        provenance: 'yes',
        platforms: 'amd64',
      }).map((p) => p.split(':')[0]),
      ['builder', 'platforms', 'signature-format', 'provenance', 'cosign-key'],
    );
    assert.match(
      problems({ tags: 'ghcr.io/a/b:v1,docker.io/a/b:v1' })[0]!,
      /^tags: "docker.io\/a\/b:v1" is not in ghcr.io\/a\/b/,
    );
    assert.match(problems({ tags: 'v1' })[0]!, /^tags: "v1" is a bare tag: set image/);
    assert.match(problems({ image: 'ghcr.io/a/b:v1', tags: 'v2' })[0]!, /^image: .*has a tag or digest/);
    assert.match(problems({ builder: 'none' })[0]!, /^image: is required with builder none/);
    assert.match(
      problems({ builder: 'none', image: 'ghcr.io/a/b:v1', tags: 'v2' })[0]!,
      /^tags: are not set with builder none/,
    );
    assert.match(
      problems({ builder: 'none', image: 'ghcr.io/a/b:v1', 'build-args': 'A=1' })[0]!,
      /^build-args: applies to a build/,
    );
    assert.match(
      problems({ tags: 'ghcr.io/a/b:v1', 'buildah-isolation': 'chroot' })[0]!,
      /^buildah-isolation: applies to builder buildah only/,
    );
    assert.match(
      problems({ tags: 'ghcr.io/a/b:v1', 'cosign-key': PEM })[0]!,
      /^cosign-key: is set but signing is keyless/,
    );
    assert.match(
      problems({ tags: 'ghcr.io/a/b:v1', signing: 'key', 'cosign-key': './no-such/cosign.key' })[0]!,
      /^cosign-key: cannot read the key file "\.\/no-such\/cosign\.key" \(ENOENT\)/,
    );
    assert.match(
      problems({ tags: 'ghcr.io/a/b:v1', username: 'u' })[0]!,
      /^password: is required with username/,
    );
    assert.match(
      problems({ tags: 'ghcr.io/a/b:v1', 'fulcio-url': 'fulcio' })[0]!,
      /^fulcio-url: "fulcio" is not a URL/,
    );
    assert.match(
      problems({ tags: 'ghcr.io/a/b:v1', 'build-args': 'NOVALUE' })[0]!,
      /^build-args: "NOVALUE" is not NAME=value/,
    );
  });

  it('refuses a tag that is not valid before anything is built or pushed, naming the input and the rule', () => {
    for (const [tags, bad] of [
      ['v1,bad tag!', 'bad tag!'],
      ['v1!', 'v1!'],
      ['-v1', '-v1'],
      ['x'.repeat(129), 'x'.repeat(129)],
      ['ghcr.io/a/b:bad!', 'bad!'],
    ]) {
      const found = problems({ image: 'ghcr.io/a/b', tags: tags! });
      assert.equal(found.length, 1, found.join('\n'));
      assert.ok(found[0]!.startsWith('tags: '), found[0]);
      assert.ok(
        found[0]!.includes(`"${bad}" is not valid`) || found[0]!.includes(`"${bad}" is not a valid tag`),
        found[0],
      );
      assert.ok(found[0]!.includes('[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'), `${found[0]} names the rule`);
    }
  });

  it('masks every secret the moment it is read, the key line by line too', async () => {
    setInputs({
      tags: 'ghcr.io/a/b:v1',
      signing: 'key',
      'cosign-key': PEM,
      'cosign-password': 'pw-123456789',
      username: 'octocat',
      password: 'registry-pass-1',
      'github-token': 'ghs_token123456',
    });
    const { output } = await captureStdout(() => getInputs());
    for (const secret of [
      'pw-123456789',
      'registry-pass-1',
      'ghs_token123456',
      'eyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==',
    ])
      assert.ok(output.includes(`::add-mask::${secret}`), `${secret} not masked`);
    assert.ok(!output.includes('::add-mask::octocat'), 'a user name is not a secret');
  });
});

describe('build-sign key inputs', () => {
  let dir: string;
  let pair: GeneratedKeyPair;
  const http = new HttpClient();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'build-sign-key-'));
    pair = await generateKeyPair('right password', { scryptN: 32768 });
    writeFileSync(join(dir, 'cosign.key'), pair.privateKeyPem);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await http.close();
  });
  afterEach(() => setInputs({}));
  const keyed = (more: Record<string, string>) => ({
    builder: 'none',
    image: 'localhost:5000/acme/app:v1',
    signing: 'key',
    provenance: 'false',
    ...more,
  });

  it('takes cosign-key as the path of cosign.key, masking its contents', async () => {
    setInputs(keyed({ 'cosign-key': join(dir, 'cosign.key'), 'cosign-password': 'right password' }));
    const { result: inputs, output } = await captureStdout(() => getInputs());
    assert.equal(inputs['cosign-key']?.trim(), pair.privateKeyPem.trim());
    const line = pair.privateKeyPem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'))!;
    assert.ok(output.includes(`::add-mask::${line}`), 'the key read from the file is masked');
    const setup = await setUpSigning(inputs, http, {});
    assert.match(setup.describe, /^key sha256:[0-9a-f]{64}$/);
  });

  it('refuses KMS and other key references as not supported yet, naming cosign-key', () => {
    for (const { prefix, kind } of KEY_REFERENCE_SCHEMES) {
      const found = inputProblems(getInputs, keyed({ 'cosign-key': `${prefix}release/cosign` }));
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.equal(found[0]!.input, 'cosign-key');
      assert.equal(found[0]!.code, 'KEY_REFERENCE_UNSUPPORTED');
      assert.match(
        found[0]!.message,
        kind === 'kms' ? /KMS keys are not supported yet/ : /not supported yet/,
      );
      assert.doesNotMatch(found[0]!.message, /not a path|not a PEM|cannot read/);
    }
  });

  it('names cosign-password when it does not decrypt the key, before anything is built', async () => {
    for (const password of ['wrong password', '']) {
      setInputs(keyed({ 'cosign-key': pair.privateKeyPem, 'cosign-password': password }));
      const inputs = getInputs();
      await assert.rejects(setUpSigning(inputs, http, {}), (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        assert.deepEqual(
          err.problems.map((p) => [p.input, p.code]),
          [['cosign-password', 'WRONG_PASSWORD']],
        );
        assert.match(err.message, /^input "cosign-password": /);
        return true;
      });
    }
  });
});
