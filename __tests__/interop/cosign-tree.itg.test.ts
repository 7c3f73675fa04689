/**
 * `cosign tree` lists what we attach the way it lists its own: one image signed and attested by
 * us (`signImage` in both formats with provenance, `attestSbom` with an SPDX SBOM in both formats),
 * another by cosign itself (`cosign sign` and `cosign attest --type slsaprovenance1|spdxjson`, once
 * in each format), on a loopback docker-registry; the two trees, digests and repository names
 * masked, are the same sections with the same entries, for cosign v3 and v2 (with
 * `--experimental-oci11`, which lists the OCI referrers). cosign v3 names a referrer by its
 * predicate type; v2 by the artifact type the referrers index lists it under, which for its own
 * bundles is the empty config's (`application/vnd.oci.empty.v1+json`: go-containerregistry 0.20
 * took the config's media type for the tag-schema index) and for ours the bundle type the spec and
 * cosign v3 write, so with v2 that one word differs.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import { attestSbom } from '@release-actions/shared/sbom';
import {
  createKeySigner,
  generateKeyPair,
  githubContextFromEnv,
  signImage,
  type GeneratedKeyPair,
} from '@release-actions/shared/sign';
import { makeImage, push } from '../images.ts';
import { attestArgs, COSIGNS, cosignHome, signArgs, type CosignHome } from './cosign.ts';
import { skipIf } from '../jest-helpers.ts';
import { GITHUB_RUN_ENV } from '../build-sign/runner.ts';
import { useRegistry } from '../registry-fixture.ts';

const PASSWORD = 'tree password';
const context = githubContextFromEnv(GITHUB_RUN_ENV);
const SPDX = {
  spdxVersion: 'SPDX-2.3',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'app',
  dataLicense: 'CC0-1.0',
  documentNamespace: 'https://example.com/spdx/app',
  creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: release-actions'] },
};

/**
 * A tree's sections (a `└──` line with the entries under it), digests, host and repository masked,
 * sorted: cosign prints the referrers in no fixed order.
 */
function sections(tree: string, repository: string, host: string): string[] {
  const masked = tree
    .split(host)
    .join('<host>')
    .split(repository)
    .join('<repo>')
    .replace(/sha256([:-])[0-9a-f]{64}/g, 'sha256$1<digest>');
  const out: string[] = [];
  for (const line of masked.split('\n').filter((l) => l.trim() !== '')) {
    if (line.startsWith('└── ')) out.push(line);
    else if (out.length > 0 && /^\s/.test(line)) out[out.length - 1] += `\n${line.replace(/[├└]/, '·')}`;
  }
  return out.sort();
}

for (const cosign of COSIGNS) {
  skipIf(cosign.tool.skip).describe(`${cosign.label} tree lists what we attach as it lists its own`, () => {
    const reg = useRegistry();
    let home: CosignHome;
    let key: GeneratedKeyPair;
    let keyFile: string;

    beforeAll(async () => {
      home = await cosignHome();
      key = await generateKeyPair(PASSWORD, { scryptN: 32768 });
      keyFile = join(home.dir, 'cosign.key');
      await writeFile(keyFile, key.privateKeyPem);
    });
    afterAll(async () => {
      await home?.dispose();
    });

    const tree = async (ref: string) =>
      (await cosign.tool.ok(['tree', '--experimental-oci11', ref], { env: home.env(PASSWORD) })).stdout;

    it('signatures, provenance and SBOM attestations, legacy tags and bundle referrers', async () => {
      const oursRepo = `tree/ours-v${cosign.major}`;
      const ours = reg.repo(oursRepo);
      const { digest: oursDigest } = await push(ours, makeImage({ layers: [128] }));
      const signer = createKeySigner(key.key);
      const signed = await signImage({
        store: ours,
        image: { registry: reg.registry.host, repository: oursRepo },
        digest: oursDigest,
        signer,
        format: 'both',
        provenance: { context },
      });
      await attestSbom({
        store: ours,
        name: `${reg.registry.host}/${oursRepo}`,
        digest: oursDigest,
        signer,
        format: 'both',
        documents: [{ format: 'spdx-json', document: SPDX }],
      });

      const theirsRepo = `tree/cosign-v${cosign.major}`;
      const theirs = reg.repo(theirsRepo);
      const { digest: theirsDigest } = await push(theirs, makeImage({ layers: [128] }));
      const ref = `${reg.registry.host}/${theirsRepo}@${theirsDigest}`;
      const provenance = join(home.dir, 'provenance.json');
      const spdx = join(home.dir, 'sbom.spdx.json');
      await writeFile(provenance, JSON.stringify(signed.provenance!.statement.predicate));
      await writeFile(spdx, JSON.stringify(SPDX));
      const env = home.env(PASSWORD);
      for (const format of ['legacy', 'bundle'] as const) {
        await cosign.tool.ok(signArgs(cosign, keyFile, ref, format), { env });
        await cosign.tool.ok(attestArgs(cosign, keyFile, provenance, 'slsaprovenance1', ref, format), {
          env,
        });
        await cosign.tool.ok(attestArgs(cosign, keyFile, spdx, 'spdxjson', ref, format), { env });
      }

      const oursTree = sections(
        await tree(`${reg.registry.host}/${oursRepo}@${oursDigest}`),
        oursRepo,
        reg.registry.host,
      );
      const theirsTree = sections(await tree(ref), theirsRepo, reg.registry.host).map((section) =>
        cosign.major === 2
          ? section.replace(
              'application/vnd.oci.empty.v1+json artifacts',
              'application/vnd.dev.sigstore.bundle.v0.3+json artifacts',
            )
          : section,
      );
      assert.deepEqual(oursTree, theirsTree);
      // what the tree shows: the .att (provenance and SBOM) and .sig tags, and three referrers
      assert.equal(oursTree.length, 5, oursTree.join('\n'));
      const referrers =
        cosign.major === 3
          ? [
              'https://slsa.dev/provenance/v1 artifacts via OCI referrer',
              'https://spdx.dev/Document artifacts via OCI referrer',
              'https://sigstore.dev/cosign/sign/v1 artifacts via OCI referrer',
            ]
          : ['application/vnd.dev.sigstore.bundle.v0.3+json artifacts via OCI referrer'];
      for (const kind of ['Attestations for an image tag', 'Signatures for an image tag', ...referrers])
        assert.ok(
          oursTree.some((s) => s.includes(kind)),
          `no "${kind}" in\n${oursTree.join('\n')}`,
        );
    });
  });
}
