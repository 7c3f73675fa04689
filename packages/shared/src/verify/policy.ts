/**
 * What an image must satisfy to count as verified: who may have signed it (keys, or a keyless
 * certificate identity and issuer under a trusted root), in which storage format, which signed
 * attestations it must carry, what its provenance must say, and which digest it must be.
 */
import type { KeyObject } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { keyFingerprint, keyHint, loadPublicKey } from '../sign/keys.ts';
import { SLSA_PROVENANCE_V1 } from '../sign/provenance.ts';
import { VerifyError } from './errors.ts';

/** A string that must match exactly, or a regular expression that must match (anchor it yourself). */
export type Matcher = string | RegExp;

/** Signed by one of these public keys (PEM `PUBLIC KEY`, as `cosign.pub`). */
export interface KeyTrust {
  kind: 'keys';
  /** PEM texts or already loaded keys; at least one. */
  keys: ReadonlyArray<string | KeyObject>;
}

/** Signed keylessly: a Fulcio certificate for this identity and issuer, logged in Rekor, under `trustedRoot`. */
export interface KeylessTrust {
  kind: 'keyless';
  /** The certificate's SAN, e.g. `https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main`. */
  identity: Matcher;
  /** The OIDC issuer, e.g. `https://token.actions.githubusercontent.com`. */
  issuer: Matcher;
  /**
   * The Sigstore trusted root (Fulcio CAs, CT logs, Rekor logs, TSAs). Absent: the public-good root
   * through `@sigstore/tuf` (needs network to the TUF repository).
   */
  trustedRoot?: TrustedRoot;
}

export type Trust = KeyTrust | KeylessTrust;

/** `auto`: Sigstore bundles (OCI referrers) and legacy `.sig`/`.att` tags; `bundle` or `legacy`: only that one. */
export type VerifySignatureFormat = 'auto' | 'bundle' | 'legacy';
export const VERIFY_SIGNATURE_FORMATS: readonly VerifySignatureFormat[] = ['auto', 'bundle', 'legacy'];

/** Pins on what verified SLSA provenance claims. Each is an exact string or a RegExp. */
export interface ProvenancePins {
  /** `https://github.com/acme/app` (or `acme/app`, matched against both spellings when exact). */
  sourceRepository?: Matcher;
  /** `refs/heads/main`, `refs/tags/v1.2.3`. */
  sourceRef?: Matcher;
  /** `runDetails.builder.id`, e.g. `https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main`. */
  builderId?: Matcher;
}

export interface VerifyPolicy {
  trust: Trust;
  /** Default `auto`. */
  signatureFormat?: VerifySignatureFormat;
  /** Predicate types (or the aliases `slsa-provenance`, `spdx`, `cyclonedx`) that must be attested. */
  requireAttestations?: readonly string[];
  /** Pins on the provenance; setting any requires SLSA provenance. */
  provenance?: ProvenancePins;
  /** The digest the image must have (from build-sign's outputs). */
  expectedDigest?: string;
}

/** Aliases of `require-attestations` and the predicate types each accepts. */
export const PREDICATE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  'slsa-provenance': [SLSA_PROVENANCE_V1, 'https://slsa.dev/provenance/v0.2'],
  spdx: ['https://spdx.dev/Document', 'https://spdx.dev/Document/v2.3'],
  cyclonedx: ['https://cyclonedx.org/bom', 'https://cyclonedx.org/bom/v1.6'],
};

/** One required attestation: the name the user gave and the predicate types that satisfy it. */
export interface RequiredAttestation {
  name: string;
  predicateTypes: readonly string[];
}

/** Resolves aliases; a URI stands for itself. Throws a plain Error naming what is valid. */
export function resolvePredicateType(name: string): RequiredAttestation {
  const value = name.trim();
  const alias = PREDICATE_ALIASES[value.toLowerCase()];
  if (alias) return { name: value.toLowerCase(), predicateTypes: alias };
  if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value)) return { name: value, predicateTypes: [value] };
  throw new Error(
    `"${value}" is neither an alias (${Object.keys(PREDICATE_ALIASES).join(', ')}) nor a predicate type URI such as https://slsa.dev/provenance/v1`,
  );
}

/** Whether `value` satisfies `matcher`. */
export function matches(matcher: Matcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (typeof matcher === 'string') return matcher === value;
  matcher.lastIndex = 0;
  return matcher.test(value);
}

/** `"exact"` or `/regexp/`, for messages. */
export function describeMatcher(matcher: Matcher): string {
  return typeof matcher === 'string' ? `"${matcher}"` : `the regexp ${matcher.source}`;
}

/** A trusted key with what identifies it. */
export interface TrustedKey {
  key: KeyObject;
  fingerprint: string;
  hint: string;
}

/** Loads the keys of a key trust, POLICY_INVALID when one does not parse. */
export function trustedKeys(trust: KeyTrust): TrustedKey[] {
  if (trust.keys.length === 0) throw new VerifyError('POLICY_INVALID', 'the key trust lists no key');
  return trust.keys.map((k, i) => {
    let key: KeyObject;
    try {
      key = typeof k === 'string' ? loadPublicKey(k) : k;
    } catch (err) {
      throw new VerifyError(
        'POLICY_INVALID',
        `trusted key ${i + 1} is not an ECDSA P-256 public key in PEM: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return { key, fingerprint: keyFingerprint(key), hint: keyHint(key) };
  });
}

/** The required attestations of a policy, with SLSA provenance added when provenance is pinned. */
export function requiredAttestations(policy: VerifyPolicy): RequiredAttestation[] {
  const out: RequiredAttestation[] = [];
  for (const name of policy.requireAttestations ?? []) {
    let resolved: RequiredAttestation;
    try {
      resolved = resolvePredicateType(name);
    } catch (err) {
      throw new VerifyError('POLICY_INVALID', (err as Error).message, { cause: err });
    }
    if (!out.some((r) => r.name === resolved.name)) out.push(resolved);
  }
  const pins = policy.provenance;
  const pinned = pins && (pins.sourceRepository ?? pins.sourceRef ?? pins.builderId) !== undefined;
  const provenance = PREDICATE_ALIASES['slsa-provenance']!;
  if (pinned && !out.some((r) => r.predicateTypes.some((t) => provenance.includes(t))))
    out.push({ name: 'slsa-provenance', predicateTypes: provenance });
  return out;
}
