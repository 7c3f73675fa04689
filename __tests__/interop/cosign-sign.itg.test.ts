/**
 * We verify what cosign signs: images signed by `cosign sign --key` and attested by
 * `cosign attest --key` (cosign v3 and v2, each storage format) on a loopback docker-registry pass
 * `verifyImage` (the verifier verify-image, promote and canary run), `requireAttestations`
 * included; cosign's signature by another key, or of another digest, fails with its code. The key
 * pair cosign signs with is made by our `npm run generate-key-pair` command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import { promisify } from 'node:util';
import { generateSbom } from '@release-actions/shared/sbom';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  findBundleReferrers,
  githubContextFromEnv,
  provenanceStatement,
  readCosignImage,
  subjectDescriptor,
} from '@release-actions/shared/sign';
import { verifyImage, VerifyError } from '@release-actions/shared/verify';
import { REPO_ROOT } from '../fixtures.ts';
import { withCode } from '../codes.ts';
import { makeImage, push } from '../images.ts';
import { replaceReferrers, writeCosignLayers } from '../verify/fixtures.ts';
import { attestArgs, COSIGNS, cosignHome, SBOM_SOURCE_LAYERS, signArgs, type CosignHome } from './cosign.ts';
import { skipIf } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';

const exec = promisify(execFile);
const code = (c: string) => withCode(VerifyError, c);
const PASSWORD = 'interop password';

const context = githubContextFromEnv({
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1',
  GITHUB_REF: 'refs/tags/v1',
  GITHUB_SHA: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '7',
  GITHUB_RUN_ATTEMPT: '1',
});

/** Our key-generation command, as a user runs it (`npm run generate-key-pair`), password from the environment. */
async function ourKeyPair(dir: string): Promise<{ key: string; pub: string; publicPem: string }> {
  await exec(
    process.execPath,
    [join(REPO_ROOT, 'packages/shared/bin/generate-key-pair.ts'), '--output-dir', dir],
    {
      env: { ...process.env, COSIGN_PASSWORD: PASSWORD, INIT_CWD: dir },
    },
  );
  const pub = join(dir, 'cosign.pub');
  return { key: join(dir, 'cosign.key'), pub, publicPem: await readFile(pub, 'utf8') };
}

/**
 * What cosign v2 attests for `--type slsaprovenance1`: it decodes the predicate into
 * in-toto-golang 0.9's SLSA v1 struct and encodes it again, whose JSON tag for
 * `runDetails.metadata.invocationId` is `invocationID` (fixed in in-toto-golang 0.11, which cosign
 * v3 uses): the statement it signs says `invocationID`, whatever the file said.
 */
function asCosignV2Attests(predicate: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(predicate)) as {
    runDetails?: { metadata?: Record<string, unknown> };
  };
  const metadata = copy.runDetails?.metadata;
  if (metadata && 'invocationId' in metadata) {
    const { invocationId, ...rest } = metadata;
    copy.runDetails!.metadata = { invocationID: invocationId, ...rest };
  }
  return copy;
}

