/**
 * `builder: buildah`: `buildah bud` then `buildah push --digestfile <f>` (for several platforms,
 * `bud --manifest` and `buildah manifest push --all`). It needs no daemon: with
 * `--storage-driver vfs` and `--isolation chroot` it builds as root inside a container too.
 *
 * Registry access:
 * - loopback registries and those named insecure get `--tls-verify=false` (plain HTTP); every other
 *   registry is verified over HTTPS;
 * - explicit credentials go into a temporary auth file (`--authfile`, mode 0600, removed after the
 *   push), never on the command line (`--creds` would show in the process list and the log).
 *   Without them, buildah finds credentials as it always does (`REGISTRY_AUTH_FILE`,
 *   `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.docker/config.json`).
 *
 * Further tags of the same repository are pointed at the pushed digest by the caller (see
 * `tagDigest`), so every tag names exactly the digest that is signed.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInsecureRegistry } from '../oci/reference.ts';
import { parseDigestFile } from './digest.ts';
import { runChecked, type ExecFn } from './exec.ts';
import { repositoryName, tagNames, type BuildRequest, type BuildResult } from './request.ts';

export interface BuildahSettings {
  /** `--storage-driver` (e.g. `vfs` where overlay cannot mount); default buildah's own. */
  storageDriver?: string;
  /** `--isolation` for RUN steps (`chroot` without a daemon or user namespaces); default buildah's own. */
  isolation?: string;
  /** `--root` / `--runroot`: where buildah keeps images and state; default buildah's own. */
  root?: string;
  runroot?: string;
  /** Registries (host[:port]) spoken to over plain HTTP besides loopback ones. */
  insecureRegistries?: readonly string[];
}

/** Arguments that come before buildah's subcommand (storage selection). */
export function buildahGlobalArgs(settings: BuildahSettings): string[] {
  const args: string[] = [];
  if (settings.root) args.push('--root', settings.root);
  if (settings.runroot) args.push('--runroot', settings.runroot);
  if (settings.storageDriver) args.push('--storage-driver', settings.storageDriver);
  return args;
}

/** The local name the build is stored under: the first tag (for several platforms, the manifest list's name). */
export function localName(request: BuildRequest): string {
  return tagNames(request)[0]!;
}

/** `buildah [global] bud …`. With several platforms the images go into a manifest list. */
export function buildahBudArgs(
  request: BuildRequest,
  settings: BuildahSettings,
  authFile?: string,
): string[] {
  const args = [...buildahGlobalArgs(settings), 'bud'];
  if (settings.isolation) args.push('--isolation', settings.isolation);
  if (authFile) args.push('--authfile', authFile);
  if (request.file) args.push('--file', request.file);
  for (const [name, value] of request.buildArgs) args.push('--build-arg', `${name}=${value}`);
  for (const [name, value] of request.labels) args.push('--label', `${name}=${value}`);
  if (request.platforms.length > 0) args.push('--platform', request.platforms.join(','));
  if (request.target) args.push('--target', request.target);
  if (request.platforms.length > 1) args.push('--manifest', localName(request));
  else args.push('--tag', localName(request));
  args.push(request.context);
  return args;
}

/** `buildah [global] push --digestfile <f> … <local> docker://<first tag>` (or `manifest push --all`). */
export function buildahPushArgs(
  request: BuildRequest,
  settings: BuildahSettings,
  digestFile: string,
  authFile?: string,
): string[] {
  const first = request.tags[0]!;
  const list = request.platforms.length > 1;
  const args = [...buildahGlobalArgs(settings), ...(list ? ['manifest', 'push', '--all'] : ['push'])];
  args.push('--digestfile', digestFile);
  if (authFile) args.push('--authfile', authFile);
  if (isInsecureRegistry(first.registry, settings.insecureRegistries)) args.push('--tls-verify=false');
  args.push(localName(request), `docker://${localName(request)}`);
  return args;
}

/**
 * The auth file buildah reads (containers-auth.json(5)): `{"auths":{"<registry>":{"auth":"base64(user:password)"}}}`.
 */
export function authFileContent(
  registry: string,
  credential: { username: string; password: string },
): string {
  const auth = Buffer.from(`${credential.username}:${credential.password}`).toString('base64');
  return `${JSON.stringify({ auths: { [registry]: { auth } } }, null, 2)}\n`;
}

export interface BuildahOptions extends BuildahSettings {
  exec: ExecFn;
  /** The buildah program; default `buildah`. */
  buildah?: string;
  /** Credentials for the registry of the tags, written to a temporary auth file. */
  credential?: { username: string; password: string };
  /** Parent of the temporary directory (digest and auth files); default the OS's. */
  tempDir?: string;
}

const INSTALL_HINT = 'install buildah (apt-get install buildah), or use builder buildx';

/** Builds with `buildah bud` and pushes to the first tag with `buildah push --digestfile`. */
export async function buildWithBuildah(request: BuildRequest, options: BuildahOptions): Promise<BuildResult> {
  const buildah = options.buildah ?? 'buildah';
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'buildah-'));
  try {
    let authFile: string | undefined;
    if (options.credential) {
      authFile = join(dir, 'auth.json');
      await writeFile(authFile, authFileContent(request.tags[0]!.registry, options.credential), {
        mode: 0o600,
      });
      await chmod(authFile, 0o600);
    }
    const bud = buildahBudArgs(request, options, authFile);
    await runChecked(
      options.exec,
      { command: buildah, args: bud },
      'BUILD_FAILED',
      'buildah bud failed',
      INSTALL_HINT,
    );

    const digestFile = join(dir, 'digest');
    const push = buildahPushArgs(request, options, digestFile, authFile);
    await runChecked(
      options.exec,
      { command: buildah, args: push },
      'PUSH_FAILED',
      'buildah push failed',
      INSTALL_HINT,
    );
    const digest = parseDigestFile(await readFile(digestFile, 'utf8').catch(() => ''));
    return { digest, name: repositoryName(request), tags: tagNames(request).slice(0, 1) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
