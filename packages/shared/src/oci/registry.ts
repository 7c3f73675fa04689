/**
 * The registry client: the OCI distribution API for one repository behind the `ImageStore`
 * interface (manifests, blobs with cross-repository mounts, tags, referrers with the tag-schema
 * fallback), on the shared HTTP client and the per-registry {@link RegistryAuth}.
 */
import { Readable } from 'node:stream';
import { errorMessage, HTTPError } from '../errors.ts';
import { HttpClient, type HttpRequest, type HttpResponse } from '../http.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { pullScope, pushScope, RegistryAuth, type CredentialSource } from './auth.ts';
import { readLimited } from './blob.ts';
import { DigestingStream, digestOf, isDigest, parseDigest, VerifyingStream } from './digest.ts';
import { OciError, type OciErrorCode } from './errors.ts';
import { isInsecureRegistry, registryApiHost, type RegistryReference } from './reference.ts';
import type { ImageStore } from './store.ts';
import {
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  MediaType,
  parseManifest,
  type Descriptor,
  type ImageIndex,
  type ManifestData,
} from './types.ts';

export interface RegistryClientOptions {
  http?: HttpClient;
  credentials?: CredentialSource;
  /** Registries (host[:port]) to speak plain HTTP to, besides loopback ones. */
  insecureRegistries?: readonly string[];
  logger?: Logger;
  /** Blobs up to this size, given as bytes, go up in one PUT; larger ones and streams by PATCH. Default 4 MiB. */
  monolithicUploadLimit?: number;
}

/** A client for any number of registries, sharing connections, credentials and tokens. */
export class RegistryClient {
  readonly http: HttpClient;
  readonly logger: Logger;
  readonly monolithicUploadLimit: number;
  /** Where the registry logins come from (a build tool may need the same ones). */
  readonly credentials: CredentialSource | undefined;
  private readonly insecure: readonly string[];
  private readonly auths = new Map<string, RegistryAuth>();
  /** Whether a registry serves the OCI 1.1 referrers API, once we know. */
  readonly referrersApi = new Map<string, boolean>();

  constructor(options: RegistryClientOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.http = options.http ?? new HttpClient({ logger: this.logger });
    this.credentials = options.credentials;
    this.insecure = options.insecureRegistries ?? [];
    this.monolithicUploadLimit = options.monolithicUploadLimit ?? 4 * 1024 * 1024;
  }

  /** The store for one repository, e.g. `client.repository(parseRegistryReference('localhost:5000/app'))`. */
  repository(ref: Pick<RegistryReference, 'registry' | 'repository'>): Repository {
    return new Repository(this, ref.registry, ref.repository);
  }

  /** Checks that the registry answers the OCI distribution API (and learns how it wants to be authenticated). */
  async ping(registry: string): Promise<void> {
    await this.auth(registry).ping();
  }

  /** The base URL of a registry's API, e.g. `http://127.0.0.1:5000` or `https://ghcr.io`. */
  baseUrl(registry: string): string {
    const scheme = isInsecureRegistry(registry, this.insecure) ? 'http' : 'https';
    return `${scheme}://${registryApiHost(registry)}`;
  }

  auth(registry: string): RegistryAuth {
    let auth = this.auths.get(registry);
    if (!auth) {
      auth = new RegistryAuth({
        registry,
        baseUrl: this.baseUrl(registry),
        http: this.http,
        ...(this.credentials && { credentials: this.credentials }),
        logger: this.logger,
      });
      this.auths.set(registry, auth);
    }
    return auth;
  }
}

