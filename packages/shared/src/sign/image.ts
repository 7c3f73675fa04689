/**
 * The one call `actions/build-sign` makes after pushing: sign a digest (key or keyless, legacy
 * and/or bundle format) and attach SLSA provenance, returning where everything was stored.
 *
 *     const signer = createKeySigner(await loadPrivateKey(pem, password));   // or createKeylessSigner(…)
 *     const result = await signImage({
 *       store: client.repository(ref), image: ref, digest, signer,
 *       format: 'both', provenance: { context: githubContextFromEnv(process.env) },
 *     });
 *
 * Formats, as cosign names them: `legacy` = the `sha256-<hex>.sig` tag (and `.att` for provenance);
 * `bundle` = Sigstore bundle v0.3 referrers (cosign v3's default); `both` = each of them. With
 * `both`, provenance is signed once and the same signed envelope is stored both ways. Signing
 * again with the same signer adds nothing: the legacy signature by cosign's duplicate rule, the
 * signature bundle and the provenance by attachAttestation's (attach.ts).
 */
import type { Bundle } from '@sigstore/bundle';
import { silentLogger, type Logger } from '../logger.ts';
import type { ImageStore } from '../oci/store.ts';
import { attachAttestation, type StoredSignature } from './attach.ts';
import type { Statement } from './attestation.ts';
import { cosignSignStatement, subjectDescriptor } from './bundle.ts';
import { signLegacy } from './legacy.ts';
import { provenanceStatement, type GitHubBuildContext, type ProvenanceOptions } from './provenance.ts';
import type { ImageSigner, SignerIdentity } from './signer.ts';
import { dockerReference } from './simple-signing.ts';

export type SignatureFormat = 'both' | 'legacy' | 'bundle';
export const SIGNATURE_FORMATS: readonly SignatureFormat[] = ['both', 'legacy', 'bundle'];

/** Parses a `signature-format` input value; the error says what would be valid. */
export function parseSignatureFormat(value: string): SignatureFormat {
  const v = value.trim().toLowerCase();
  if ((SIGNATURE_FORMATS as readonly string[]).includes(v)) return v as SignatureFormat;
  throw new Error(`"${value}" is not a signature format: use ${SIGNATURE_FORMATS.join(', ')}`);
}

export interface SignImageOptions {
  /** The image's repository (signatures are stored beside the image). */
  store: ImageStore;
  /** Registry and repository of the image, for the payload's docker-reference and the provenance subject. */
  image: { registry: string; repository: string };
  /** The pushed manifest (or index) digest. */
  digest: string;
  signer: ImageSigner;
  format: SignatureFormat;
  /** Annotations signed with the image signature (cosign's `-a key=value`). */
  annotations?: Record<string, string>;
  /** Attach SLSA provenance built from this GitHub context; omit for none. */
  provenance?: { context: GitHubBuildContext } & ProvenanceOptions;
  /** Overrides `org.opencontainers.image.created` of bundle referrers (default now). */
  created?: Date;
  logger?: Logger;
}

export interface SignImageResult {
  digest: string;
  /** `registry/repository@digest`. */
  image: string;
  /** Key fingerprint or certificate identity. */
  identity: SignerIdentity | undefined;
  signature: { legacy?: StoredSignature; bundle?: StoredSignature & { bundle: Bundle; json: Buffer } };
  provenance?: {
    statement: Statement;
    legacy?: StoredSignature;
    bundle?: StoredSignature & { bundle: Bundle; json: Buffer };
  };
}

/** Signs a pushed image and attaches provenance; see the module comment. */
export async function signImage(options: SignImageOptions): Promise<SignImageResult> {
  const logger = options.logger ?? silentLogger;
  const { store, digest, signer } = options;
  const name = `${options.image.registry}/${options.image.repository}`;
  const legacy = options.format === 'both' || options.format === 'legacy';
  const bundled = options.format === 'both' || options.format === 'bundle';
  // Fails early, before any signature, when the digest is not in the repository.
  const subject = await subjectDescriptor(store, digest);
  const result: SignImageResult = { digest, image: `${name}@${digest}`, identity: undefined, signature: {} };
  const created = options.created ?? new Date();

  if (legacy) {
    const sig = await signLegacy({
      store,
      digest,
      dockerReference: dockerReference(options.image),
      signer,
      ...(options.annotations && { annotations: options.annotations }),
    });
    result.signature.legacy = {
      descriptor: sig.descriptor,
      location: `${name}:${sig.tag}`,
      appended: sig.appended,
    };
    logger.info(`${sig.appended ? 'Signed' : 'Already signed'}: ${name}:${sig.tag}`);
  }
  if (bundled) {
    const signed = await attachAttestation({
      store,
      name,
      subject,
      signer,
      statement: cosignSignStatement(digest, options.annotations),
      format: 'bundle',
      created,
    });
    result.signature.bundle = signed.bundle!;
    logger.info(
      `${signed.bundle!.appended ? 'Signature bundle stored as referrer' : 'Already signed (bundle)'}: ${signed.bundle!.location}`,
    );
  }

  if (options.provenance) {
    const { context, ...timing } = options.provenance;
    const statement: Statement = provenanceStatement({ name, digest }, context, timing);
    const attached = await attachAttestation({
      store,
      name,
      subject,
      signer,
      statement,
      format: options.format,
      created,
    });
    result.provenance = {
      statement,
      ...(attached.legacy && { legacy: attached.legacy }),
      ...(attached.bundle && { bundle: attached.bundle }),
    };
    for (const stored of [attached.legacy, attached.bundle])
      if (stored)
        logger.info(
          `${stored.appended ? 'Provenance attached' : 'Provenance already attached'}: ${stored.location}`,
        );
  }
  result.identity = signer.identity();
  return result;
}
