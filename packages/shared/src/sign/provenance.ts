/**
 * SLSA provenance v1 (https://slsa.dev/spec/v1.0/provenance) for an image built by a GitHub
 * Actions workflow, with the GitHub Actions workflow build type
 * (`https://actions.github.io/buildtypes/workflow/v1`, the one actions/attest writes; defined in
 * slsa-framework/github-actions-buildtypes `workflow/v1`):
 *
 * - `buildDefinition.externalParameters.workflow`: `{ref, repository, path}` of the top-level
 *   workflow, from `workflow_ref`;
 * - `buildDefinition.internalParameters.github`: event name, numeric repository and owner ids,
 *   runner environment;
 * - `buildDefinition.resolvedDependencies`: the repository at its ref, with the commit as
 *   `gitCommit`, then what the caller adds (build-sign's assemble: the base image and the files);
 * - `runDetails.builder.id`: the server URL + `job_workflow_ref` (the reusable workflow that ran
 *   the build, when there is one), else + `workflow_ref`;
 * - `runDetails.metadata.invocationId`: the run's URL with its attempt.
 *
 * The context comes from the runner's environment ({@link githubContextFromEnv}) and, better,
 * from the claims of the job's OIDC token ({@link githubContextFromClaims}), which alone carry
 * `job_workflow_ref` and cannot be altered by the workflow's steps.
 */
import { SignError } from './errors.ts';
import { imageSubject, makeStatement, type ResourceDescriptor, type Statement } from './attestation.ts';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

/** What provenance needs to know of the GitHub run. */
export interface GitHubBuildContext {
  /** `https://github.com`, or a GitHub Enterprise Server URL. */
  serverUrl: string;
  /** `owner/repo`. */
  repository: string;
  repositoryId?: string;
  repositoryOwnerId?: string;
  /** `owner/repo/.github/workflows/release.yml@refs/heads/main`: the top-level workflow. */
  workflowRef: string;
  /** The workflow file the job ran from (a reusable workflow's ref when called), from the OIDC token. */
  jobWorkflowRef?: string;
  /** `refs/heads/main`, `refs/tags/v1.2.3`, … */
  ref: string;
  /** The commit (40 hex). */
  sha: string;
  eventName: string;
  runId: string;
  runAttempt: string;
  /** `github-hosted` or `self-hosted`. */
  runnerEnvironment?: string;
}

export interface SlsaProvenancePredicate {
  buildDefinition: {
    buildType: string;
    externalParameters: { workflow: { ref: string; repository: string; path: string } };
    internalParameters: { github: Record<string, string> };
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string };
    metadata: { invocationId: string; startedOn?: string; finishedOn?: string };
  };
}

function missing(names: string[], source: string): SignError {
  return new SignError(
    'PROVENANCE_CONTEXT',
    `cannot build SLSA provenance: ${source} lacks ${names.join(', ')} (provenance is only made inside a GitHub Actions run)`,
  );
}

/** The context from the runner's environment variables (`GITHUB_*`, `RUNNER_ENVIRONMENT`). */
export function githubContextFromEnv(env: Record<string, string | undefined>): GitHubBuildContext {
  const required = {
    serverUrl: 'GITHUB_SERVER_URL',
    repository: 'GITHUB_REPOSITORY',
    workflowRef: 'GITHUB_WORKFLOW_REF',
    ref: 'GITHUB_REF',
    sha: 'GITHUB_SHA',
    eventName: 'GITHUB_EVENT_NAME',
    runId: 'GITHUB_RUN_ID',
    runAttempt: 'GITHUB_RUN_ATTEMPT',
  } as const;
  const absent = Object.values(required).filter((name) => !env[name]);
  if (absent.length > 0) throw missing(absent, 'the environment');
  const get = (name: string) => env[name] || undefined;
  return {
    serverUrl: env[required.serverUrl]!,
    repository: env[required.repository]!,
    workflowRef: env[required.workflowRef]!,
    ref: env[required.ref]!,
    sha: env[required.sha]!,
    eventName: env[required.eventName]!,
    runId: env[required.runId]!,
    runAttempt: env[required.runAttempt]!,
    ...optional({
      repositoryId: get('GITHUB_REPOSITORY_ID'),
      repositoryOwnerId: get('GITHUB_REPOSITORY_OWNER_ID'),
      runnerEnvironment: get('RUNNER_ENVIRONMENT'),
    }),
  };
}

function optional<T extends Record<string, string | undefined>>(values: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== '')) as Partial<
    Record<keyof T, string>
  >;
}

