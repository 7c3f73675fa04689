/**
 * Image references: the docker reference grammar of distribution/reference, with Docker Hub's
 * defaults (`docker.io`, `library/`), plus `oci-layout:<dir>[:tag|@digest]` for a local OCI image
 * layout. Parsing never guesses: an invalid reference is an INVALID_REFERENCE error that names the
 * offending part.
 */
import { OciError } from './errors.ts';
import { parseDigest } from './digest.ts';

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** An image in a registry. */
export interface RegistryReference {
  kind: 'registry';
  /** Host with optional port, e.g. `ghcr.io`, `localhost:5000`, `docker.io`. */
  registry: string;
  /** Repository path within the registry, e.g. `library/alpine`. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** An image in an OCI image layout directory. */
export interface LayoutReference {
  kind: 'oci-layout';
  path: string;
  tag?: string;
  digest?: string;
}

export type ImageReference = RegistryReference | LayoutReference;

// distribution/reference regexp.go, spelled out.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;

const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
/** The tag grammar of the OCI distribution spec. */
export const TAG_SYNTAX = '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}';
const TAG_RE = new RegExp(`^${TAG_SYNTAX}$`);
const NAME_MAX_LENGTH = 255;

/** The tag rule in words, for messages that say what a valid tag is. */
export const TAG_RULE = `a tag is 1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-' (the OCI distribution spec's ${TAG_SYNTAX})`;

/** Whether `tag` is a tag a registry accepts: the OCI distribution spec's {@link TAG_SYNTAX}. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

function invalid(input: string, problem: string): OciError {
  return new OciError('INVALID_REFERENCE', `invalid image reference "${input}": ${problem}`);
}

function checkDigest(input: string, digest: string): void {
  try {
    parseDigest(digest);
  } catch (err) {
    throw invalid(input, `the digest "${digest}" is not valid (${(err as Error).message})`);
  }
}

/**
 * Parses `[registry/]repository[:tag][@digest]` or `oci-layout:<dir>[:tag|@digest]`.
 * `alpine` becomes `docker.io/library/alpine` (no tag is added: callers decide what an untagged reference means).
 */
export function parseReference(input: string): ImageReference {
  const text = input.trim();
  if (text === '') throw invalid(input, 'it is empty');
  if (text.startsWith('oci-layout:')) return parseLayoutReference(text);
  return parseRegistryReference(text);
}

/** Like {@link parseReference}, but the reference must name a registry. */
export function parseRegistryReference(input: string): RegistryReference {
  const text = input.trim();
  if (text === '') throw invalid(input, 'it is empty');
  if (/\s/.test(text)) throw invalid(input, 'it contains white space');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(input, digest);
  }

  // A tag follows the last ':' that comes after the last '/'; an earlier ':' belongs to a port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      throw invalid(input, `the tag "${tag}" is not valid: ${TAG_RULE}`);
    }
  }

  if (rest === '') throw invalid(input, 'the repository name is missing');
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  let registry: string;
  let repository: string;
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    registry = DEFAULT_REGISTRY;
    repository = rest;
  } else {
    registry = first;
    repository = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(registry))
      throw invalid(input, `the registry "${registry}" is not a valid host[:port]`);
  }
  if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;

  if (repository !== repository.toLowerCase()) {
    throw invalid(input, `the repository "${repository}" must be lowercase`);
  }
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      throw invalid(
        input,
        component === ''
          ? 'the repository has an empty path component'
          : `the repository path component "${component}" may only hold lowercase letters, digits and single separators (. _ __ -)`,
      );
    }
  }
  const fullName = `${registry}/${repository}`;
  if (fullName.length > NAME_MAX_LENGTH) {
    throw invalid(
      input,
      `the name is ${fullName.length} characters long; at most ${NAME_MAX_LENGTH} are allowed`,
    );
  }
  return {
    kind: 'registry',
    registry,
    repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

function parseLayoutReference(input: string): LayoutReference {
  let rest = input.slice('oci-layout:'.length);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1 && /^[a-z0-9]+:/.test(rest.slice(at + 1))) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(input, digest);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
      if (!TAG_RE.test(tag)) throw invalid(input, `the tag "${tag}" is not valid`);
    }
  }
  if (rest === '')
    throw invalid(input, 'the layout directory is missing: write oci-layout:<dir>[:tag|@digest]');
  return {
    kind: 'oci-layout',
    path: rest,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

/** The canonical text of a reference: `registry/repository[:tag][@digest]` or `oci-layout:dir[:tag|@digest]`. */
export function formatReference(ref: ImageReference): string {
  const base = ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : `oci-layout:${ref.path}`;
  return `${base}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/**
 * `name@digest` or `name:tag`, for messages and names: a digest is always written after `@`, never
 * after `:` (a tag cannot hold a `:`, a digest always does).
 */
export function nameWithReference(name: string, reference: string): string {
  return `${name}${reference.includes(':') ? '@' : ':'}${reference}`;
}

/** The same image by digest only (`name@sha256:…`), the form every hand-off between actions uses. */
export function withDigest<R extends ImageReference>(ref: R, digest: string): R {
  const { tag: _tag, ...rest } = ref;
  return { ...rest, digest } as R;
}

/** The host to speak the registry API to (`docker.io` is served by `registry-1.docker.io`). */
export function registryApiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

/**
 * Whether a registry is spoken to over plain HTTP: `localhost` and the loopback ranges (any port),
 * as Docker and crane do, and any registry the user listed as insecure.
 */
export function isInsecureRegistry(registry: string, insecureRegistries: readonly string[] = []): boolean {
  if (insecureRegistries.includes(registry)) return true;
  const host = registry.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1';
}
