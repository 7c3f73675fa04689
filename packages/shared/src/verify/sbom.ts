/**
 * The SBOMs an image's trusted signer attested, for a deploy-time scan that re-checks an old,
 * verified image against today's advisories without cataloging it again.
 *
 *     const result = await verifyImage({ store, reference, policy });
 *     const { packages } = await verifySbomAttestations({ store, digest: result.digest, policy });
 *     await scanPackages(packages, { source });
 *
 * An SBOM counts only when its attestation verifies under the same trust as the image's signature
 * (the `.att` layers and bundle referrers, as the policy's signature format says), states an SPDX
 * or CycloneDX predicate type (`https://spdx.dev/Document`, `https://cyclonedx.org/bom`, as the
 * sbom action and `cosign attest --type spdxjson|cyclonedx` write them) and is about the digest.
 * Every SBOM that counts is read, and their packages are returned once per purl. An SBOM attested
 * by another key, or one that cannot be read as an attestation, never counts: with no SBOM that
 * counts the error is ATTESTATION_MISSING (the refused ones in `failures`). One that verifies but
 * is about another digest (ATTESTATION_SUBJECT_MISMATCH) or holds no SPDX or CycloneDX document
 * (PAYLOAD_INVALID) is reported with its own code when nothing else counts.
 */
import { errorMessage } from '../errors.ts';
import type { ImageStore } from '../oci/store.ts';
import { sbomDocumentPackages, type SbomDocumentPackage } from '../sbom/read.ts';
import { findLegacy, findReferrerBundles, type Found } from './candidates.ts';
import { verifyCandidate, type VerifiedSigner } from './check.ts';
import { VerifyError, type CandidateFailure } from './errors.ts';
import { PREDICATE_ALIASES, type VerifyPolicy } from './policy.ts';
import {
  attestedStatement,
  candidateFailure,
  prepareTrust,
  signerText,
  worstFailure,
  type VerifyImageOptions,
} from './verify.ts';

/** The predicate types an SBOM attestation may state: the `spdx` and `cyclonedx` aliases' types. */
export const SBOM_ATTESTATION_TYPES: readonly string[] = [
  ...PREDICATE_ALIASES.spdx!,
  ...PREDICATE_ALIASES.cyclonedx!,
];

export interface VerifySbomOptions extends Pick<VerifyImageOptions, 'loadTrustedRoot' | 'now'> {
  /** The image's repository (a registry `Repository` or a `LayoutStore`). */
  store: ImageStore;
  /** The image's digest, as verifyImage resolved it. */
  digest: string;
  /** The trust (and signature format) the image was verified with. */
  policy: Pick<VerifyPolicy, 'trust' | 'signatureFormat'>;
}

/** One SBOM attestation that counts. */
export interface VerifiedSbom {
  predicateType: string;
  format: 'legacy' | 'bundle';
  /** Where it is stored: `reg/repo:sha256-….att layer 2` or the referrer `reg/repo@sha256:…`. */
  location: string;
  signer: VerifiedSigner;
  /** The packages with a purl its document lists. */
  packages: SbomDocumentPackage[];
}

export interface VerifiedSboms {
  /** At least one. */
  sboms: VerifiedSbom[];
  /** The packages of all of them, each purl once, in the order first listed. */
  packages: SbomDocumentPackage[];
  /** SBOM attestations that were refused (another signer, unreadable, another digest). */
  refused: CandidateFailure[];
}

/** Reads and verifies the SBOM attestations of `digest`; see the module comment. */
export async function verifySbomAttestations(options: VerifySbomOptions): Promise<VerifiedSboms> {
  const { store, digest, policy } = options;
  const now = options.now ?? new Date();
  const format = policy.signatureFormat ?? 'auto';
  const trust = await prepareTrust({
    policy,
    ...(options.loadTrustedRoot && { loadTrustedRoot: options.loadTrustedRoot }),
  });
  const none: Found = { candidates: [], unreadable: [] };
  let found: Found[];
  try {
    found = await Promise.all([
      format !== 'bundle' ? findLegacy(store, digest, 'att') : none,
      format !== 'legacy' ? findReferrerBundles(store, digest) : none,
    ]);
  } catch (err) {
    throw new VerifyError(
      'REGISTRY_ERROR',
      `could not read the attestations of ${digest} from ${store.name} (${errorMessage(err)}); an unreadable registry never counts as verified: check the registry, credentials and network, then run again`,
      { cause: err, digest },
    );
  }
  const relevant = (hint: string | undefined) => hint === undefined || SBOM_ATTESTATION_TYPES.includes(hint);
  // Refused before their signer was known (unreadable, another signer): they never count.
  const untrusted: CandidateFailure[] = found
    .flatMap((f) => f.unreadable)
    .filter((f) => f.role === 'attestation' && relevant(f.predicateTypeHint));
  // Signed by the trusted signer, but not an SBOM of this digest.
  const trustedButRefused: CandidateFailure[] = [];
  const sboms: VerifiedSbom[] = [];
  const candidates = found
    .flatMap((f) => f.candidates)
    .filter((c) => c.role === 'attestation' && relevant(c.predicateTypeHint));
  for (const c of candidates) {
    let signer: VerifiedSigner;
    try {
      signer = verifyCandidate(c, trust, now).signer;
    } catch (err) {
      untrusted.push(candidateFailure(c, err));
      continue;
    }
    try {
      const statement = attestedStatement(c, SBOM_ATTESTATION_TYPES, digest, 'SBOM');
      if (!statement) continue; // another kind of attestation
      let packages: SbomDocumentPackage[];
      try {
        packages = sbomDocumentPackages(statement.predicate);
      } catch (err) {
        throw new VerifyError(
          'PAYLOAD_INVALID',
          `the ${statement.predicateType} predicate: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      }
      sboms.push({
        predicateType: statement.predicateType,
        format: c.format,
        location: c.location,
        signer,
        packages,
      });
    } catch (err) {
      trustedButRefused.push(candidateFailure(c, err));
    }
  }
  const refused = [...untrusted, ...trustedButRefused];
  if (sboms.length === 0) {
    const first = worstFailure(trustedButRefused);
    if (first)
      throw new VerifyError(
        first.code,
        `no usable SBOM attestation for ${store.name}@${digest}: ${first.message} (${first.location})`,
        { digest, failures: refused },
      );
    const other = worstFailure(untrusted);
    throw new VerifyError(
      'ATTESTATION_MISSING',
      `no SBOM attestation (SPDX or CycloneDX) by the trusted ${trust.kind === 'keys' ? 'key' : 'identity'} found for ${store.name}@${digest}${
        other
          ? `; ${untrusted.length} stored SBOM attestation(s) refused, e.g. ${other.code}: ${other.message} (${other.location})`
          : ''
      }: attest the SBOM under the same trust as the image's signature (the sbom action with attest: true and the same key or identity)`,
      { digest, failures: refused },
    );
  }
  const packages = new Map<string, SbomDocumentPackage>();
  for (const s of sboms) for (const p of s.packages) if (!packages.has(p.purl)) packages.set(p.purl, p);
  return { sboms, packages: [...packages.values()], refused };
}

/** Where an SBOM came from, for logs: `https://spdx.dev/Document at reg/repo@sha256:… by key sha256:…`. */
export function sbomText(s: VerifiedSbom): string {
  return `${s.predicateType} at ${s.location} by ${signerText(s.signer)}`;
}
