/**
 * The one call `actions/build-sign` makes after pushing: sign a digest (key or keyless, legacy
 * and/or bundle format) and attach SLSA provenance, returning where everything was stored.
 *
 *     const signer = createKeySigner(await loadPrivateKey(pem, password));   // or createKeylessSigner(…)
 *     const result = await signImage({
 *       store: client.repository(ref), image: ref, digest, signer,
 *       format: 'both', provenance: { context: githubContextFromEnv(process.env) }, recursive: true,
 *     });
 *
 * Formats, as cosign names them: `legacy` = the `sha256-<hex>.sig` tag (and `.att` for provenance);
 * `bundle` = Sigstore bundle v0.3 referrers (cosign v3's default); `both` = each of them. With
 * `both`, provenance is signed once and the same signed envelope is stored both ways. Signing
 * again with the same signer adds nothing: the legacy signature by cosign's duplicate rule, the
 * signature bundle and the provenance by attachAttestation's (attach.ts).
 *
 * `recursive` does what `cosign sign --recursive` (and `cosign attest --recursive`) does for an
 * index: besides the index, every manifest it lists, through nested indexes, is signed in the
 * same formats with the same annotations, each signature (and provenance statement) about that
 * manifest's own digest and stored beside it. A promotion of one platform's manifest then carries
 * signatures that verify on it. Unlike cosign, buildx's attestation manifests
 * (`vnd.docker.reference.type: attestation-manifest`) are not images and are left unsigned.
 *
 * The store may be a registry repository or an OCI image layout (`LayoutStore`): in a layout,
 * signatures are stored as in a registry (the `.sig`/`.att` tags as `index.json` ref names, bundle
 * referrers as `index.json` entries with a `subject`), and `image` is left out: locations, the
 * payload's docker-reference and the provenance subject then name the layout (`oci-layout:<dir>`).
 */
import type { Bundle } from '@sigstore/bundle';
import { silentLogger, type Logger } from '../logger.ts';
import type { ImageStore } from '../oci/store.ts';
import { isIndex, isIndexMediaType, type Descriptor, type Platform } from '../oci/types.ts';
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
  /** The image's repository, or its OCI image layout (signatures are stored beside the image). */
  store: ImageStore;
  /**
   * Registry and repository of the image, for the payload's docker-reference and the provenance
   * subject. Leave it out for an image in an OCI layout: the store's name (`oci-layout:<dir>`) is used.
   */
  image?: { registry: string; repository: string };
  /** The pushed manifest (or index) digest. */
  digest: string;
  signer: ImageSigner;
  format: SignatureFormat;
  /** Annotations signed with the image signature (cosign's `-a key=value`). */
  annotations?: Record<string, string>;
  /** Attach SLSA provenance built from this GitHub context; omit for none. */
  provenance?: { context: GitHubBuildContext } & ProvenanceOptions;
  /**
   * Also sign (and attest) each manifest of an index, through nested indexes, as `cosign sign
   * --recursive` does (see the module comment). Default false: `digest` only.
   */
  recursive?: boolean;
  /** Overrides `org.opencontainers.image.created` of bundle referrers (default now). */
  created?: Date;
  logger?: Logger;
}

/** What one manifest got: its signatures and, when asked, its provenance. */
export interface SignedDigest {
  signature: { legacy?: StoredSignature; bundle?: StoredSignature & { bundle: Bundle; json: Buffer } };
  provenance?: {
    statement: Statement;
    legacy?: StoredSignature;
    bundle?: StoredSignature & { bundle: Bundle; json: Buffer };
  };
}

/** A manifest of the signed index, signed with `recursive`. */
export interface SignedManifest extends SignedDigest {
  digest: string;
  /** Its platform in the index that lists it, when the index names one. */
  platform?: Platform;
}

export interface SignImageResult extends SignedDigest {
  digest: string;
  /** `registry/repository@digest` (`oci-layout:<dir>@digest` in a layout). */
  image: string;
  /** Key fingerprint or certificate identity. */
  identity: SignerIdentity | undefined;
  /** With `recursive` and an index: each manifest it lists (nested indexes' too), in index order. Else empty. */
  manifests: SignedManifest[];
}

/** Signs a pushed image and attaches provenance; see the module comment. */
export async function signImage(options: SignImageOptions): Promise<SignImageResult> {
  const logger = options.logger ?? silentLogger;
  const { store, digest, signer } = options;
  const name = options.image ? `${options.image.registry}/${options.image.repository}` : store.name;
  const reference = options.image ? dockerReference(options.image) : store.name;
  const created = options.created ?? new Date();
  const sign = (subject: Descriptor) =>
    signDigest({ ...options, name, dockerReference: reference, subject, created, logger });

  // Fails early, before any signature, when the digest is not in the repository.
  const subject = await subjectDescriptor(store, digest);
  const children = options.recursive ? await manifestsOf(store, subject) : [];
  const root = await sign(subject);
  const manifests: SignedManifest[] = [];
  for (const child of children) {
    const signed = await sign(child);
    manifests.push({ digest: child.digest, ...(child.platform && { platform: child.platform }), ...signed });
  }
  return { digest, image: `${name}@${digest}`, identity: signer.identity(), ...root, manifests };
}

interface SignDigestOptions extends SignImageOptions {
  name: string;
  dockerReference: string;
  subject: Descriptor;
  created: Date;
  logger: Logger;
}

/** The signatures (and provenance) of one manifest, in the formats asked for. */
async function signDigest(options: SignDigestOptions): Promise<SignedDigest> {
  const { store, name, subject, signer, created, logger } = options;
  const { digest } = subject;
  const legacy = options.format === 'both' || options.format === 'legacy';
  const bundled = options.format === 'both' || options.format === 'bundle';
  const result: SignedDigest = { signature: {} };

  if (legacy) {
    const sig = await signLegacy({
      store,
      digest,
      dockerReference: options.dockerReference,
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
  return result;
}

/** buildx's annotation on the index entries that hold its attestations (not images: never signed here). */
const DOCKER_REFERENCE_TYPE = 'vnd.docker.reference.type';

/**
 * The manifests an index lists, depth first (a nested index, then what it lists), each once, with
 * the platform the listing entry names; buildx attestation manifests left out. Empty for an image.
 */
async function manifestsOf(
  store: ImageStore,
  root: Descriptor,
): Promise<Array<Descriptor & { platform?: Platform }>> {
  const found: Array<Descriptor & { platform?: Platform }> = [];
  const seen = new Set([root.digest]);
  const walk = async (digest: string): Promise<void> => {
    const { manifest } = await store.getManifest(digest);
    if (!isIndex(manifest)) return;
    for (const entry of manifest.manifests) {
      if (seen.has(entry.digest) || entry.annotations?.[DOCKER_REFERENCE_TYPE] === 'attestation-manifest')
        continue;
      seen.add(entry.digest);
      found.push({
        mediaType: entry.mediaType,
        digest: entry.digest,
        size: entry.size,
        ...(entry.platform && { platform: entry.platform }),
      });
      if (isIndexMediaType(entry.mediaType)) await walk(entry.digest);
    }
  };
  if (isIndexMediaType(root.mediaType)) await walk(root.digest);
  return found;
}
