/**
 * The trust inputs every verifying action shares (verify-image, promote, canary), with the same
 * names everywhere, parsed into the trust, format and attestation parts of a
 * {@link VerifyPolicy} (exported from `@release-actions/shared/verify`, not `/github`, so actions that do not verify never bundle Sigstore). No runner access: the action passes a getter (`core.getInput`) and an
 * {@link InputChecker}, which collects every problem against the input at fault.
 *
 * | input                              | meaning                                                                       |
 * | ---------------------------------- | ----------------------------------------------------------------------------- |
 * | `key`                              | public key(s): PEM text (several blocks allowed) or file paths, one per line   |
 * | `certificate-identity`             | keyless: the certificate SAN, exact (e.g. the workflow URL at a ref)           |
 * | `certificate-identity-regexp`      | keyless: the SAN as a regular expression (unanchored, as cosign; use ^…$)      |
 * | `certificate-oidc-issuer`          | keyless: the OIDC issuer, exact                                                |
 * | `certificate-oidc-issuer-regexp`   | keyless: the issuer as a regular expression                                    |
 * | `trusted-root`                     | keyless: Sigstore trusted root JSON, text or path; empty = public-good via TUF |
 * | `signature-format`                 | `auto` (default), `bundle` or `legacy`                                         |
 * | `require-attestations`             | predicate types or `slsa-provenance`, `spdx`, `cyclonedx`; lines or commas     |
 * | `source-repository`, `source-ref`, `builder-id` | provenance pins: exact, or `/regexp/`                             |
 *
 * Exactly one trust: `key`, or an identity (exact or regexp) with an issuer (exact or regexp).
 * `key` is read as every key input is ({@link readPublicKeysInput}): a KMS or other key reference
 * is refused with KEY_REFERENCE_UNSUPPORTED, never taken for a path.
 *
 *     const check = new InputChecker();
 *     const trust = parseTrustInputs((name) => core.getInput(name), check);
 *     check.throwIfAny();
 *     await verifyImage({ store, reference, policy: { ...trust, expectedDigest } });
 */
import { readFileSync } from 'node:fs';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { errorMessage } from '../errors.ts';
import {
  resolvePredicateType,
  VERIFY_SIGNATURE_FORMATS,
  type Matcher,
  type ProvenancePins,
  type Trust,
  type VerifySignatureFormat,
} from './policy.ts';
import { readPublicKeysInput } from '../sign/key-input.ts';
import type { InputChecker } from '../github/errors.ts';
import { parseChoice, parseList } from '../github/inputs.ts';

/** The names of the trust inputs, as action.yml spells them. */
export const TRUST_INPUTS = [
  'key',
  'certificate-identity',
  'certificate-identity-regexp',
  'certificate-oidc-issuer',
  'certificate-oidc-issuer-regexp',
  'trusted-root',
  'signature-format',
  'require-attestations',
  'source-repository',
  'source-ref',
  'builder-id',
] as const;

/** The trust, format and attestation parts of a VerifyPolicy (add `expectedDigest` to complete it). */
export interface TrustInputs {
  trust: Trust;
  signatureFormat: VerifySignatureFormat;
  /** As given (aliases kept); verifyImage resolves them. */
  requireAttestations: string[];
  provenance?: ProvenancePins;
}

/** A regular expression from input text (JavaScript syntax, unanchored as cosign matches). */
export function parseRegexInput(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (err) {
    throw new Error(`is not a valid regular expression: ${errorMessage(err)}`, { cause: err });
  }
}

/** A pin: `/pattern/` is a regular expression, anything else an exact value. */
export function parsePin(text: string): Matcher {
  const v = text.trim();
  const literal = /^\/(.+)\/$/s.exec(v);
  return literal ? parseRegexInput(literal[1]!) : v;
}