/** The fallback tag under which registries without the referrers API list a subject's referrers. */
export function referrersTagFor(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex.slice(0, 64)}`;
}

/** One repository of a registry, as an {@link ImageStore}. */
export class Repository implements ImageStore {
  readonly registry: string;
  readonly repository: string;
  readonly name: string;
  private readonly client: RegistryClient;
  private readonly base: string;
  /** Serialises read-modify-write of referrers fallback indexes per subject within this process. */
  private readonly fallbackLocks = new Map<string, Promise<unknown>>();

  constructor(client: RegistryClient, registry: string, repository: string) {
    this.client = client;
    this.registry = registry;
    this.repository = repository;
    this.name = `${registry}/${repository}`;
    this.base = `${client.baseUrl(registry)}/v2/${repository}`;
  }

  async resolve(reference: string): Promise<Descriptor | undefined> {
    const res = await this.send(
      { method: 'HEAD', url: `${this.base}/manifests/${reference}`, headers: acceptManifests },
      'pull',
    );
    if (res.status === 404) return undefined;
    await this.expect(res, 'HEAD', [200], 'MANIFEST_UNKNOWN', `manifest ${reference}`);
    const digest = res.headers.get('docker-content-digest');
    const mediaType = res.headers.get('content-type');
    const size = Number(res.headers.get('content-length'));
    if (digest && isDigest(digest) && mediaType && Number.isFinite(size)) {
      if (isDigest(reference) && digest !== reference) {
        throw new OciError('DIGEST_MISMATCH', `${this.name} answered ${digest} for manifest ${reference}`);
      }
      return { mediaType, digest, size };
    }
    // Some registries omit the digest on HEAD: fetch and hash instead.
    return (await this.getManifest(reference)).descriptor;
  }

  async getManifest(reference: string): Promise<ManifestData> {
    const res = await this.send(
      { method: 'GET', url: `${this.base}/manifests/${reference}`, headers: acceptManifests },
      'pull',
    );
    await this.expect(res, 'GET', [200], 'MANIFEST_UNKNOWN', `manifest ${reference}`);
    const declaredLength = Number(res.headers.get('content-length'));
    if (declaredLength > MAX_MANIFEST_BYTES) {
      await res.body.dump().catch(() => undefined);
      throw tooLarge(this.name, `manifest ${reference}`, declaredLength);
    }
    const bytes = await readLimited(res.body, MAX_MANIFEST_BYTES, () =>
      tooLarge(this.name, `manifest ${reference}`),
    );
    const expected = isDigest(reference) ? reference : res.headers.get('docker-content-digest');
    const algorithm = expected && isDigest(expected) ? parseDigest(expected).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (expected && isDigest(expected) && digest !== expected) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `manifest ${reference} from ${this.name} has digest ${digest}, but ${isDigest(reference) ? 'we asked for' : 'the registry announced'} ${expected}`,
      );
    }
    const { manifest, mediaType } = parseManifest(bytes, res.headers.get('content-type') ?? undefined);
    const descriptor: Descriptor = { mediaType, digest, size: bytes.length };
    if (manifest.artifactType) descriptor.artifactType = manifest.artifactType;
    return { descriptor, bytes, manifest };
  }

  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Descriptor> {
    const { manifest } = parseManifest(bytes, mediaType);
    const digest = digestOf(bytes);
    const res = await this.send(
      {
        method: 'PUT',
        url: `${this.base}/manifests/${tag ?? digest}`,
        headers: { 'content-type': mediaType },
        body: bytes,
      },
      'push',
    );
    await this.expect(res, 'PUT', [201], 'REGISTRY_ERROR', `manifest ${tag ?? digest}`);
    await res.body.dump().catch(() => undefined);
    const descriptor: Descriptor = { mediaType, digest, size: bytes.length };
    if (manifest.artifactType) descriptor.artifactType = manifest.artifactType;
    else if (manifest.subject && 'config' in manifest) descriptor.artifactType = manifest.config.mediaType;
    if (manifest.annotations) descriptor.annotations = manifest.annotations;
    if (manifest.subject && !res.headers.get('oci-subject')) {
      // The registry did not index the subject itself: keep the fallback index up to date.
      this.client.referrersApi.set(this.registry, false);
      await this.addToFallbackIndex(manifest.subject.digest, descriptor);
    }
    return descriptor;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.send(
      { method: 'HEAD', url: `${this.base}/blobs/${digest}`, redirect: 'follow' },
      'pull',
    );
    await res.body.dump().catch(() => undefined);
    if (res.status === 404) return false;
    await this.expect(res, 'HEAD', [200], 'BLOB_UNKNOWN', `blob ${digest}`);
    return true;
  }

  async getBlob(descriptor: Descriptor): Promise<Readable> {
    const res = await this.send(
      { method: 'GET', url: `${this.base}/blobs/${descriptor.digest}`, redirect: 'follow' },
      'pull',
    );
    await this.expect(res, 'GET', [200], 'BLOB_UNKNOWN', `blob ${descriptor.digest}`);
    const verifier = new VerifyingStream(descriptor.digest, descriptor.size, `blob from ${this.name}`);
    res.body.on('error', (err) => verifier.destroy(err));
    return res.body.pipe(verifier);
  }

  async putBlob(descriptor: Descriptor, content: Buffer | Readable): Promise<void> {
    let location = await this.startUpload();
    if (Buffer.isBuffer(content) && content.length <= this.client.monolithicUploadLimit) {
      const put = await this.send(
        {
          method: 'PUT',
          url: withQuery(location, { digest: descriptor.digest }),
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(content.length) },
          body: content,
        },
        'push',
      );
      await this.expect(put, 'PUT', [201], 'REGISTRY_ERROR', `blob ${descriptor.digest}`);
      await put.body.dump().catch(() => undefined);
      return;
    }
    // Streamed upload: one PATCH carrying the whole stream (never all of it in memory), then PUT ?digest=.
    const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
    const patch = await this.send(
      {
        method: 'PATCH',
        url: location,
        headers: { 'content-type': 'application/octet-stream' },
        body: source,
      },
      'push',
    );
    await this.expect(patch, 'PATCH', [202], 'REGISTRY_ERROR', `blob ${descriptor.digest}`);
    await patch.body.dump().catch(() => undefined);
    location = new URL(patch.headers.get('location') ?? location, location).toString();
    const put = await this.send(
      { method: 'PUT', url: withQuery(location, { digest: descriptor.digest }) },
      'push',
    );
    await this.expect(put, 'PUT', [201], 'REGISTRY_ERROR', `blob ${descriptor.digest}`);
    await put.body.dump().catch(() => undefined);
  }

  /**
   * Streams a blob of unknown digest: one PATCH carrying the stream (hashed as it goes), then
   * `PUT ?digest=` with the digest it turned out to have. A failure of `content` itself is thrown
   * as it is (not as a registry error), and the upload session is cancelled.
   */
  async putBlobStream(content: Readable): Promise<{ digest: string; size: number }> {
    let location = await this.startUpload();
    const hashed = new DigestingStream();
    let sourceError: unknown;
    content.on('error', (err) => {
      sourceError ??= err;
      hashed.destroy(err);
    });
    try {
      const patch = await this.send(
        {
          method: 'PATCH',
          url: location,
          headers: { 'content-type': 'application/octet-stream' },
          body: content.pipe(hashed),
        },
        'push',
      );
      await this.expect(patch, 'PATCH', [202], 'REGISTRY_ERROR', 'streamed blob');
      await patch.body.dump().catch(() => undefined);
      location = new URL(patch.headers.get('location') ?? location, location).toString();
      const digest = hashed.digest();
      const put = await this.send({ method: 'PUT', url: withQuery(location, { digest }) }, 'push');
      await this.expect(put, 'PUT', [201], 'REGISTRY_ERROR', `blob ${digest}`);
      await put.body.dump().catch(() => undefined);
      return { digest, size: hashed.bytes };
    } catch (err) {
      const cancel = await this.send({ method: 'DELETE', url: location }, 'push').catch(() => undefined);
      await cancel?.body.dump().catch(() => undefined);
      throw sourceError ?? err;
    }
  }

  /**
   * Mounts a blob from another repository of the same registry, so no byte moves. Returns false
   * when the registry declined (it then opens an upload session, which we cancel).
   */
  canMountFrom(source: ImageStore): source is Repository {
    return (
      source instanceof Repository &&
      source.registry === this.registry &&
      source.repository !== this.repository
    );
  }

  /**
   * Checks that the credentials may push here before any work that would be wasted otherwise, as
   * go-containerregistry's `remote.CheckPushPermission` does: opens a blob upload (which needs the
   * push scope) and cancels it. Throws UNAUTHORIZED or DENIED naming the repository.
   */
  async checkPush(): Promise<void> {
    const location = await this.startUpload();
    const cancel = await this.send({ method: 'DELETE', url: location }, 'push').catch(() => undefined);
    await cancel?.body.dump().catch(() => undefined);
  }

  async mountBlob(descriptor: Descriptor, source: ImageStore): Promise<boolean> {
    if (!this.canMountFrom(source)) return false;
    const url = withQuery(`${this.base}/blobs/uploads/`, {
      mount: descriptor.digest,
      from: source.repository,
    });
    const res = await this.send({ method: 'POST', url }, 'push', [pullScope(source.repository)]);
    await res.body.dump().catch(() => undefined);
    if (res.status === 201) return true;
    if (res.status === 202) {
      const location = res.headers.get('location');
      if (location) {
        const cancel = await this.send(
          { method: 'DELETE', url: new URL(location, url).toString() },
          'push',
        ).catch(() => undefined);
        await cancel?.body.dump().catch(() => undefined);
      }
      return false;
    }
    await this.expect(res, 'POST', [201, 202], 'REGISTRY_ERROR', `mount of ${descriptor.digest}`);
    return false;
  }

  /** All tags, following the registry's `Link` pagination (`pageSize` tags per request). */
  async listTags(pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = withQuery(`${this.base}/tags/list`, { n: String(pageSize) });
    while (url) {
      const res = await this.send({ method: 'GET', url }, 'pull');
      if (res.status === 404) {
        await res.body.dump().catch(() => undefined);
        return tags; // a repository that does not exist yet has no tags
      }
      await this.expect(res, 'GET', [200], 'REGISTRY_ERROR', 'tag list');
      const doc = (await res.body.json()) as { tags?: string[] | null };
      tags.push(...(doc.tags ?? []));
      const next = nextLink(res.headers.get('link'));
      url = next ? new URL(next, url).toString() : undefined;
    }
    return tags;
  }

  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    parseDigest(digest);
    if (this.client.referrersApi.get(this.registry) !== false) {
      const url = withQuery(`${this.base}/referrers/${digest}`, artifactType ? { artifactType } : {});
      const res = await this.send({ method: 'GET', url, headers: { accept: MediaType.OciIndex } }, 'pull');
      if (res.status === 200) {
        this.client.referrersApi.set(this.registry, true);
        const what = `referrers index of ${digest}`;
        const body = await readLimited(res.body, MAX_MANIFEST_BYTES, () => tooLarge(this.name, what));
        const index = JSON.parse(body.toString('utf8')) as ImageIndex;
        const filtered = res.headers.get('oci-filters-applied')?.includes('artifactType');
        return (index.manifests ?? []).filter(
          (d) => filtered || !artifactType || d.artifactType === artifactType,
        );
      }
      await res.body.dump().catch(() => undefined);
      if (res.status !== 404)
        await this.expect(res, 'GET', [200, 404], 'REGISTRY_ERROR', `referrers of ${digest}`);
      // The spec forbids a 404 from a registry that serves the API: this one does not.
      this.client.referrersApi.set(this.registry, false);
    }
    const index = await this.fallbackIndex(digest);
    return (index?.manifests ?? []).filter((d) => !artifactType || d.artifactType === artifactType);
  }

  /** Deletes a manifest by digest (registries refuse deleting by tag). */
  async deleteManifest(digest: string): Promise<void> {
    const res = await this.send({ method: 'DELETE', url: `${this.base}/manifests/${digest}` }, 'push');
    await res.body.dump().catch(() => undefined);
    await this.expect(res, 'DELETE', [202, 200], 'REGISTRY_ERROR', `manifest ${digest}`);
  }

  private async fallbackIndex(subject: string): Promise<ImageIndex | undefined> {
    const tag = referrersTagFor(subject);
    try {
      const { manifest } = await this.getManifest(tag);
      return 'manifests' in manifest ? manifest : undefined;
    } catch (err) {
      if (err instanceof OciError && err.code === 'MANIFEST_UNKNOWN') return undefined;
      throw err;
    }
  }

  private async addToFallbackIndex(subject: string, descriptor: Descriptor): Promise<void> {
    const previous = this.fallbackLocks.get(subject) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const index: ImageIndex = (await this.fallbackIndex(subject)) ?? {
          schemaVersion: 2,
          mediaType: MediaType.OciIndex,
          manifests: [],
        };
        if (index.manifests.some((d) => d.digest === descriptor.digest)) return;
        index.manifests.push(descriptor);
        const bytes = Buffer.from(JSON.stringify(index));
        await this.putManifest(bytes, MediaType.OciIndex, referrersTagFor(subject));
      });
    this.fallbackLocks.set(subject, next);
    try {
      await next;
    } finally {
      if (this.fallbackLocks.get(subject) === next) this.fallbackLocks.delete(subject);
    }
  }

  private async startUpload(): Promise<string> {
    const url = `${this.base}/blobs/uploads/`;
    const res = await this.send({ method: 'POST', url }, 'push');
    await res.body.dump().catch(() => undefined);
    await this.expect(res, 'POST', [202], 'REGISTRY_ERROR', 'blob upload');
    const location = res.headers.get('location');
    if (!location) throw new OciError('REGISTRY_ERROR', `${this.name} opened an upload without a Location`);
    return new URL(location, url).toString();
  }

  /** Sends a request with the right authorization, asking again once when the registry wants another token. */
  private async send(
    req: HttpRequest,
    access: 'pull' | 'push',
    extraScopes: string[] = [],
  ): Promise<HttpResponse> {
    const auth = this.client.auth(this.registry);
    const scopes = [
      access === 'push' ? pushScope(this.repository) : pullScope(this.repository),
      ...extraScopes,
    ];
    for (let attempt = 1; ; attempt++) {
      const authorization = await auth.authorization(scopes);
      let res: HttpResponse;
      try {
        res = await this.client.http.request({
          ...req,
          headers: { ...req.headers, ...(authorization && { authorization }) },
        });
      } catch (err) {
        throw new OciError('REGISTRY_ERROR', `${req.method} ${this.name}: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      const replayable = !(req.body && typeof req.body === 'object' && 'pipe' in req.body);
      if (
        res.status === 401 &&
        attempt === 1 &&
        replayable &&
        auth.challenged(res.headers.get('www-authenticate'))
      ) {
        await res.body.dump().catch(() => undefined);
        continue;
      }
      return res;
    }
  }

  private async expect(
    res: HttpResponse,
    method: string,
    ok: number[],
    notFound: OciErrorCode,
    what: string,
  ): Promise<void> {
    if (ok.includes(res.status)) return;
    const body = await res.body.text().catch(() => '');
    const cause = new HTTPError({ statusCode: res.status, method, url: res.url.toString(), body });
    const detail = registryErrorText(body);
    switch (res.status) {
      case 401:
        throw new OciError(
          'UNAUTHORIZED',
          `${this.name} refused ${what} without valid credentials${detail}: log in or pass credentials for ${this.registry}`,
          { cause },
        );
      case 403:
        throw new OciError(
          'DENIED',
          `${this.name} denied ${what}${detail}: the credentials lack ${method === 'GET' || method === 'HEAD' ? 'pull' : 'push'} access`,
          { cause },
        );
      case 404:
        throw new OciError(notFound, `${what} not found in ${this.name}${detail}`, { cause });
      default:
        throw new OciError(
          'REGISTRY_ERROR',
          `${this.name} answered ${res.status} to ${method} ${what}${detail}`,
          { cause },
        );
    }
  }
}

const acceptManifests = { accept: MANIFEST_MEDIA_TYPES.join(', ') };

function tooLarge(name: string, what: string, size?: number): OciError {
  return new OciError(
    'MANIFEST_TOO_LARGE',
    `${what} in ${name} is ${size ? `${size} bytes` : 'larger than allowed'}; manifests are limited to ${MAX_MANIFEST_BYTES} bytes`,
  );
}

/** The distribution error codes and messages in a registry's JSON error body, for our messages. */
function registryErrorText(body: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
    const parts = (doc.errors ?? [])
      .map((e) => [e.code, e.message].filter(Boolean).join(': '))
      .filter(Boolean);
    return parts.length ? ` (${parts.join('; ')})` : '';
  } catch {
    return '';
  }
}

function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** The target of a `Link: <…>; rel="next"` header. */
function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}
