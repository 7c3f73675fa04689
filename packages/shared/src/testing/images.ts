/**
 * Test data for registries: random blobs, and images and indexes pushed with plain HTTP calls to
 * the distribution API (POST upload + PUT ?digest=, PUT manifest). Deliberately independent of
 * the project's registry client, so tests of that client do not rely on it to set up their data.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HarnessError } from './process.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Uncompressed layers: the diff_id is the layer's own digest. */
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export interface TestPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface TestDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: TestPlatform;
}

/** A descriptor with the bytes it describes. */
export interface TestBlob extends TestDescriptor {
  data: Buffer;
}

export interface TestCredentials {
  username: string;
  password: string;
}

export interface TestPushOptions {
  /** For a registry with basic or token auth: used for Basic, or to fetch a push token. */
  credentials?: TestCredentials;
}

export interface TestImageOptions extends TestPushOptions {
  /** Layer sizes in bytes (random content), or exact layer contents to share layers between images. Default [1024]. */
  layers?: Array<number | Uint8Array>;
  /** Tag the manifest; without it, it is pushed by digest only. */
  tag?: string;
  /** Default linux/amd64. */
  platform?: TestPlatform;
}

export interface TestImage {
  repository: string;
  tag: string | undefined;
  /** The manifest's digest. */
  digest: string;
  /** The manifest's descriptor (with the platform), as an index lists it. */
  descriptor: TestDescriptor;
  /** The manifest bytes exactly as pushed. */
  manifest: Buffer;
  config: TestBlob;
  layers: TestBlob[];
}

export interface TestIndexOptions extends TestPushOptions {
  /** One image per platform; default linux/amd64 and linux/arm64. */
  platforms?: TestPlatform[];
  /** Layer sizes (or contents) of each image; default [1024]. */
  layers?: Array<number | Uint8Array>;
  tag?: string;
}

export interface TestIndex {
  repository: string;
  tag: string | undefined;
  digest: string;
  descriptor: TestDescriptor;
  manifest: Buffer;
  images: TestImage[];
}

/** `size` random bytes. */
export function randomBlob(size: number): Buffer {
  return randomBytes(size);
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function challengeParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/([A-Za-z_]+)="([^"]*)"/g)) params[match[1]!.toLowerCase()] = match[2]!;
  return params;
}

/** Minimal authenticated access to one repository: answers a Basic or Bearer challenge once, then reuses it. */
export interface TestRegistrySession {
  request(
    method: string,
    pathOrUrl: string,
    init?: { body?: Uint8Array; headers?: Record<string, string> },
  ): Promise<Response>;
}

/**
 * A session for `repository` on `registryUrl`. On a Bearer challenge it asks the realm for
 * `repository:<repository>:<actions>` (default pull,push) with the credentials, if any.
 */
