/**
 * The committed sbom bundle, run as the Actions runner runs it, attesting keylessly: `attest: true`
 * and no `cosign-key`, so the action asks the GitHub OIDC token service (stand-in) for a token,
 * gets a Fulcio certificate for the workflow and has Rekor and the timestamp authority witness
 * each SBOM attestation, all through sigstore-js against the loopback stand-ins of
 * ../sign/sigstore-stand-in.ts. The image is on a loopback docker-registry and was signed by the
 * same workflow identity beforehand (as build-sign does), so the verification verify-image runs
 * (`verifyImage`) applies. Asserts what a user relies on: the outputs, that keyless verification
 * under the stand-in's trusted root accepts both SBOM predicate types for that identity (and
 * refuses another workflow's), that the attested documents are the files written, and that the
 * summary names the signer while no token appears anywhere.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { type Repository } from '@release-actions/shared/oci';
import { SBOM_PREDICATE_TYPES } from '@release-actions/shared/sbom';
import {
  createKeylessSigner,
  IN_TOTO_PAYLOAD_TYPE,
  parseStatement,
  serializeBundle,
  signImage,
  statementCovers,
  staticIdentityProvider,
} from '@release-actions/shared/sign';
import {
  findLegacy,
  findReferrerBundles,
  prepareKeyless,
  verifyCandidate,
  verifyImage,
  VerifyError,
  type Candidate,
  type KeylessTrust,
  type VerifyPolicy,
} from '@release-actions/shared/verify';
import { makeImage, push } from '../images.ts';
import { assertOfficialSpdx } from '../sbom/schemas.ts';
import { startGithubKeylessStandIns, type GithubKeylessStandIns } from '../sign/sigstore-stand-in.ts';
import { DIST, runAction, type ActionRun } from './runner.ts';
import { useRegistry } from '../registry-fixture.ts';

const OTHER_WORKFLOW = 'https://github.com/acme/app/.github/workflows/deploy.yml@refs/heads/main';
const SPDX = SBOM_PREDICATE_TYPES['spdx-json'];
const CDX = SBOM_PREDICATE_TYPES['cyclonedx-json'];

const LAYERS = [
  [
    { name: 'etc/os-release', content: 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' },
    {
      name: 'var/lib/dpkg/status',
      content:
        'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5\nDescription: Debian base system miscellaneous files\n\n',
    },
  ],
  [
    {
      name: 'srv/app/node_modules/left-pad/package.json',
      content: JSON.stringify({ name: 'left-pad', version: '1.3.0', license: 'WTFPL' }),
    },
  ],
];

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('actions/sbom dist/index.js, attesting keylessly over the Sigstore and GitHub OIDC stand-ins', () => {
  const reg = useRegistry();
  let keyless: GithubKeylessStandIns;
  let store: Repository;
  let name: string;
  let digest: string;
  let run: ActionRun;

  const trust = (identity: string | RegExp, issuer: string = keyless.issuer): KeylessTrust => ({
    kind: 'keyless',
    identity,
    issuer,
    trustedRoot: keyless.sigstore.trustedRoot,
  });
  const policy = (t: KeylessTrust, extra: Partial<VerifyPolicy> = {}): VerifyPolicy => ({
    trust: t,
    requireAttestations: [SPDX, CDX],
    expectedDigest: digest,
    ...extra,
  });
  /** The stored SBOM attestations, in both formats, as verify-image reads them. */
  const sbomCandidates = async (): Promise<Candidate[]> => {
    const [att, referrers] = await Promise.all([
      findLegacy(store, digest, 'att'),
      findReferrerBundles(store, digest),
    ]);
    assert.deepEqual([...att.unreadable, ...referrers.unreadable], []);
    return [...att.candidates, ...referrers.candidates].filter(
      (c) => c.predicateTypeHint === SPDX || c.predicateTypeHint === CDX,
    );
  };

  beforeAll(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: run npm run build`);
    keyless = await startGithubKeylessStandIns();
    store = reg.repo('acme/x');
    name = `${reg.registry.host}/acme/x`;
    digest = (await push(store, makeImage({ layers: LAYERS }), 'v1')).digest;
    // The image's own signature, by the same workflow, as build-sign would have made it.
    await signImage({
      store,
      image: { registry: reg.registry.host, repository: 'acme/x' },
      digest,
      format: 'both',
      signer: createKeylessSigner({
        identityProvider: staticIdentityProvider(keyless.idToken),
        fulcioUrl: keyless.sigstore.fulcioUrl,
        rekorUrl: keyless.sigstore.rekorUrl,
        tsaUrl: keyless.sigstore.tsaUrl,
      }),
    });
    const requestsBefore = keyless.sigstore.requests.length;

    run = await runAction(
      {
        image: `${name}@${digest}`,
        attest: 'true',
        scan: 'false',
        'upload-artifact': 'false',
        ...keyless.inputs,
      },
      keyless.env,
    );
    assert.equal(run.exitCode, 0, `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`);
    // The action itself went to Fulcio, Rekor and the TSA, with a token asked for audience sigstore.
    const served = keyless.sigstore.requests.slice(requestsBefore);
    for (const path of ['POST /api/v2/signingCert', 'POST /api/v1/log/entries', 'POST /api/v1/timestamp'])
      assert.ok(served.includes(path), `the action did not call ${path}: ${served.join(', ')}`);
    assert.ok(keyless.oidc.audiences.length > 0, 'the action asked for no OIDC token');
    assert.ok(keyless.oidc.audiences.every((a) => a === 'sigstore'));
  });
  afterAll(async () => {
    run?.dispose();
    await keyless?.stop();
  });

  it('lists the .att tag and one bundle referrer per SBOM in its attestations output', async () => {
    assert.equal(run.outputs.digest, digest);
    assert.equal(run.outputs.gate, 'skipped');
    assert.equal(run.outputs.sarif, '');
    const listed = run.outputs.attestations!.split('\n');
    const att = `${name}:sha256-${digest.slice(7)}.att`;
    const referrers = (await findReferrerBundles(store, digest)).candidates.filter(
      (c) => c.predicateTypeHint === SPDX || c.predicateTypeHint === CDX,
    );
    assert.equal(referrers.length, 2, 'one bundle referrer per SBOM');
    // SPDX first, then CycloneDX: its legacy location and its referrer each.
    const referrerOf = (type: string) => referrers.find((c) => c.predicateTypeHint === type)!.location;
    assert.deepEqual(listed, [att, referrerOf(SPDX), att, referrerOf(CDX)]);
  });

  it('verifies as verify-image does with keyless trust: both SBOM types, by the workflow identity, in each format', async () => {
    const accepted = await verifyImage({ store, digest, policy: policy(trust(keyless.identity)) });
    assert.equal(accepted.image, `${name}@${digest}`);
    assert.deepEqual(
      accepted.attestations.map((a) => a.predicateType),
      [SPDX, CDX],
    );
    for (const a of accepted.attestations) {
      assert.deepEqual(a.signer, {
        kind: 'certificate',
        identity: keyless.identity,
        subject: keyless.identity,
        issuer: keyless.issuer,
      });
      assert.ok(
        run.outputs.attestations!.split('\n').some((l) => a.location.startsWith(l)),
        `${a.location} is not among the action's outputs`,
      );
    }
    // Each storage format on its own carries both attestations.
    for (const signatureFormat of ['legacy', 'bundle'] as const) {
      const result = await verifyImage({
        store,
        digest,
        policy: policy(trust(keyless.identity), { signatureFormat }),
      });
      assert.deepEqual(
        result.attestations.map((a) => [a.predicateType, a.format]),
        [
          [SPDX, signatureFormat],
          [CDX, signatureFormat],
        ],
      );
    }
  });

  it('attests exactly the SPDX and CycloneDX files it wrote, about the image digest', async () => {
    const prepared = prepareKeyless(trust(keyless.identity), keyless.sigstore.trustedRoot);
    const files = { [SPDX]: json(run.outputs.spdx!), [CDX]: json(run.outputs.cyclonedx!) };
    console.log(assertOfficialSpdx(files[SPDX]));
    const candidates = await sbomCandidates();
    assert.deepEqual(candidates.map((c) => `${c.format} ${c.predicateTypeHint}`).sort(), [
      `bundle ${CDX}`,
      `bundle ${SPDX}`,
      `legacy ${CDX}`,
      `legacy ${SPDX}`,
    ]);
    for (const c of candidates) {
      const { signer } = verifyCandidate(c, prepared, new Date());
      assert.equal(signer.identity, keyless.identity);
      assert.equal(c.bundle.content.$case, 'dsseEnvelope');
      if (c.bundle.content.$case !== 'dsseEnvelope') continue;
      assert.equal(c.bundle.content.dsseEnvelope.payloadType, IN_TOTO_PAYLOAD_TYPE);
      const statement = parseStatement(c.bundle.content.dsseEnvelope.payload);
      assert.equal(statement.predicateType, c.predicateTypeHint);
      assert.ok(statementCovers(statement, digest), `${c.location} is not about ${digest}`);
      assert.deepEqual(statement.subject, [{ name, digest: { sha256: digest.slice(7) } }]);
      const file = files[statement.predicateType]!;
      assert.deepEqual(statement.predicate, file, `${c.location}: the predicate is the file written`);
      const predicate = statement.predicate as Record<string, unknown>;
      if (statement.predicateType === SPDX) {
        assert.match(String(predicate.documentNamespace), /^https?:\/\//);
        assert.equal(predicate.documentNamespace, file.documentNamespace);
      } else {
        assert.match(String(predicate.serialNumber), /^urn:uuid:/);
        assert.equal(predicate.serialNumber, file.serialNumber);
      }
    }
  });

  it('refuses the same attestations for another workflow or another issuer', async () => {
    await assert.rejects(
      verifyImage({ store, digest, policy: policy(trust(OTHER_WORKFLOW)) }),
      (err: unknown) => err instanceof VerifyError && err.code === 'IDENTITY_MISMATCH',
    );
    await assert.rejects(
      verifyImage({
        store,
        digest,
        policy: policy(trust(keyless.identity, 'https://accounts.google.com')),
      }),
      (err: unknown) => err instanceof VerifyError && err.code === 'ISSUER_MISMATCH',
    );
    // Not only the image signature: every SBOM attestation, in both formats, is refused on its own.
    const other = prepareKeyless(trust(OTHER_WORKFLOW), keyless.sigstore.trustedRoot);
    const candidates = await sbomCandidates();
    assert.equal(candidates.length, 4);
    for (const c of candidates)
      assert.throws(
        () => verifyCandidate(c, other, new Date()),
        (err: unknown) => err instanceof VerifyError && err.code === 'IDENTITY_MISMATCH',
        c.location,
      );
  });

  it('names the signer and its issuer in the job summary, and no token appears in the log, outputs, summary or registry', async () => {
    assert.ok(
      run.summary.includes(
        `<tr><td>signed by</td><td>keyless: <code>${keyless.identity}</code><br>issuer <code>${keyless.issuer}</code></td></tr>`,
      ),
      run.summary,
    );
    for (const line of run.outputs.attestations!.split('\n'))
      assert.ok(run.summary.includes(`<code>${line}</code>`), `the summary lacks ${line}`);
    // Both secrets were masked the moment they were known…
    assert.match(run.stdout, new RegExp(`^::add-mask::${keyless.oidc.requestToken}$`, 'm'));
    assert.ok(
      run.stdout.split('\n').includes(`::add-mask::${keyless.idToken}`),
      'the ID token was not masked',
    );
    // …and appear nowhere else, not even the token's claims part.
    const log = (run.stdout + run.stderr)
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    const stored = (await sbomCandidates()).map((c) => serializeBundle(c.bundle).toString('utf8')).join('\n');
    const secrets = [keyless.oidc.requestToken, keyless.idToken, keyless.idToken.split('.')[1]!];
    for (const [where, text] of Object.entries({
      log,
      outputs: JSON.stringify(run.outputs),
      summary: run.summary,
      'stored bundles': stored,
    }))
      for (const secret of secrets) assert.ok(!text.includes(secret), `a token is in the ${where}`);
  });
});
