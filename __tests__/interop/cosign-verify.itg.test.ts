/**
 * cosign verifies what we sign: for cosign v3 and v2 (built by `npm run tools`), against a
 * loopback docker-registry (no referrers API: the bundles are found through the tag-schema
 * fallback, as cosign looks for them there too).
 *
 * - `cosign verify --key` accepts `signImage` in each format: the legacy `.sig`, the Sigstore
 *   bundle referrer, and both together (each read alone where the version can be told to);
 *   and what the committed build-sign bundle signs, run as the runner runs it;
 * - `cosign verify-attestation --type slsaprovenance1` accepts our provenance, `--type spdxjson`
 *   and `--type cyclonedx` our SBOM attestations (`attestSbom`), and the predicate cosign prints
 *   is the one we wrote;
 * - a key pair made by `cosign generate-key-pair` signs with build-sign, and cosign verifies it;
 * - another key is refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import { attestSbom, generateSbom } from '@release-actions/shared/sbom';
import {
  createKeySigner,
  generateKeyPair,
  githubContextFromEnv,
  loadPrivateKey,
  signImage,
  type GeneratedKeyPair,
  type SignatureFormat,
} from '@release-actions/shared/sign';
import { verifyImage } from '@release-actions/shared/verify';
import { makeImage, push } from '../images.ts';
import { runAction } from '../build-sign/runner.ts';
import {
  COSIGNS,
  cosignHome,
  printedPayloads,
  printedStatements,
  SBOM_SOURCE_LAYERS,
  verifyArgs,
  verifyAttestationArgs,
  type Cosign,
  type CosignFormat,
  type CosignHome,
} from './cosign.ts';
import { skipIf } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';

const GITHUB_ENV = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1',
  GITHUB_REF: 'refs/tags/v1',
  GITHUB_SHA: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '7',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_REPOSITORY_ID: '11',
  GITHUB_REPOSITORY_OWNER_ID: '22',
  RUNNER_ENVIRONMENT: 'github-hosted',
};
const context = githubContextFromEnv(GITHUB_ENV);
const PASSWORD = 'interop password';

/**
 * The storage formats this cosign can be made to read alone in an image signed in `format`:
 * v3 reads bundles when there are any (and only the legacy tags with --new-bundle-format=false);
 * v2 reads bundles whenever the image has one (its --new-bundle-format=false still looks), and
 * the legacy tags otherwise.
 */
function readableFormats(cosign: Cosign, format: SignatureFormat): CosignFormat[] {
  if (format === 'legacy') return ['legacy'];
  if (format === 'bundle') return ['bundle'];
  return cosign.major === 3 ? ['bundle', 'legacy'] : ['bundle'];
}

