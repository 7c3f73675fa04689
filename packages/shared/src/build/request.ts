/**
 * What every builder is asked to do: build a Dockerfile context and push it under tags in one
 * repository, reporting the pushed digest. Everything here is already validated by the caller.
 */
import { formatReference, type RegistryReference } from '../oci/reference.ts';

export interface BuildRequest {
  /** The build context directory (or, for buildx, any context it accepts: a Git URL, `-`…). */
  context: string;
  /** The Dockerfile; default `<context>/Dockerfile` (each builder's own default). */
  file?: string;
  /** `--build-arg NAME=value`, in order. */
  buildArgs: ReadonlyArray<readonly [string, string]>;
  /** `--label name=value`, in order. */
  labels: ReadonlyArray<readonly [string, string]>;
  /** Where to push: full references with a tag, all in the same repository, at least one. */
  tags: readonly RegistryReference[];
  /** `os/arch[/variant]`; empty for the builder's default (the host's platform). */
  platforms: readonly string[];
  /** A build stage to stop at (`--target`). */
  target?: string;
}

export interface BuildResult {
  /** The pushed manifest (or index, for several platforms) digest. */
  digest: string;
  /** `registry/repository` the image was pushed to. */
  name: string;
  /** The full references pushed, `registry/repository:tag`. */
  tags: string[];
}

/** `registry/repository` of the first tag (the caller checked they all share it). */
export function repositoryName(request: Pick<BuildRequest, 'tags'>): string {
  const first = request.tags[0];
  if (!first) throw new Error('a build request needs at least one tag');
  return `${first.registry}/${first.repository}`;
}

/** The tags as `registry/repository:tag`. */
export function tagNames(request: Pick<BuildRequest, 'tags'>): string[] {
  return request.tags.map((t) => formatReference({ ...t, digest: undefined } as RegistryReference));
}
