/**
 * The build-and-push phase: buildx or buildah through the shared builders, run the runner's way
 * (the kit's `runnerExec`: a `[command]` line and the tool's output in the job log; credentials on
 * stdin or in a 0600 auth file, never on a command line), or, with builder none, the image resolved
 * once to its digest.
 */
import { tmpdir } from 'node:os';
import { runnerExec } from '@release-actions/action-kit';
import type { Logger } from '@release-actions/shared';
import {
  buildWithBuildah,
  buildWithBuildx,
  dockerLogin,
  type BuildRequest,
} from '@release-actions/shared/build';
import type { CredentialSource, ImageStore } from '@release-actions/shared/oci';
import { targetRegistry, type Inputs } from './context.ts';
import { resolveSubject } from './subject.ts';

export interface Pushed {
  digest: string;
  tags: string[];
  resolvedFrom: string | undefined;
}

function buildRequest(inputs: Inputs): BuildRequest {
  return {
    context: inputs.context,
    ...(inputs.file && { file: inputs.file }),
    buildArgs: inputs['build-args'],
    labels: inputs.labels,
    tags: inputs.tags,
    platforms: inputs.platforms,
    ...(inputs.target && { target: inputs.target }),
  };
}

/** Username and password for the target registry: the inputs, else GITHUB_TOKEN for ghcr.io, else none. */
export function explicitCredential(inputs: Inputs): { username: string; password: string } | undefined {
  if (inputs.username && inputs.password) return { username: inputs.username, password: inputs.password };
  if (targetRegistry(inputs) === 'ghcr.io' && inputs['github-token'])
    return { username: process.env.GITHUB_ACTOR || 'x-access-token', password: inputs['github-token'] };
  return undefined;
}

export async function build(
  inputs: Inputs,
  store: ImageStore,
  credentials: CredentialSource | undefined,
  logger: Logger,
): Promise<Pushed> {
  const exec = runnerExec();
  const tempDir = process.env.RUNNER_TEMP || tmpdir();
  if (inputs.builder === 'none') return resolveSubject(inputs.image!, store, logger);
  const request = buildRequest(inputs);
  if (inputs.builder === 'buildx') {
    const credential = explicitCredential(inputs);
    if (credential) await dockerLogin(targetRegistry(inputs)!, credential, { exec });
    const built = await buildWithBuildx(request, { exec, tempDir });
    return { digest: built.digest, tags: built.tags, resolvedFrom: undefined };
  }
  const resolved = await credentials?.resolve(targetRegistry(inputs)!);
  const credential = resolved && 'username' in resolved ? resolved : undefined;
  if (resolved && !credential)
    logger.info(
      'registry credentials are a token: buildah finds its own (auth.json or ~/.docker/config.json)',
    );
  const built = await buildWithBuildah(request, {
    exec,
    tempDir,
    ...(credential && { credential }),
    ...(inputs['buildah-storage-driver'] && { storageDriver: inputs['buildah-storage-driver'] }),
    ...(inputs['buildah-isolation'] && { isolation: inputs['buildah-isolation'] }),
    insecureRegistries: inputs['insecure-registries'],
  });
  return { digest: built.digest, tags: built.tags, resolvedFrom: undefined };
}