for (const cosign of COSIGNS) {
  skipIf(cosign.tool.skip).describe(
    `${cosign.label} signs and attests, verifyImage accepts (loopback docker-registry)`,
    () => {
      const reg = useRegistry();
      let home: CosignHome;
      let ours: Awaited<ReturnType<typeof ourKeyPair>>;
      let other: Awaited<ReturnType<typeof ourKeyPair>>;
      let predicates: { provenance: string; spdx: string; cyclonedx: string };
      let documents: { provenance: unknown; spdx: unknown; cyclonedx: unknown };
      const env = () => home.env(PASSWORD);

      beforeAll(async () => {
        home = await cosignHome();
        ours = await ourKeyPair(await mkdtemp(join(home.dir, 'ours-')));
        other = await ourKeyPair(await mkdtemp(join(home.dir, 'other-')));
        // the predicates cosign attests: our provenance predicate and our SBOMs of a small image
        const store = reg.repo('interop/sbom-source');
        const sbomImage = makeImage({ layers: SBOM_SOURCE_LAYERS });
        const { digest } = await push(store, sbomImage);
        const sbom = await generateSbom({ store, reference: digest });
        documents = {
          provenance: provenanceStatement({ name: `${reg.registry.host}/interop/app`, digest }, context)
            .predicate,
          spdx: sbom.spdx,
          cyclonedx: sbom.cyclonedx,
        };
        predicates = {
          provenance: join(home.dir, 'provenance.json'),
          spdx: join(home.dir, 'sbom.spdx.json'),
          cyclonedx: join(home.dir, 'sbom.cdx.json'),
        };
        for (const k of ['provenance', 'spdx', 'cyclonedx'] as const)
          await writeFile(predicates[k], JSON.stringify(documents[k]));
      });
      afterAll(async () => {
        await home?.dispose();
      });

      async function pushed(repository: string) {
        const store = reg.client.repository({ registry: reg.registry.host, repository });
        const { digest } = await push(store, makeImage({ layers: [256, 512] }));
        return { store, digest, ref: `${reg.registry.host}/${repository}@${digest}` };
      }

      for (const format of ['legacy', 'bundle'] as const) {
        it(`cosign sign and attest (${format}), our key pair: verifyImage with requireAttestations passes`, async () => {
          const { store, digest, ref } = await pushed(`interop/cosign-${format}`);
          await cosign.tool.ok(signArgs(cosign, ours.key, ref, format), { env: env() });
          for (const [type, file] of [
            ['slsaprovenance1', predicates.provenance],
            ['spdxjson', predicates.spdx],
            ['cyclonedx', predicates.cyclonedx],
          ] as const)
            await cosign.tool.ok(attestArgs(cosign, ours.key, file, type, ref, format), { env: env() });

          const result = await verifyImage({
            store,
            digest,
            policy: {
              trust: { kind: 'keys', keys: [ours.publicPem] },
              signatureFormat: format,
              requireAttestations: ['slsa-provenance', 'spdx', 'cyclonedx'],
            },
          });
          assert.equal(result.digest, digest);
          assert.ok(result.signatures.length >= 1);
          assert.ok(result.signatures.every((s) => s.format === format));
          const byName = new Map(result.attestations.map((a) => [a.name, a]));
          assert.deepEqual([...byName.keys()].sort(), ['cyclonedx', 'slsa-provenance', 'spdx']);
          assert.deepEqual(
            byName.get('slsa-provenance')!.statement.predicate,
            cosign.major === 2 ? asCosignV2Attests(documents.provenance) : documents.provenance,
          );
          assert.deepEqual(byName.get('spdx')!.statement.predicate, documents.spdx);
          assert.deepEqual(byName.get('cyclonedx')!.statement.predicate, documents.cyclonedx);
          for (const a of result.attestations) assert.equal(a.format, format);
          // auto (both formats looked for) finds the same
          await verifyImage({
            store,
            digest,
            policy: {
              trust: { kind: 'keys', keys: [ours.publicPem] },
              requireAttestations: ['slsa-provenance'],
            },
          });
        });

        it(`cosign sign (${format}) by another key: refused, ${format === 'legacy' ? 'SIGNATURE_INVALID (the format names no key)' : 'UNTRUSTED_KEY (the bundle names its key)'}`, async () => {
          const { store, digest, ref } = await pushed(`interop/other-key-${format}`);
          await cosign.tool.ok(signArgs(cosign, other.key, ref, format), { env: env() });
          await verifyImage({ store, digest, policy: { trust: { kind: 'keys', keys: [other.publicPem] } } });
          await assert.rejects(
            verifyImage({ store, digest, policy: { trust: { kind: 'keys', keys: [ours.publicPem] } } }),
            code(format === 'legacy' ? 'SIGNATURE_INVALID' : 'UNTRUSTED_KEY'),
          );
        });

        it(`cosign's signature (${format}) of another digest, moved onto an image: DIGEST_MISMATCH`, async () => {
          const repository = `interop/replay-${format}`;
          const signed = await pushed(repository);
          const { store, digest: victim } = await pushed(repository);
          await cosign.tool.ok(signArgs(cosign, ours.key, signed.ref, format), { env: env() });
          if (format === 'legacy') {
            const sig = await readCosignImage(store, signed.digest, 'sig');
            assert.ok(sig && sig.layers.length === 1);
            await writeCosignLayers(store, victim, 'sig', sig.layers);
          } else {
            const [stolen] = await findBundleReferrers(store, signed.digest);
            assert.ok(stolen, 'cosign stored no bundle referrer');
            await replaceReferrers(store, await subjectDescriptor(store, victim), [
              { json: stolen.bytes, predicateType: COSIGN_SIGN_PREDICATE_TYPE },
            ]);
          }
          await assert.rejects(
            verifyImage({
              store,
              digest: victim,
              policy: { trust: { kind: 'keys', keys: [ours.publicPem] } },
            }),
            code('DIGEST_MISMATCH'),
          );
        });
      }
    },
  );
}