export function testRegistrySession(
  registryUrl: string,
  repository: string,
  options: TestPushOptions & { actions?: string[] } = {},
): TestRegistrySession {
  let authorization: string | undefined;
  const basic = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`
    : undefined;

  async function authorize(challenge: string): Promise<string> {
    if (/^basic\b/i.test(challenge)) {
      if (!basic)
        throw new HarnessError(
          'TEST_REGISTRY',
          `registry wants Basic credentials (${challenge}), none given`,
        );
      return basic;
    }
    if (!/^bearer\b/i.test(challenge)) {
      throw new HarnessError('TEST_REGISTRY', `unsupported auth challenge: ${challenge}`);
    }
    const params = challengeParams(challenge);
    if (!params['realm'])
      throw new HarnessError('TEST_REGISTRY', `Bearer challenge without realm: ${challenge}`);
    const tokenUrl = new URL(params['realm']);
    if (params['service']) tokenUrl.searchParams.set('service', params['service']);
    tokenUrl.searchParams.append(
      'scope',
      `repository:${repository}:${(options.actions ?? ['pull', 'push']).join(',')}`,
    );
    const res = await fetch(tokenUrl, { headers: basic ? { authorization: basic } : {} });
    const text = await res.text();
    if (!res.ok)
      throw new HarnessError('TEST_REGISTRY', `token request ${tokenUrl} answered ${res.status}: ${text}`);
    const body = JSON.parse(text) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new HarnessError('TEST_REGISTRY', `token response without a token: ${text}`);
    return `Bearer ${token}`;
  }

  return {
    async request(method, pathOrUrl, init = {}) {
      const url = new URL(pathOrUrl, registryUrl);
      for (let attempt = 0; ; attempt++) {
        const headers: Record<string, string> = { ...init.headers };
        if (authorization) headers['authorization'] = authorization;
        const res = await fetch(url, { method, headers, body: init.body, redirect: 'manual' });
        const challenge = res.headers.get('www-authenticate');
        if (res.status !== 401 || attempt > 0 || !challenge) return res;
        await res.arrayBuffer();
        authorization = await authorize(challenge);
      }
    },
  };
}

async function expectStatus(res: Response, expected: number, what: string): Promise<void> {
  if (res.status !== expected) {
    const text = await res.text().catch(() => '');
    throw new HarnessError(
      'TEST_REGISTRY',
      `${what} answered ${res.status} (expected ${expected}): ${text.slice(0, 500)}`,
    );
  }
}

async function pushBlob(
  session: TestRegistrySession,
  repository: string,
  data: Uint8Array,
  digest: string,
): Promise<void> {
  const start = await session.request('POST', `/v2/${repository}/blobs/uploads/`);
  await expectStatus(start, 202, `POST /v2/${repository}/blobs/uploads/`);
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (!location) throw new HarnessError('TEST_REGISTRY', 'upload started without a Location header');
  const put = await session.request(
    'PUT',
    `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`,
    { body: data, headers: { 'content-type': 'application/octet-stream' } },
  );
  await expectStatus(put, 201, `PUT blob ${digest}`);
  await put.arrayBuffer();
}

async function pushManifest(
  session: TestRegistrySession,
  repository: string,
  bytes: Buffer,
  mediaType: string,
  tag: string | undefined,
): Promise<string> {
  const digest = sha256(bytes);
  const res = await session.request('PUT', `/v2/${repository}/manifests/${tag ?? digest}`, {
    body: bytes,
    headers: { 'content-type': mediaType },
  });
  await expectStatus(res, 201, `PUT manifest ${repository}:${tag ?? digest}`);
  await res.arrayBuffer();
  const answered = res.headers.get('docker-content-digest');
  if (answered && answered !== digest) {
    throw new HarnessError(
      'TEST_REGISTRY',
      `registry stored the manifest as ${answered}, expected ${digest}`,
    );
  }
  return digest;
}

async function pushImageWith(
  session: TestRegistrySession,
  repository: string,
  options: TestImageOptions,
): Promise<TestImage> {
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers: TestBlob[] = (options.layers ?? [1024]).map((layer) => {
    const data = typeof layer === 'number' ? randomBlob(layer) : Buffer.from(layer);
    return { mediaType: OCI_LAYER_TAR, digest: sha256(data), size: data.length, data };
  });
  const configJson = {
    created: '1970-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    history: layers.map((_, i) => ({ created: '1970-01-01T00:00:00Z', created_by: `test layer ${i + 1}` })),
  };
  const configData = Buffer.from(JSON.stringify(configJson));
  const config: TestBlob = {
    mediaType: OCI_CONFIG,
    digest: sha256(configData),
    size: configData.length,
    data: configData,
  };

  for (const blob of [...layers, config]) await pushBlob(session, repository, blob.data, blob.digest);

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const digest = await pushManifest(session, repository, manifest, OCI_MANIFEST, options.tag);
  return {
    repository,
    tag: options.tag,
    digest,
    descriptor: { mediaType: OCI_MANIFEST, digest, size: manifest.length, platform },
    manifest,
    config,
    layers,
  };
}

/** Pushes a small OCI image (random uncompressed layers, a matching config) and returns what was pushed. */
export function pushTestImage(
  registryUrl: string,
  repository: string,
  options: TestImageOptions = {},
): Promise<TestImage> {
  return pushImageWith(testRegistrySession(registryUrl, repository, options), repository, options);
}

/** Pushes one image per platform (by digest) and an OCI index listing them. */
export async function pushTestIndex(
  registryUrl: string,
  repository: string,
  options: TestIndexOptions = {},
): Promise<TestIndex> {
  const session = testRegistrySession(registryUrl, repository, options);
  const platforms = options.platforms ?? [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ];
  const images: TestImage[] = [];
  for (const platform of platforms) {
    images.push(await pushImageWith(session, repository, { platform, layers: options.layers ?? [1024] }));
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: images.map((image) => image.descriptor),
    }),
  );
  const digest = await pushManifest(session, repository, manifest, OCI_INDEX, options.tag);
  return {
    repository,
    tag: options.tag,
    digest,
    descriptor: { mediaType: OCI_INDEX, digest, size: manifest.length },
    manifest,
    images,
  };
}