/** Sigstore trusted root JSON (text or path). */
export function parseTrustedRootInput(
  text: string,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): TrustedRoot {
  let json = text.trim();
  if (!json.startsWith('{')) {
    try {
      json = readFile(json);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      throw new Error(
        `cannot read "${text.trim()}" (${code}): give trusted_root.json's content or its path`,
        { cause: err },
      );
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new Error(
      `is not JSON: give a Sigstore trusted_root.json (cosign trusted-root create writes one)`,
      { cause: err },
    );
  }
  const root = TrustedRoot.fromJSON(doc);
  if (root.certificateAuthorities.length === 0 || root.tlogs.length === 0)
    throw new Error('lists no certificate authority or no transparency log: keyless verification needs both');
  return root;
}

/**
 * Reads and validates the trust inputs (see the module comment). Problems go to `check`; on any,
 * the returned value is a placeholder and `check.throwIfAny()` must be called before using it.
 */
export function parseTrustInputs(get: (name: string) => string, check: InputChecker): TrustInputs {
  const raw = (name: string) => (get(name) ?? '').trim();
  const signatureFormat = check.field(
    'signature-format',
    () => parseChoice(raw('signature-format') || 'auto', VERIFY_SIGNATURE_FORMATS),
    'auto' as VerifySignatureFormat,
  );
  const requireAttestations = check.field(
    'require-attestations',
    () => {
      const names = parseList(raw('require-attestations'), { commas: true });
      for (const n of names) resolvePredicateType(n);
      return names;
    },
    [] as string[],
  );

  const keyless = {
    identity: raw('certificate-identity'),
    identityRegexp: raw('certificate-identity-regexp'),
    issuer: raw('certificate-oidc-issuer'),
    issuerRegexp: raw('certificate-oidc-issuer-regexp'),
  };
  const anyKeyless = Object.values(keyless).some((v) => v !== '');
  let trust: Trust = { kind: 'keys', keys: [] };
  if (raw('key') !== '') {
    if (anyKeyless)
      check.add(
        'key',
        'is given together with certificate-identity/certificate-oidc-issuer: choose one trust, key for key-signed images or the certificate inputs for keyless',
      );
    if (raw('trusted-root') !== '')
      check.add(
        'trusted-root',
        'applies to keyless verification only: remove it, or use certificate-identity instead of key',
      );
    trust = {
      kind: 'keys',
      keys: check.field('key', () => readPublicKeysInput(raw('key'), { input: 'key' }), []),
    };
  } else if (anyKeyless) {
    const identity = exclusive(check, 'certificate-identity', keyless.identity, keyless.identityRegexp);
    const issuer = exclusive(check, 'certificate-oidc-issuer', keyless.issuer, keyless.issuerRegexp);
    const trustedRoot =
      raw('trusted-root') === ''
        ? undefined
        : check.field('trusted-root', () => parseTrustedRootInput(raw('trusted-root')), undefined);
    trust = {
      kind: 'keyless',
      identity: identity ?? '',
      issuer: issuer ?? '',
      ...(trustedRoot && { trustedRoot }),
    };
  } else {
    check.add(
      'key',
      'no trust given: set key (the public key build-sign signed with), or certificate-identity (or -regexp) with certificate-oidc-issuer (or -regexp) for keyless signatures',
    );
  }

  const provenance: ProvenancePins = {};
  for (const [input, field] of [
    ['source-repository', 'sourceRepository'],
    ['source-ref', 'sourceRef'],
    ['builder-id', 'builderId'],
  ] as const) {
    if (raw(input) === '') continue;
    const pin = check.field(input, () => parsePin(raw(input)), undefined);
    if (pin !== undefined) provenance[field] = pin;
  }
  return {
    trust,
    signatureFormat,
    requireAttestations,
    ...(Object.keys(provenance).length > 0 && { provenance }),
  };
}

/** `name` (exact) or `name-regexp`: exactly one of them. */
function exclusive(check: InputChecker, name: string, exact: string, regexp: string): Matcher | undefined {
  if (exact !== '' && regexp !== '') {
    check.add(name, `and ${name}-regexp are both set: give one of them`);
    return undefined;
  }
  if (exact !== '') return exact;
  if (regexp !== '') return check.field(`${name}-regexp`, () => parseRegexInput(regexp), undefined);
  check.add(
    name,
    name === 'certificate-identity'
      ? 'is required for keyless verification (or certificate-identity-regexp), e.g. https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'
      : 'is required for keyless verification (or certificate-oidc-issuer-regexp), e.g. https://token.actions.githubusercontent.com',
  );
  return undefined;
}