/**
 * The context from the claims of a GitHub Actions OIDC token (see `decodeJwtClaims` in oidc.ts).
 * `serverUrl` is not a claim: pass `GITHUB_SERVER_URL` (default `https://github.com`).
 */
export function githubContextFromClaims(
  claims: Record<string, unknown>,
  serverUrl = 'https://github.com',
): GitHubBuildContext {
  const str = (name: string): string | undefined => {
    const v = claims[name];
    return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const required = ['repository', 'workflow_ref', 'ref', 'sha', 'event_name', 'run_id', 'run_attempt'];
  const absent = required.filter((name) => str(name) === undefined);
  if (absent.length > 0) throw missing(absent, 'the OIDC token');
  return {
    serverUrl,
    repository: str('repository')!,
    workflowRef: str('workflow_ref')!,
    ref: str('ref')!,
    sha: str('sha')!,
    eventName: str('event_name')!,
    runId: str('run_id')!,
    runAttempt: str('run_attempt')!,
    ...optional({
      jobWorkflowRef: str('job_workflow_ref'),
      repositoryId: str('repository_id'),
      repositoryOwnerId: str('repository_owner_id'),
      runnerEnvironment: str('runner_environment'),
    }),
  };
}

/** Splits `owner/repo/.github/workflows/x.yml@refs/heads/main` into path and ref (either may contain `@`). */
export function splitWorkflowRef(
  workflowRef: string,
  repository: string,
  ref?: string,
): { path: string; ref: string } {
  const prefix = `${repository}/`;
  if (!workflowRef.startsWith(prefix))
    throw new SignError(
      'PROVENANCE_CONTEXT',
      `workflow ref "${workflowRef}" does not belong to ${repository}`,
    );
  const rest = workflowRef.slice(prefix.length);
  if (ref && rest.endsWith(`@${ref}`)) return { path: rest.slice(0, -(ref.length + 1)), ref };
  const at = rest.indexOf('@');
  if (at <= 0) throw new SignError('PROVENANCE_CONTEXT', `workflow ref "${workflowRef}" has no @<ref>`);
  return { path: rest.slice(0, at), ref: rest.slice(at + 1) };
}

export interface ProvenanceOptions {
  startedOn?: Date;
  finishedOn?: Date;
  /** More materials after the repository: what else the build took in (a base image, files), by digest. */
  resolvedDependencies?: readonly ResourceDescriptor[];
}

/** The SLSA v1 predicate for a build run by this GitHub Actions workflow. */
export function slsaProvenancePredicate(
  context: GitHubBuildContext,
  options: ProvenanceOptions = {},
): SlsaProvenancePredicate {
  const server = context.serverUrl.replace(/\/+$/, '');
  const workflow = splitWorkflowRef(context.workflowRef, context.repository, context.ref);
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(context.sha))
    throw new SignError('PROVENANCE_CONTEXT', `"${context.sha}" is not a git commit id`);
  const github = optional({
    event_name: context.eventName,
    repository_id: context.repositoryId,
    repository_owner_id: context.repositoryOwnerId,
    runner_environment: context.runnerEnvironment,
  });
  return {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: {
        workflow: { ref: workflow.ref, repository: `${server}/${context.repository}`, path: workflow.path },
      },
      internalParameters: { github: github as Record<string, string> },
      resolvedDependencies: [
        { uri: `git+${server}/${context.repository}@${context.ref}`, digest: { gitCommit: context.sha } },
        ...(options.resolvedDependencies ?? []),
      ],
    },
    runDetails: {
      builder: { id: `${server}/${context.jobWorkflowRef ?? context.workflowRef}` },
      metadata: {
        invocationId: `${server}/${context.repository}/actions/runs/${context.runId}/attempts/${context.runAttempt}`,
        ...(options.startedOn && { startedOn: options.startedOn.toISOString() }),
        ...(options.finishedOn && { finishedOn: options.finishedOn.toISOString() }),
      },
    },
  };
}

/**
 * The in-toto statement of SLSA provenance for a pushed image: subject `{name, digest}` where
 * `name` is the image without tag or digest (e.g. `ghcr.io/acme/app`).
 */
export function provenanceStatement(
  image: { name: string; digest: string },
  context: GitHubBuildContext,
  options: ProvenanceOptions = {},
): Statement<SlsaProvenancePredicate> {
  return makeStatement(
    [imageSubject(image.digest, image.name)],
    SLSA_PROVENANCE_V1,
    slsaProvenancePredicate(context, options),
  );
}
