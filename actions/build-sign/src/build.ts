/**
 * The build-and-push phase: buildx or buildah through the shared builders, run the runner's way
 * (the kit's `runnerExec`: a `[command]` line and the tool's output in the job log; credentials on
 * stdin or in a 0600 auth file, never on a command line); assemble, which makes the image itself
 * (a base plus layers of files, no daemon) and writes it to the registry or layout; or, with
 * builder none, the image resolved once to its digest.
 */
import { tmpdir } from 'node:os';
import { runnerExec } from '@release-actions/action-kit';
import type { Logger } from '@release-actions/shared';
import { InputError } from '@release-actions/shared/github';
import {
  assemble,
  BuildError,
  buildWithBuildah,
  buildWithBuildx,
  dockerLogin,
  resolveSourceDateEpoch,
  type AssembleResult,
  type BuildRequest,
  type ConfigChanges,
  type EpochSource,
} from '@release-actions/shared/build';
import {
  formatReference,
  OciError,
  openImage,
  parsePlatform,
  type ImageStore,
  type RegistryClient,
} from '@release-actions/shared/oci';
import { credentialRegistry, targetRegistry, type Inputs } from './context.ts';
import { EPOCH_FROM } from './report.ts';
import { resolveSubject } from './subject.ts';

export interface Pushed {
  digest: string;
  tags: string[];
  resolvedFrom: string | undefined;
  /** builder assemble: what was made, the config set, and the source date epoch used and where it came from. */
  assembled?: { result: AssembleResult; config: ConfigChanges; epoch: number; epochFrom: EpochSource };
}

function buildRequest(inputs: Inputs): BuildRequest {
  return {
    // Only buildx and buildah build a request: their tags are registry references.
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
  if (credentialRegistry(inputs) === 'ghcr.io' && inputs['github-token'])
    return { username: process.env.GITHUB_ACTOR || 'x-access-token', password: inputs['github-token'] };
  return undefined;
}

export async function build(
  inputs: Inputs,
  store: ImageStore,
  client: RegistryClient,
  logger: Logger,
): Promise<Pushed> {
  const exec = runnerExec();
  const tempDir = process.env.RUNNER_TEMP || tmpdir();
  if (inputs.builder === 'none') return resolveSubject(inputs.image!, store, logger);
  if (inputs.builder === 'assemble') return assembleImage(inputs, store, client, logger);
  const request = buildRequest(inputs);
  if (inputs.builder === 'buildx') {
    const credential = explicitCredential(inputs);
    if (credential) await dockerLogin(targetRegistry(inputs)!, credential, { exec });
    const built = await buildWithBuildx(request, { exec, tempDir });
    return { digest: built.digest, tags: built.tags, resolvedFrom: undefined };
  }
  const resolved = await client.credentials?.resolve(targetRegistry(inputs)!);
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

/** builder assemble: the base opened (read once), the source date epoch worked out, the image made in `store`. */
async function assembleImage(
  inputs: Inputs,
  store: ImageStore,
  client: RegistryClient,
  logger: Logger,
): Promise<Pushed> {
  const { epoch, from } = await resolveSourceDateEpoch({
    input: inputs['source-date-epoch'],
    env: process.env.SOURCE_DATE_EPOCH,
    exec: runnerExec({ silent: true }),
    context: inputs.context,
  });
  logger.info(`source date epoch ${epoch} (${EPOCH_FROM[from]})`);
  const config: ConfigChanges = {
    ...(inputs.entrypoint && { entrypoint: inputs.entrypoint }),
    ...(inputs.cmd && { cmd: inputs.cmd }),
    env: inputs.env,
    ...(inputs.workdir && { workdir: inputs.workdir }),
    ...(inputs.user && { user: inputs.user }),
    labels: inputs.labels,
    exposedPorts: inputs['exposed-ports'],
  };
  const baseRef = inputs['base-image'];
  const base = baseRef && {
    ...(await inputsAtFault(OPEN_PROBLEMS, () => openImage(client, baseRef, logger))),
    ...(baseRef.kind === 'registry' && { name: formatReference(baseRef) }),
  };
  const result = await inputsAtFault(BASE_PROBLEMS, () =>
    assemble({
      context: inputs.context,
      ...(base && { base }),
      files: inputs.files,
      config,
      platforms: inputs.platforms.map((p) => parsePlatform(p)),
      owner: inputs['file-owner'],
      sourceDateEpoch: epoch,
      target: store,
      tags: inputs.layoutTarget?.tags ?? inputs.tags.map((t) => t.tag!),
      logger,
    }),
  );
  return {
    digest: result.digest,
    tags: result.tags.map((t) => `${store.name}:${t}`),
    resolvedFrom: undefined,
    assembled: { result, config, epoch, epochFrom: from },
  };
}

/** Codes of what assemble found wrong with its base, and the input that named it. */
const BASE_PROBLEMS: Record<string, string> = {
  IMAGE_NOT_FOUND: 'base-image',
  BASE_INVALID: 'base-image',
  PLATFORM_NOT_FOUND: 'platforms',
};
/** Codes of opening a base image in a layout (no layout, no image there, several untagged). */
const OPEN_PROBLEMS: Record<string, string> = {
  LAYOUT_ERROR: 'base-image',
  MANIFEST_UNKNOWN: 'base-image',
  INVALID_REFERENCE: 'base-image',
};

/** What the base turned out to be, as a problem of the input that named it (`problems`: code → input). */
async function inputsAtFault<T>(problems: Record<string, string>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = err instanceof BuildError || err instanceof OciError ? err.code : undefined;
    const input = code === undefined ? undefined : problems[code];
    if (!input) throw err;
    throw new InputError([{ input, message: (err as Error).message, code: code! }]);
  }
}
