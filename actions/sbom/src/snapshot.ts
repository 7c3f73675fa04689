/**
 * `dependency-snapshot: true`: the SBOM's packages submitted to the repository's dependency graph
 * through GitHub's dependency submission API (`@actions/github`, `GITHUB_API_URL` honoured), as
 * anchore/sbom-action does. Optional by nature: a refused submission (403/404: the token lacks
 * `contents: write`, or the dependency graph is off) or any other failure is a warning naming
 * what to change, never the step's failure.
 */
import { relative } from 'node:path';
import * as github from '@actions/github';
import { errorMessage, type Logger } from '@release-actions/shared';
import {
  buildDependencySnapshot,
  snapshotPackageCount,
  type DependencySnapshot,
} from '@release-actions/shared/github';
import type { SbomResult } from '@release-actions/shared/sbom';
import type { Inputs } from './context.ts';

/** What became of the snapshot, for the summary. */
export type SnapshotOutcome =
  | { status: 'submitted'; id: number; manifests: number; packages: number }
  | { status: 'skipped'; reason: string }
  | { status: 'refused'; reason: string }
  | { status: 'failed'; reason: string };

const PERMISSION_FIX =
  'give the job "permissions: contents: write" (the dependency submission API needs it) and make sure the repository has the dependency graph enabled';

/** The job's facts the snapshot carries, from the runner's environment; undefined outside a workflow run. */
function jobFacts(env: NodeJS.ProcessEnv) {
  const { GITHUB_REPOSITORY: repository, GITHUB_SHA: sha, GITHUB_REF: ref } = env;
  if (!repository || !sha || !ref) return undefined;
  const server = env.GITHUB_SERVER_URL || 'https://github.com';
  const runId = env.GITHUB_RUN_ID || '0';
  return {
    repository,
    sha,
    ref,
    runId,
    jobUrl: `${server}/${repository}/actions/runs/${runId}`,
    workflow: env.GITHUB_WORKFLOW || 'workflow',
    job: env.GITHUB_JOB || 'job',
    detector: {
      name: 'release-actions/sbom',
      version: env.GITHUB_ACTION_REF || 'unversioned',
      url: `${server}/${env.GITHUB_ACTION_REPOSITORY || repository}`,
    },
  };
}

/** The snapshot of `sbom` for this job, or why there is none. */
export function snapshotFor(
  inputs: Pick<Inputs, 'image' | 'path'>,
  sbom: SbomResult,
  env: NodeJS.ProcessEnv,
  now: Date,
): { snapshot: DependencySnapshot; repository: string } | { skipped: string } {
  const facts = jobFacts(env);
  if (!facts)
    return { skipped: 'not in a workflow run (GITHUB_REPOSITORY, GITHUB_SHA or GITHUB_REF is not set)' };
  const inRepository = inputs.path ? relative(env.GITHUB_WORKSPACE || process.cwd(), inputs.path) : '';
  const directory = inRepository.startsWith('..') ? '' : inRepository;
  const imageName = sbom.subject?.name ?? inputs.image?.text;
  // One correlator per workflow, job and thing cataloged: each one's latest snapshot stands.
  const subject = imageName ?? (directory || '.');
  const snapshot = buildDependencySnapshot(sbom.inventory, {
    sha: facts.sha,
    ref: facts.ref,
    correlator: `${facts.workflow}_${facts.job}_${subject}`,
    jobId: facts.runId,
    jobUrl: facts.jobUrl,
    detector: facts.detector,
    scanned: now,
    ...(imageName && { imageName }),
    directoryInRepository: directory,
  });
  if (snapshotPackageCount(snapshot) === 0) return { skipped: 'no package with a purl to submit' };
  return { snapshot, repository: facts.repository };
}

/** Submits the snapshot with `github-token`; never throws (see the module comment). */
export async function submitDependencySnapshot(
  inputs: Pick<Inputs, 'image' | 'path' | 'github-token'>,
  sbom: SbomResult,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SnapshotOutcome> {
  const built = snapshotFor(inputs, sbom, env, new Date());
  if ('skipped' in built) {
    logger.warning(`dependency-snapshot: not submitted: ${built.skipped}`);
    return { status: 'skipped', reason: built.skipped };
  }
  const { snapshot, repository } = built;
  const [owner, repo] = repository.split('/') as [string, string];
  const manifests = Object.keys(snapshot.manifests).length;
  const packages = snapshotPackageCount(snapshot);
  const octokit = github.getOctokit(inputs['github-token'], {
    baseUrl: env.GITHUB_API_URL || 'https://api.github.com',
  });
  try {
    const { data } = await octokit.rest.dependencyGraph.createRepositorySnapshot({
      owner,
      repo,
      ...snapshot,
    });
    logger.info(
      `dependency snapshot ${data.id} submitted to ${repository}: ${manifests} manifest(s), ${packages} package(s) (${data.result}${data.message ? `: ${data.message}` : ''})`,
    );
    return { status: 'submitted', id: data.id, manifests, packages };
  } catch (err) {
    // GitHub's answer, if any: octokit reports a network failure as status 500 with no response.
    const status = (err as { response?: { status?: unknown } }).response?.status;
    if (status === 403 || status === 404) {
      const reason = `GitHub refused the dependency snapshot (${status}: ${errorMessage(err)}): ${PERMISSION_FIX}`;
      logger.warning(`dependency-snapshot: ${reason}`);
      return { status: 'refused', reason };
    }
    const reason = `the dependency snapshot could not be submitted (${typeof status === 'number' ? `${status}: ` : ''}${errorMessage(err)}); the SBOM is not affected`;
    logger.warning(`dependency-snapshot: ${reason}`);
    return { status: 'failed', reason };
  }
}
