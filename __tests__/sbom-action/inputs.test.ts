import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, it } from '@jest/globals';
import { HttpClient } from '@release-actions/shared';
import { InputError } from '@release-actions/shared/github';
import { parseReference } from '@release-actions/shared/oci';
import { SCAN_INPUTS } from '@release-actions/shared/scan/inputs';
import { generateKeyPair, KEY_REFERENCE_SCHEMES, publicKeyToPem } from '@release-actions/shared/sign';
import { defaultArtifactName, uploadFiles, type ArtifactUploader } from '../../actions/sbom/src/artifact.ts';
import { fileBase, getInputs } from '../../actions/sbom/src/context.ts';
import { makeSigner } from '../../actions/sbom/src/setup.ts';
import { getInputs as getVerifyInputs } from '../../actions/verify-image/src/context.ts';
import { captureStdout, inputProblems, setInputs } from '../inputs.ts';

const problems = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
  inputProblems(() => getInputs(env), inputs);

const dir = mkdtempSync(join(tmpdir(), 'sbom-inputs-'));
const VERIFY_KEY = publicKeyToPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setInputs({}));

describe('sbom getInputs', () => {
  it('applies the documented defaults', () => {
    setInputs({ image: 'ghcr.io/acme/app@sha256:' + 'a'.repeat(64) });
    const inputs = getInputs({});
    assert.equal(inputs.image?.ref.kind, 'registry');
    assert.equal(inputs.path, undefined);
    assert.deepEqual(inputs.format, ['spdx-json', 'cyclonedx-json']);
    assert.equal(
      inputs.platform,
      undefined,
      'the image decides: its only platform, or linux/amd64 of an index',
    );
    assert.equal(inputs['output-dir'], '');
    assert.equal(inputs['upload-artifact'], true);
    assert.equal(inputs['artifact-name'], '');
    assert.equal(inputs['retention-days'], 90);
    assert.equal(inputs.attest, false);
    assert.equal(inputs['attestation-format'], 'both');
    assert.equal(inputs.scan, true);
    assert.equal(inputs['fail-on-severity'], 'critical');
    assert.equal(inputs['ignore-unfixed'], false);
    assert.equal(inputs.allowlist, undefined);
    assert.equal(inputs['osv-url'], 'https://api.osv.dev');
    assert.equal(inputs['osv-db'], undefined);
    assert.deepEqual(inputs['insecure-registries'], []);
  });

  it('reads every input', async () => {
    const allowlist = join(dir, 'allow.yml');
    writeFileSync(allowlist, 'ignore:\n  - id: CVE-1\n    reason: not reachable\n    expires: 2099-01-01\n');
    const keys = await generateKeyPair('pw', { scryptN: 32768 });
    const keyFile = join(dir, 'cosign.key');
    writeFileSync(keyFile, keys.privateKeyPem);
    setInputs({
      image: 'oci-layout:./out:v1',
      format: 'CycloneDX-JSON',
      platform: 'linux/arm64/v8',
      'output-dir': 'reports',
      'upload-artifact': 'false',
      'artifact-name': 'sbom-app',
      'retention-days': '7',
      attest: 'true',
      'attestation-format': 'legacy',
      'cosign-key': keyFile,
      'cosign-password': 'pw',
      'rekor-url': 'https://rekor.example/',
      'fail-on-severity': 'high',
      'ignore-unfixed': 'true',
      allowlist,
      'osv-url': 'http://127.0.0.1:9/',
      'osv-db': dir,
      'insecure-registries': 'reg.internal:5000, other:80',
    });
    const { result: inputs, output } = await captureStdout(() => getInputs({}));
    assert.equal(inputs.image?.ref.kind, 'oci-layout');
    assert.deepEqual(inputs.format, ['cyclonedx-json']);
    assert.equal(inputs.platform, 'linux/arm64/v8');
    assert.equal(inputs['output-dir'], resolve('reports'));
    assert.equal(inputs['upload-artifact'], false);
    assert.equal(inputs['artifact-name'], 'sbom-app');
    assert.equal(inputs['retention-days'], 7);
    assert.equal(inputs.attest, true);
    assert.equal(inputs['attestation-format'], 'legacy');
    assert.equal(inputs['cosign-key'], keys.privateKeyPem);
    assert.equal(inputs['rekor-url'], 'https://rekor.example');
    assert.equal(inputs['fail-on-severity'], 'high');
    assert.equal(inputs['ignore-unfixed'], true);
    assert.equal(inputs.allowlist?.entries[0]?.id, 'CVE-1');
    assert.equal(inputs['osv-url'], 'http://127.0.0.1:9');
    assert.equal(inputs['osv-db'], dir);
    assert.deepEqual(inputs['insecure-registries'], ['reg.internal:5000', 'other:80']);
    // The password and the key (whole, and each base64 line of it) are masked.
    const masked = [...output.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]);
    assert.ok(masked.includes('pw'));
    const keyLine = keys.privateKeyPem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'))!;
    assert.ok(masked.includes(keyLine), 'a line of the key is masked');
  });

  it('masks the registry password and the token the moment they are read', async () => {
    setInputs({
      image: 'ghcr.io/acme/app:v1',
      username: 'bot',
      password: 's3cret-pass',
      'github-token': 'ghs_abcdef',
    });
    const { output } = await captureStdout(() => getInputs({}));
    const masked = [...output.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(masked.sort(), ['ghs_abcdef', 's3cret-pass']);
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['image', {}, /is required unless path is given/],
    ['path', { image: 'ghcr.io/a/b:v1', path: '.' }, /only one of image or path/],
    ['image', { image: 'UPPER/Case:v1' }, /must be lowercase/],
    ['path', { path: '/nonexistent/dir' }, /does not exist/],
    ['format', { image: 'a.io/b:c', format: 'xml' }, /"xml" is not one of both, spdx-json, cyclonedx-json/],
    ['platform', { image: 'a.io/b:c', platform: 'amd64' }, /os\/arch/],
    ['upload-artifact', { image: 'a.io/b:c', 'upload-artifact': 'yes' }, /use true or false/],
    ['retention-days', { image: 'a.io/b:c', 'retention-days': '0' }, /out of range/],
    ['retention-days', { image: 'a.io/b:c', 'retention-days': '1000' }, /out of range/],
    ['artifact-name', { image: 'a.io/b:c', 'artifact-name': 'a/b' }, /contains "\/"/],
    [
      'fail-on-severity',
      { image: 'a.io/b:c', 'fail-on-severity': 'severe' },
      /critical, high, medium, low, off/,
    ],
    ['attestation-format', { image: 'a.io/b:c', 'attestation-format': 'x' }, /legacy/],
    ['attest', { path: '.', attest: 'true', 'cosign-key': '-----BEGIN X-----' }, /stored on an image/],
    ['attest', { image: 'a.io/b:c', attest: 'true' }, /id-token: write/],
    [
      'cosign-key',
      { image: 'a.io/b:c', attest: 'true', 'cosign-key': '/no/such/key' },
      /cannot read the key file "\/no\/such\/key" \(ENOENT\)/,
    ],
    ['cosign-password', { image: 'a.io/b:c', 'cosign-password': 'x' }, /only used with cosign-key/],
    [
      'allowlist',
      { image: 'a.io/b:c', allowlist: '/no/allow.yml' },
      /cannot read the file "\/no\/allow.yml" \(ENOENT\)/,
    ],
    ['osv-db', { image: 'a.io/b:c', 'osv-db': '/no/osv' }, /does not exist/],
    ['osv-url', { image: 'a.io/b:c', 'osv-url': 'ftp://osv' }, /use an http:\/\/ or https:\/\/ URL/],
    [
      'osv-export-url',
      { image: 'a.io/b:c', 'osv-export-url': 'gs://osv' },
      /use an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'github-token',
      { image: 'a.io/b:c', 'dependency-snapshot': 'true' },
      /is required with dependency-snapshot: true/,
    ],
    ['dependency-snapshot', { image: 'a.io/b:c', 'dependency-snapshot': 'yes' }, /true/],
    ['password', { image: 'a.io/b:c', username: 'u' }, /is required with username/],
    ['username', { image: 'a.io/b:c', password: 'p' }, /is required with password/],
    ['username', { image: 'oci-layout:./x', username: 'u', password: 'p' }, /needs no registry credentials/],
  ];
  for (const [input, given, message] of bad) {
    it(`rejects ${input} given ${JSON.stringify(given).slice(0, 70)}, naming the input`, () => {
      const found = problems(given);
      const problem = found.find((p) => p.input === input);
      assert.ok(problem, `no problem reported for ${input}: ${JSON.stringify(found)}`);
      assert.match(problem.message, message);
    });
  }

  it('refuses an output-dir that is a file, or under one, and takes one that does not exist yet', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const asFile = problems({ image: 'a.io/b:c', 'output-dir': file }).find((p) => p.input === 'output-dir');
    assert.match(asFile!.message, /is a file: give a directory for the SBOM files/);
    const under = problems({ image: 'a.io/b:c', 'output-dir': join(file, 'sboms') }).find(
      (p) => p.input === 'output-dir',
    );
    assert.match(under!.message, /cannot be created: .*not-a-dir is a file/);
    setInputs({ image: 'a.io/b:c', 'output-dir': join(dir, 'new', 'sboms'), scan: 'false' });
    assert.equal(getInputs({})['output-dir'], join(dir, 'new', 'sboms'));
  });

  it('takes osv-db: download as the word, not as a directory of that name, with the export URL', () => {
    setInputs({ image: 'a.io/b:c', 'osv-db': 'download' });
    const inputs = getInputs({});
    assert.equal(inputs['osv-db'], 'download');
    assert.equal(inputs['osv-export-url'], 'https://osv-vulnerabilities.storage.googleapis.com');
    assert.equal(inputs['dependency-snapshot'], false);
    setInputs({ image: 'a.io/b:c', 'osv-db': 'download', 'osv-export-url': 'https://mirror.example/osv/' });
    assert.equal(getInputs({})['osv-export-url'], 'https://mirror.example/osv');
  });

  it('reads the gate inputs exactly as verify-image does (one parser), but for its default threshold', () => {
    const gate = (inputs: Record<string, unknown>) =>
      Object.fromEntries(SCAN_INPUTS.map((name) => [name, inputs[name]]));
    const cases: Array<Record<string, string>> = [
      { 'osv-db': 'download', 'osv-export-url': 'https://mirror.example/osv/' },
      { 'osv-db': dir, 'osv-url': 'http://127.0.0.1:9/', 'ignore-unfixed': 'true' },
      {},
    ];
    for (const given of cases) {
      const both = { 'fail-on-severity': 'medium', ...given };
      setInputs({ image: 'a.io/b:c', ...both });
      const sbom = gate(getInputs({}) as unknown as Record<string, unknown>);
      setInputs({ image: 'a.io/b:c', key: VERIFY_KEY, scan: 'true', ...both });
      assert.deepEqual(sbom, gate(getVerifyInputs() as unknown as Record<string, unknown>));
    }
  });

  it('names each bad allowlist line', () => {
    const file = join(dir, 'bad-allow.yml');
    writeFileSync(file, 'ignore:\n  - id: CVE-1\n    expires: 2099-01-01\n');
    const problem = problems({ image: 'a.io/b:c', allowlist: file }).find((p) => p.input === 'allowlist');
    assert.match(problem!.message, /line 2: entry CVE-1 needs a "reason"/);
  });

  it('allows keyless attestation when the job can get an OIDC token', () => {
    setInputs({ image: 'a.io/b:c', attest: 'true' });
    assert.equal(getInputs({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example' }).attest, true);
  });

  it('names files after the repository, the layout or the directory', () => {
    setInputs({ image: 'ghcr.io/acme/team/web-app@sha256:' + 'b'.repeat(64) });
    assert.equal(fileBase(getInputs({})), 'web-app');
    setInputs({ image: 'oci-layout:/tmp/out/my layout:v1' });
    assert.equal(fileBase(getInputs({})), 'my-layout');
    setInputs({ path: dir });
    assert.match(fileBase(getInputs({})), /^sbom-inputs-/);
  });
});

describe('sbom key inputs', () => {
  const image = 'localhost:5000/acme/app@sha256:' + 'd'.repeat(64);

  it('refuses KMS and other key references as not supported yet, naming cosign-key', () => {
    for (const { prefix, kind } of KEY_REFERENCE_SCHEMES) {
      const found = problems({ image, attest: 'true', 'cosign-key': `${prefix}release/cosign` });
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.equal(found[0]!.input, 'cosign-key');
      assert.equal(found[0]!.code, 'KEY_REFERENCE_UNSUPPORTED');
      assert.match(
        found[0]!.message,
        kind === 'kms' ? /KMS keys are not supported yet/ : /not supported yet/,
      );
      assert.doesNotMatch(found[0]!.message, /neither PEM|existing file|cannot read/);
    }
  });

  it('names cosign-password when it does not decrypt the key, before any request', async () => {
    const keys = await generateKeyPair('right', { scryptN: 32768 });
    const http = new HttpClient();
    try {
      for (const password of ['wrong', '']) {
        setInputs({ image, attest: 'true', 'cosign-key': keys.privateKeyPem, 'cosign-password': password });
        const inputs = getInputs({});
        await assert.rejects(makeSigner(inputs, http), (err: unknown) => {
          assert.ok(err instanceof InputError, String(err));
          assert.deepEqual(
            err.problems.map((p) => [p.input, p.code]),
            [['cosign-password', 'WRONG_PASSWORD']],
          );
          return true;
        });
      }
      setInputs({ image, attest: 'true', 'cosign-key': keys.privateKeyPem, 'cosign-password': 'right' });
      const signer = await makeSigner(getInputs({}), http);
      assert.equal(signer.identity()?.kind, 'key');
    } finally {
      await http.close();
    }
  });
});

describe('artifact name and upload', () => {
  type NameInputs = Parameters<typeof defaultArtifactName>[0];
  const base: NameInputs = {
    image: undefined,
    path: '/w/app',
    platform: 'linux/amd64',
    format: ['spdx-json', 'cyclonedx-json'],
  };
  const ref = parseReference('ghcr.io/acme/app@sha256:' + 'c'.repeat(64));
  const name = (over: Partial<NameInputs>, job = 'sbom') =>
    defaultArtifactName({ ...base, ...over }, { GITHUB_JOB: job });

  it('is sbom-<job>-<8 hex>, stable for the same step', () => {
    assert.match(name({}), /^sbom-sbom-[0-9a-f]{8}$/);
    assert.equal(name({}), name({}));
  });

  it('differs per job and per matrix leg scanning something else', () => {
    const names = new Set([
      name({}),
      name({}, 'other-job'),
      name({ platform: 'linux/arm64' }),
      name({ format: ['spdx-json'] }),
      name({ path: '/w/other' }),
      name({ image: { text: 'ghcr.io/acme/app@sha256:' + 'c'.repeat(64), ref } }),
    ]);
    assert.equal(names.size, 6);
  });

  it('keeps job ids file-safe', () => {
    assert.match(defaultArtifactName(base, { GITHUB_JOB: 'a b/c' }), /^sbom-a-b-c-[0-9a-f]{8}$/);
    assert.match(defaultArtifactName(base, {}), /^sbom-job-/);
  });

  const recorder = () => {
    const calls: Array<{ name: string; files: string[]; root: string; retentionDays?: number }> = [];
    const uploader: ArtifactUploader = {
      uploadArtifact: async (name, files, root, options) => {
        calls.push({ name, files, root, retentionDays: options?.retentionDays });
        return { id: 42, size: 10 };
      },
    };
    return { calls, client: async () => uploader };
  };

  it('uploads the files from their directory with the retention', async () => {
    const { calls, client } = recorder();
    const { result } = await captureStdout(() =>
      uploadFiles(
        ['/o/a.spdx.json', '/o/a.cdx.json'],
        { enabled: true, name: 'n', retentionDays: 90 },
        client,
      ),
    );
    assert.deepEqual(result, { status: 'uploaded', name: 'n', id: 42, size: 10 });
    assert.deepEqual(calls, [
      { name: 'n', files: ['/o/a.spdx.json', '/o/a.cdx.json'], root: '/o', retentionDays: 90 },
    ]);
  });

  it('skips when disabled or when there is nothing, without asking for a client', async () => {
    const { calls, client } = recorder();
    assert.equal(
      (await uploadFiles(['/o/a'], { enabled: false, name: 'n', retentionDays: 1 }, client)).status,
      'skipped',
    );
    assert.equal(
      (await uploadFiles([], { enabled: true, name: 'n', retentionDays: 1 }, client)).status,
      'skipped',
    );
    assert.equal(calls.length, 0);
  });

  it('turns a failed upload into a warning naming the artifact, not a silent pass', async () => {
    const failing = async (): Promise<ArtifactUploader> => ({
      uploadArtifact: async () => {
        throw new Error(
          'Failed to CreateArtifact: (409) Conflict: an artifact with this name already exists',
        );
      },
    });
    const { result, output } = await captureStdout(() =>
      uploadFiles(['/o/a.sarif'], { enabled: true, name: 'sbom-x', retentionDays: 5 }, failing),
    );
    assert.equal(result.status, 'failed');
    assert.match(
      output,
      /^::warning::the artifact sbom-x was not uploaded: Failed to CreateArtifact: \(409\) Conflict/m,
    );
  });
});
