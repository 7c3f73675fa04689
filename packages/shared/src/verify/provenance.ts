/**
 * Pins on SLSA provenance claims, read from a verified statement: v1 (the GitHub Actions workflow
 * build type: `buildDefinition.externalParameters.workflow.{repository,ref}`,
 * `runDetails.builder.id`) and v0.2 (`invocation.configSource.{uri,entryPoint}`, `builder.id`).
 */
import type { Statement } from '../sign/attestation.ts';
import { VerifyError } from './errors.ts';
import { describeMatcher, matches, type Matcher, type ProvenancePins } from './policy.ts';

export interface ProvenanceClaims {
  sourceRepository: string | undefined;
  sourceRef: string | undefined;
  builderId: string | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** What a provenance statement claims about source and builder. */
export function provenanceClaims(statement: Statement): ProvenanceClaims {
  const p = (statement.predicate ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (statement.predicateType === 'https://slsa.dev/provenance/v0.2') {
    const uri = str(p.invocation?.configSource?.uri);
    // git+https://github.com/acme/app@refs/heads/main
    const m = uri ? /^(?:git\+)?(.*?)@(refs\/.*)$/.exec(uri) : null;
    return {
      sourceRepository: m ? m[1] : uri,
      sourceRef: m ? m[2] : undefined,
      builderId: str(p.builder?.id),
    };
  }
  const workflow = p.buildDefinition?.externalParameters?.workflow ?? {};
  return {
    sourceRepository: str(workflow.repository),
    sourceRef: str(workflow.ref),
    builderId: str(p.runDetails?.builder?.id),
  };
}

function repositoryMatches(pin: Matcher, value: string | undefined): boolean {
  if (matches(pin, value)) return true;
  // An exact `owner/repo` pin also matches `https://<server>/owner/repo`.
  return typeof pin === 'string' && !pin.includes('://') && value !== undefined && value.endsWith(`/${pin}`);
}

/** Throws PROVENANCE_MISMATCH naming the first claim that differs from its pin. */
export function checkProvenance(statement: Statement, pins: ProvenancePins | undefined): void {
  if (!pins) return;
  const claims = provenanceClaims(statement);
  const checks: Array<[string, Matcher | undefined, string | undefined, boolean]> = [
    [
      'source-repository',
      pins.sourceRepository,
      claims.sourceRepository,
      pins.sourceRepository !== undefined &&
        repositoryMatches(pins.sourceRepository, claims.sourceRepository),
    ],
    [
      'source-ref',
      pins.sourceRef,
      claims.sourceRef,
      pins.sourceRef !== undefined && matches(pins.sourceRef, claims.sourceRef),
    ],
    [
      'builder-id',
      pins.builderId,
      claims.builderId,
      pins.builderId !== undefined && matches(pins.builderId, claims.builderId),
    ],
  ];
  for (const [input, pin, claim, ok] of checks) {
    if (pin === undefined || ok) continue;
    throw new VerifyError(
      'PROVENANCE_MISMATCH',
      `the provenance claims ${input} ${claim ?? '(none)'}, but ${describeMatcher(pin)} is required: was the image built from the expected source and workflow? (input ${input})`,
    );
  }
}
