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
  attachAttestation,
  imageSubject,
  makeStatement,
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
  legacy?: { location: string; descriptor: Descriptor; appended?: boolean };
  /** `registry/repo@sha256:…` of the referrer manifest when stored as a bundle. */
  bundle?: { location: string; descriptor: Descriptor; appended?: boolean };
}

/**
 * Attests each SBOM document on `digest` through `attachAttestation` (sign/attach.ts). A re-run
 * replaces the earlier `.att` layer of the same predicate type (cosign's `attest --replace`)
 * instead of piling up stale SBOMs; bundle referrers are content-addressed, so a new one is added
 * beside the old. The same document attested again by the same signer adds nothing.
 */
export async function attestSbom(options: AttestSbomOptions): Promise<SbomAttestation[]> {
  const logger = options.logger ?? silentLogger;
  const { store, digest, signer, name } = options;
  const subject = await subjectDescriptor(store, digest);
  const results: SbomAttestation[] = [];
  for (const { format, document } of options.documents) {
    const predicateType = SBOM_PREDICATE_TYPES[format];
    const attached = await attachAttestation({
      store,
      name,
      subject,
      signer,
      statement: makeStatement([imageSubject(digest, name)], predicateType, document),
      format: options.format,
      replace: true,
      ...(options.created && { created: options.created }),
    });
    const result: SbomAttestation = { format, predicateType };
    if (attached.legacy) {
      const { location, descriptor, appended } = attached.legacy;
      result.legacy = { location, descriptor, ...(appended !== undefined && { appended }) };
      logger.info(`${format} attestation ${appended === false ? 'already stored' : 'stored'} in ${location}`);
    }
    if (attached.bundle) {
      const { location, descriptor, appended } = attached.bundle;
      result.bundle = { location, descriptor, ...(appended !== undefined && { appended }) };
      logger.info(
        `${format} attestation bundle ${appended === false ? 'already stored' : 'stored'} as referrer ${location}`,
      );
    }
    results.push(result);
  }
  return results;
}
