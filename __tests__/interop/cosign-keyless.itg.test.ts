/**
 * Keyless, against our loopback Sigstore stand-in: Fulcio (with a CT log), Rekor and a timestamp
 * authority from `@sigstore/mock` (`../sign/sigstore-stand-in.ts`), and the trusted root that
 * describes their keys, written to a file for `cosign verify --trusted-root`. What `signImage`
 * signs keylessly (a GitHub Actions workflow identity) is verified by cosign v3 and v2 with
 * `--certificate-identity`, `--certificate-oidc-issuer` and that trusted root, in each storage
 * format; another identity is refused. cosign v2's `verify-attestation` takes no `--trusted-root`
 * for the legacy format ("trusted root path currently only supported with --new-bundle-format"):
 * it is given the same keys through cosign's environment instead (`SIGSTORE_ROOT_FILE`, the Fulcio
 * root; `SIGSTORE_REKOR_PUBLIC_KEY`; `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`).
 */
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  createKeylessSigner,
  githubContextFromClaims,
  signImage,
  type ImageSigner,
} from '@release-actions/shared/sign';
import { makeImage, push } from '../images.ts';
import {
  fakeJwt,
  GITHUB_IDENTITY,
  GITHUB_ISSUER,
  githubClaims,
  startSigstoreStandIn,
  type SigstoreStandIn,
} from '../sign/sigstore-stand-in.ts';
import {
  COSIGNS,
  cosignHome,
  printedStatements,
  type Cosign,
  type CosignFormat,
  type CosignHome,
} from './cosign.ts';
import { skipIf } from '../jest-helpers.ts';
import { useRegistry } from '../registry-fixture.ts';

/** Whether this cosign takes the trusted root as a file for this command and format (else: environment). */
const takesTrustedRoot = (cosign: Cosign, command: string, format: CosignFormat) =>
  !(cosign.major === 2 && command === 'verify-attestation' && format === 'legacy');

/** The keyless flags: identity, issuer and the stand-in's trusted root (no TUF). */
function keylessArgs(
  cosign: Cosign,
  command: string,
  root: string,
  ref: string,
  format: CosignFormat,
  identity = GITHUB_IDENTITY,
): string[] {
  return [
    command,
    '--certificate-identity',
    identity,
    '--certificate-oidc-issuer',
    GITHUB_ISSUER,
    ...(takesTrustedRoot(cosign, command, format) ? ['--trusted-root', root] : []),
    `--new-bundle-format=${format === 'bundle'}`,
    ...(command === 'verify-attestation' ? ['--type', 'slsaprovenance1'] : []),
    ref,
  ];
}

for (const cosign of COSIGNS) {
  skipIf(cosign.tool.skip).describe(
    `${cosign.label} verifies our keyless signatures (loopback Fulcio/Rekor/TSA stand-in)`,
    () => {
      const reg = useRegistry();
      let sigstore: SigstoreStandIn;
      let home: CosignHome;
      let root: string;
      let signer: ImageSigner;
      /** The trusted root's keys as cosign's legacy environment variables name them. */
      let legacyTrustEnv: Record<string, string>;

      beforeAll(async () => {
        sigstore = await startSigstoreStandIn();
        home = await cosignHome();
        root = join(home.dir, 'trusted_root.json');
        await writeFile(root, JSON.stringify(TrustedRoot.toJSON(sigstore.trustedRoot)));
        const t = sigstore.trustedRoot;
        const spkiPem = (der: Uint8Array) =>
          createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }).export({
            type: 'spki',
            format: 'pem',
          }) as string;
        const files = {
          SIGSTORE_ROOT_FILE: new X509Certificate(
            Buffer.from(t.certificateAuthorities[0]!.certChain!.certificates[0]!.rawBytes),
          ).toString(),
          SIGSTORE_REKOR_PUBLIC_KEY: spkiPem(t.tlogs[0]!.publicKey!.rawBytes!),
          SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: spkiPem(t.ctlogs[0]!.publicKey!.rawBytes!),
        };
        legacyTrustEnv = {};
        for (const [name, pem] of Object.entries(files)) {
          const file = join(home.dir, `${name.toLowerCase()}.pem`);
          await writeFile(file, pem);
          legacyTrustEnv[name] = file;
        }
        const token = fakeJwt(githubClaims());
        signer = createKeylessSigner({
          identityProvider: { getToken: async () => token },
          fulcioUrl: sigstore.fulcioUrl,
          rekorUrl: sigstore.rekorUrl,
          tsaUrl: sigstore.tsaUrl,
          retries: 0,
        });
      });
      afterAll(async () => {
        await sigstore?.stop();
        await home?.dispose();
      });

      for (const format of ['legacy', 'bundle'] as const) {
        it(`verify and verify-attestation --certificate-identity … --trusted-root accept signImage keyless (${format})`, async () => {
          const repository = `interop/keyless-${format}`;
          const store = reg.client.repository({ registry: reg.registry.host, repository });
          const { digest } = await push(store, makeImage({ layers: [256] }));
          const result = await signImage({
            store,
            image: { registry: reg.registry.host, repository },
            digest,
            signer,
            format,
            provenance: { context: githubContextFromClaims(githubClaims() as never) },
          });
          const ref = `${reg.registry.host}/${repository}@${digest}`;
          const env = home.env();
          const verified = await cosign.tool.run(keylessArgs(cosign, 'verify', root, ref, format), { env });
          assert.equal(
            verified.code,
            0,
            `${cosign.label} verify (keyless, ${format}) refused:\n${verified.stderr}`,
          );
          const attested = await cosign.tool.run(
            keylessArgs(cosign, 'verify-attestation', root, ref, format),
            {
              env: takesTrustedRoot(cosign, 'verify-attestation', format)
                ? env
                : { ...env, ...legacyTrustEnv },
            },
          );
          assert.equal(
            attested.code,
            0,
            `${cosign.label} verify-attestation (keyless, ${format}) refused:\n${attested.stderr}`,
          );
          assert.deepEqual(printedStatements(attested)[0]?.predicate, result.provenance!.statement.predicate);
          const other = await cosign.tool.run(
            keylessArgs(
              cosign,
              'verify',
              root,
              ref,
              format,
              'https://github.com/acme/other/.github/workflows/x.yml@refs/heads/main',
            ),
            { env },
          );
          assert.notEqual(other.code, 0, `${cosign.label} accepted another identity`);
        });
      }
    },
  );
}
