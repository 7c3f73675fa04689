/**
 * `builder: buildx`: `docker buildx build --push --metadata-file <f>`, then the pushed digest from
 * the metadata file's `containerimage.digest`, which is where docker/build-push-action (through
 * docker/actions-toolkit) takes its `digest` output from. It needs a Docker engine and buildx, as
 * on GitHub's hosted runners; the command and the parsing are unit-tested here, the run itself is
 * exercised on runners only.
 *
 * Credentials: docker pushes with the credentials of its own config (`docker login`, or
 * docker/login-action). When credentials are given explicitly, {@link dockerLogin} logs in with the
 * password on stdin (`--password-stdin`), never on the command line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isManifestDigest } from './digest.ts';
import { BuildError } from './errors.ts';
import { runChecked, type ExecFn } from './exec.ts';
import { repositoryName, tagNames, type BuildRequest, type BuildResult } from './request.ts';

/** What buildx's metadata file says about the pushed image (the fields we use). */
export interface BuildxMetadata {
  /** `containerimage.digest`: the pushed manifest or index. */
  digest: string;
  /** `containerimage.config.digest`, when present (single-platform builds). */
  configDigest: string | undefined;
  /** `image.name`: the names pushed, split at commas. */
  imageNames: string[];
  /** The whole document, as build-push-action's `metadata` output gives it. */
  raw: Record<string, unknown>;
}

/**
 * Parses buildx's `--metadata-file`. METADATA_INVALID when it is empty, not a JSON object, or has
 * no sha256 `containerimage.digest` (e.g. a build that did not push an image).
 */
export function parseBuildxMetadata(text: string): BuildxMetadata {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'null')
    throw new BuildError(
      'METADATA_INVALID',
      'buildx wrote an empty metadata file: the build reported no image (was it pushed?)',
    );
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (err) {
    throw new BuildError('METADATA_INVALID', "buildx's metadata file is not JSON", { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new BuildError('METADATA_INVALID', "buildx's metadata file does not hold a JSON object");
  const raw = doc as Record<string, unknown>;
  const digest = raw['containerimage.digest'];
  if (!isManifestDigest(digest))
    throw new BuildError(
      'METADATA_INVALID',
      digest === undefined
        ? "buildx's metadata file has no containerimage.digest: the build did not push an image"
        : `buildx's metadata file has a containerimage.digest that is not a sha256 digest: ${JSON.stringify(digest).slice(0, 100)}`,
    );
  const config = raw['containerimage.config.digest'];
  const names = raw['image.name'];
  return {
    digest,
    configDigest: isManifestDigest(config) ? config : undefined,
    imageNames:
      typeof names === 'string'
        ? names
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean)
        : [],
    raw,
  };
}

/** The arguments of `docker` for the build: `buildx build --push --metadata-file <f> … <context>`. */
export function buildxBuildArgs(request: BuildRequest, metadataFile: string): string[] {
  const args = ['buildx', 'build', '--push', '--metadata-file', metadataFile];
  if (request.file) args.push('--file', request.file);
  for (const [name, value] of request.buildArgs) args.push('--build-arg', `${name}=${value}`);
  for (const [name, value] of request.labels) args.push('--label', `${name}=${value}`);
  for (const tag of tagNames(request)) args.push('--tag', tag);
  if (request.platforms.length > 0) args.push('--platform', request.platforms.join(','));
  if (request.target) args.push('--target', request.target);
  args.push(request.context);
  return args;
}

export interface BuildxOptions {
  exec: ExecFn;
  /** The docker CLI; default `docker`. */
  docker?: string;
  /** Where to put the metadata file; default a fresh temporary directory, removed afterwards. */
  tempDir?: string;
}

/** Builds and pushes with buildx, returning the pushed digest from the metadata file. */
export async function buildWithBuildx(request: BuildRequest, options: BuildxOptions): Promise<BuildResult> {
  const docker = options.docker ?? 'docker';
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'buildx-'));
  try {
    const metadataFile = join(dir, 'metadata.json');
    const args = buildxBuildArgs(request, metadataFile);
    await runChecked(
      options.exec,
      { command: docker, args },
      'BUILD_FAILED',
      'docker buildx build failed',
      'builder buildx needs Docker with buildx (docker/setup-buildx-action), or use builder buildah',
    );
    let text: string;
    try {
      text = await readFile(metadataFile, 'utf8');
    } catch (err) {
      throw new BuildError(
        'METADATA_INVALID',
        `buildx wrote no metadata file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}): is buildx older than 0.6?`,
        { cause: err },
      );
    }
    const metadata = parseBuildxMetadata(text);
    return { digest: metadata.digest, name: repositoryName(request), tags: tagNames(request) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `docker login --username <u> --password-stdin <registry>`: the password goes on stdin. */
export function dockerLoginArgs(registry: string, username: string): string[] {
  return ['login', '--username', username, '--password-stdin', registry];
}

/** Logs docker in to `registry`, the password on stdin. */
export async function dockerLogin(
  registry: string,
  credential: { username: string; password: string },
  options: Pick<BuildxOptions, 'exec' | 'docker'>,
): Promise<void> {
  const docker = options.docker ?? 'docker';
  const args = dockerLoginArgs(registry, credential.username);
  await runChecked(
    options.exec,
    { command: docker, args, input: credential.password },
    'LOGIN_FAILED',
    `docker login to ${registry} failed`,
    'builder buildx needs the docker CLI',
  );
}
