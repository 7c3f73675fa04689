/**
 * The payload cosign signs for a container image: the "simple signing" format of
 * containers/image, exactly as sigstore/sigstore's `payload.Cosign.MarshalJSON` writes it:
 *
 *     {"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},
 *      "image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},
 *      "optional":null}
 *
 * (one line, no spaces; `optional` is `null` without annotations, else a map with sorted keys).
 */
import { parseDigest } from '../oci/digest.ts';
import { DEFAULT_REGISTRY } from '../oci/reference.ts';
import { SignError } from './errors.ts';
import { goJson, GoMap } from './go-json.ts';

/** `critical.type` of every cosign image signature. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/**
 * The `docker-reference` cosign writes for a repository: go-containerregistry's
 * `Repository.Name()`, which spells Docker Hub `index.docker.io` (`index.docker.io/library/alpine`).
 */
export function dockerReference(ref: { registry: string; repository: string }): string {
  const registry = ref.registry === DEFAULT_REGISTRY ? 'index.docker.io' : ref.registry;
  return `${registry}/${ref.repository}`;
}

export interface SimpleSigningOptions {
  /** Usually {@link dockerReference} of the image's repository; cosign's `--sign-container-identity` overrides it. */
  dockerReference: string;
  /** The signed manifest's digest. */
  digest: string;
  /** cosign's `-a key=value` annotations, written under `optional`. */
  annotations?: Record<string, unknown>;
}

/** The payload bytes, byte for byte as cosign produces them. */
export function simpleSigningPayload(options: SimpleSigningOptions): Buffer {
  parseDigest(options.digest);
  const annotations =
    options.annotations && Object.keys(options.annotations).length > 0 ? options.annotations : undefined;
  return Buffer.from(
    goJson({
      critical: {
        identity: { 'docker-reference': options.dockerReference },
        image: { 'docker-manifest-digest': options.digest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional: annotations ? new GoMap(sortedDeep(annotations)) : null,
    }),
  );
}

/** Go marshals nested `map[string]any` values sorted too. */
function sortedDeep(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v)
        ? new GoMap(sortedDeep(v as Record<string, unknown>))
        : v;
  return out;
}

/**
 * Parses and checks a signed payload: the cosign type, a docker reference, a valid digest.
 * PAYLOAD_INVALID otherwise. What it says is only trustworthy once its signature verified.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new SignError('PAYLOAD_INVALID', 'the signed payload is not JSON', { cause: err });
  }
  const p = doc as Partial<SimpleSigningPayload> | null;
  const critical = p?.critical;
  if (!critical || typeof critical !== 'object')
    throw new SignError('PAYLOAD_INVALID', 'the signed payload has no "critical" section');
  if (critical.type !== COSIGN_SIGNATURE_TYPE)
    throw new SignError(
      'PAYLOAD_INVALID',
      `the signed payload is of an unknown type ${JSON.stringify(critical.type)}`,
    );
  const reference = critical.identity?.['docker-reference'];
  const digest = critical.image?.['docker-manifest-digest'];
  if (typeof reference !== 'string' || reference === '')
    throw new SignError('PAYLOAD_INVALID', 'the signed payload has no docker-reference');
  if (typeof digest !== 'string')
    throw new SignError('PAYLOAD_INVALID', 'the signed payload has no docker-manifest-digest');
  try {
    parseDigest(digest);
  } catch (err) {
    throw new SignError(
      'PAYLOAD_INVALID',
      `the signed payload's digest is invalid: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const optional = p.optional;
  if (
    optional !== null &&
    optional !== undefined &&
    (typeof optional !== 'object' || Array.isArray(optional))
  )
    throw new SignError('PAYLOAD_INVALID', 'the signed payload\'s "optional" is not an object');
  return { critical, optional: (optional as Record<string, unknown> | null | undefined) ?? null };
}