for (const cosign of COSIGNS) {
  skipIf(cosign.tool.skip).describe(
    `${cosign.label} verifies what we sign (loopback docker-registry)`,
    () => {
      const reg = useRegistry();
      let home: CosignHome;
      let key: GeneratedKeyPair;
      let other: GeneratedKeyPair;
      let pub: string;
      let otherPub: string;
      const env = () => home.env(PASSWORD);

      beforeAll(async () => {
        home = await cosignHome();
        key = await generateKeyPair(PASSWORD, { scryptN: 32768 });
        other = await generateKeyPair(PASSWORD, { scryptN: 32768 });
        pub = join(home.dir, 'cosign.pub');
        otherPub = join(home.dir, 'other.pub');
        await writeFile(pub, key.publicKeyPem);
        await writeFile(otherPub, other.publicKeyPem);
        await cosign.tool.ok(['version'], { env: env() });
      });
      afterAll(async () => {
        await home?.dispose();
      });

      async function pushed(repository: string) {
        const store = reg.client.repository({ registry: reg.registry.host, repository });
        const descriptor = await push(store, makeImage({ layers: [256, 512] }));
        return {
          store,
          digest: descriptor.digest,
          ref: `${reg.registry.host}/${repository}@${descriptor.digest}`,
        };
      }

      async function verifies(
        ref: string,
        digest: string,
        format: CosignFormat,
        publicKey = pub,
      ): Promise<void> {
        const run = await cosign.tool.run(verifyArgs(cosign, home, publicKey, ref, format), { env: env() });
        assert.equal(run.code, 0, `${cosign.label} verify (${format}) refused:\n${run.stderr}`);
        const payloads = printedPayloads(run);
        assert.ok(payloads.length > 0, run.stdout);
        for (const p of payloads) assert.equal(p.critical.image['docker-manifest-digest'], digest);
      }

      for (const format of ['legacy', 'bundle', 'both'] as const) {
        it(`verify --key and verify-attestation --type slsaprovenance1 accept signImage format ${format}`, async () => {
          const { store, digest, ref } = await pushed(`interop/sign-${format}`);
          const result = await signImage({
            store,
            image: { registry: reg.registry.host, repository: `interop/sign-${format}` },
            digest,
            signer: createKeySigner(key.key),
            format,
            provenance: { context },
          });
          for (const read of readableFormats(cosign, format)) {
            await verifies(ref, digest, read);
            const run = await cosign.tool.run(
              verifyAttestationArgs(cosign, home, pub, 'slsaprovenance1', ref, read),
              {
                env: env(),
              },
            );
            assert.equal(run.code, 0, `${cosign.label} verify-attestation (${read}) refused:\n${run.stderr}`);
            const statements = printedStatements(run);
            assert.equal(statements.length, 1, run.stdout);
            assert.equal(statements[0]!.predicateType, 'https://slsa.dev/provenance/v1');
            assert.deepEqual(statements[0]!.predicate, result.provenance!.statement.predicate);
            console.log(`${cosign.label} verified the ${read} signature and provenance`);
          }
          // another key is refused, in every format
          for (const read of readableFormats(cosign, format)) {
            const refused = await cosign.tool.run(verifyArgs(cosign, home, otherPub, ref, read), {
              env: env(),
            });
            assert.notEqual(refused.code, 0, `${cosign.label} accepted another key (${read})`);
          }
        });
      }

      it('verify-attestation --type spdxjson and --type cyclonedx accept attestSbom, in both formats', async () => {
        const repository = 'interop/sbom';
        const store = reg.client.repository({ registry: reg.registry.host, repository });
        const image = makeImage({ layers: SBOM_SOURCE_LAYERS });
        const { digest } = await push(store, image);
        const sbom = await generateSbom({ store, reference: digest });
        await attestSbom({
          store,
          name: `${reg.registry.host}/${repository}`,
          digest,
          signer: createKeySigner(key.key),
          format: 'both',
          documents: [
            { format: 'spdx-json', document: sbom.spdx },
            { format: 'cyclonedx-json', document: sbom.cyclonedx },
          ],
        });
        const ref = `${reg.registry.host}/${repository}@${digest}`;
        const expected = { spdxjson: sbom.spdx, cyclonedx: sbom.cyclonedx };
        const reads: CosignFormat[] = cosign.major === 3 ? ['bundle', 'legacy'] : ['bundle'];
        for (const read of reads)
          for (const [type, document] of Object.entries(expected)) {
            const run = await cosign.tool.run(verifyAttestationArgs(cosign, home, pub, type, ref, read), {
              env: env(),
            });
            assert.equal(
              run.code,
              0,
              `${cosign.label} verify-attestation --type ${type} (${read}) refused:\n${run.stderr}`,
            );
            const statements = printedStatements(run);
            assert.equal(statements.length, 1, run.stdout);
            assert.deepEqual(statements[0]!.predicate, document);
          }
      });

      it('verifies what the build-sign action signs (the committed bundle, builder none)', async () => {
        const { digest, ref } = await pushed('interop/action');
        const temp = await mkdtemp(join(tmpdir(), 'interop-action-'));
        try {
          const run = await runAction(
            {
              builder: 'none',
              image: ref,
              signing: 'key',
              'cosign-key': key.privateKeyPem,
              'cosign-password': PASSWORD,
              'signature-format': 'both',
              provenance: 'true',
            },
            { env: { ...GITHUB_ENV, RUNNER_TEMP: temp } },
          );
          assert.equal(run.exitCode, 0, run.stdout + run.stderr);
          assert.equal(run.outputs.digest, digest);
        } finally {
          await rm(temp, { recursive: true, force: true });
        }
        for (const read of readableFormats(cosign, 'both')) {
          await verifies(ref, digest, read);
          const att = await cosign.tool.run(
            verifyAttestationArgs(cosign, home, pub, 'slsaprovenance1', ref, read),
            {
              env: env(),
            },
          );
          assert.equal(att.code, 0, att.stderr);
        }
      });

      it('a key pair from cosign generate-key-pair signs with signImage and verifies with cosign and verifyImage', async () => {
        const dir = await mkdtemp(join(home.dir, 'keys-'));
        await cosign.tool.ok(['generate-key-pair'], { cwd: dir, env: env() });
        const privatePem = await readFile(join(dir, 'cosign.key'), 'utf8');
        const publicPem = await readFile(join(dir, 'cosign.pub'), 'utf8');
        const signer = createKeySigner(await loadPrivateKey(privatePem, PASSWORD));
        const { store, digest, ref } = await pushed('interop/cosign-key');
        await signImage({
          store,
          image: { registry: reg.registry.host, repository: 'interop/cosign-key' },
          digest,
          signer,
          format: 'both',
        });
        for (const read of readableFormats(cosign, 'both'))
          await verifies(ref, digest, read, join(dir, 'cosign.pub'));
        const verified = await verifyImage({
          store,
          digest,
          policy: { trust: { kind: 'keys', keys: [publicPem] } },
        });
        assert.deepEqual(verified.signatures.map((s) => s.format).sort(), ['bundle', 'legacy']);
      });
    },
  );
}
