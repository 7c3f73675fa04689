/**
 * SBOM attestations: an SBOM document as the predicate of an in-toto Statement v1 about the image,
 * signed once (key or keyless, any {@link ImageSigner}) and stored as `cosign attest` stores it:
 * a layer of the `sha256-<hex>.att` image (legacy), and/or a Sigstore bundle v0.3 referrer of the
 * image (cosign v3's default). Predicate types are the ones cosign maps its `--type` shorthands to
 * (cosign `cmd/cosign/cli/options/predicate.go` via in-toto-golang): `spdxjson` →
 * `https://spdx.dev/Document`, `cyclonedx` → `https://cyclonedx.org/bom`, so
 * `cosign verify-attestation --type spdxjson|cyclonedx` finds them.
 */
import { silentLogger, type Logger } from '../logger.ts';
import type { ImageStore } from '../oci/store.ts';
import type { Descriptor } from '../oci/types.ts';
import {
  appendCosignLayer,
  attestationLayerFromBundle,
  attestBundle,
  CosignAnnotation,
  exactDuplicate,
  IN_TOTO_PAYLOAD_TYPE,
  imageSubject,
  makeStatement,
  serializeStatement,
  subjectDescriptor,
  type ImageSigner,
  type SignatureFormat,
} from '../sign/index.ts';

/** The SBOM formats the action writes. */
export type SbomFormat = 'spdx-json' | 'cyclonedx-json';

/** The in-toto predicate type of each format, as cosign names them. */
export const SBOM_PREDICATE_TYPES: Record<SbomFormat, string> = {
  'spdx-json': 'https://spdx.dev/Document',
  'cyclonedx-json': 'https://cyclonedx.org/bom',
};

export interface AttestSbomOptions {
  /** The image's repository (a registry `Repository` or a `LayoutStore`). */
  store: ImageStore;
  /** The image's name for the statement subject, e.g. `ghcr.io/acme/app` (no tag or digest). */
  name: string;
  /** The digest attested: the manifest or index the user referenced. */
  digest: string;
  signer: ImageSigner;
  /** Where to store: `legacy` (`.att`), `bundle` (referrer) or `both` (one signature, stored twice). */
  format: SignatureFormat;
  /** The documents to attest, one attestation each. */
  documents: ReadonlyArray<{ format: SbomFormat; document: Record<string, unknown> }>;
  created?: Date;
  logger?: Logger;
}

export interface SbomAttestation {
  format: SbomFormat;
  predicateType: string;
  /** `registry/repo:sha256-<hex>.att` when stored as a legacy layer. */
  legacy?: { location: string; descriptor: Descriptor };
  /** `registry/repo@sha256:…` of the referrer manifest when stored as a bundle. */
  bundle?: { location: string; descriptor: Descriptor };
}

/**
 * Attests each SBOM document on `digest`. A re-run replaces the earlier `.att` layer of the same
 * predicate type (cosign's `attest --replace`) instead of piling up stale SBOMs; bundle referrers
 * are content-addressed, so a new one is added beside the old.
 */
export async function attestSbom(options: AttestSbomOptions): Promise<SbomAttestation[]> {
  const logger = options.logger ?? silentLogger;
  const { store, digest, signer } = options;
  const legacy = options.format === 'both' || options.format === 'legacy';
  const bundled = options.format === 'both' || options.format === 'bundle';
  const subject = await subjectDescriptor(store, digest);
  const results: SbomAttestation[] = [];
  for (const { format, document } of options.documents) {
    const predicateType = SBOM_PREDICATE_TYPES[format];
    const statement = makeStatement([imageSubject(digest, options.name)], predicateType, document);
    const bundle = await signer.signDsse(serializeStatement(statement), IN_TOTO_PAYLOAD_TYPE);
    const result: SbomAttestation = { format, predicateType };
    if (legacy) {
      const att = await appendCosignLayer(
        store,
        digest,
        'att',
        attestationLayerFromBundle(bundle, predicateType),
        exactDuplicate,
        { remove: (l) => l.annotations[CosignAnnotation.PredicateType] === predicateType },
      );
      result.legacy = { location: `${options.name}:${att.tag}`, descriptor: att.descriptor };
      logger.info(`${format} attestation stored in ${options.name}:${att.tag}`);
    }
    if (bundled) {
      const pushed = await attestBundle({
        store,
        subject,
        signer,
        statement,
        bundle,
        ...(options.created && { created: options.created }),
      });
      result.bundle = {
        location: `${options.name}@${pushed.referrer.digest}`,
        descriptor: pushed.referrer,
      };
      logger.info(
        `${format} attestation bundle stored as referrer ${options.name}@${pushed.referrer.digest}`,
      );
    }
    results.push(result);
  }
  return results;
}
