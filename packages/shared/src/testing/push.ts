/**
 * Test images pushed with plain HTTP calls to the distribution API (POST upload + PUT ?digest=,
 * PUT manifest), answering a Basic or Bearer challenge itself. Deliberately independent of the
 * project's registry client: the harness's own tests (registry auth modes, token issuer, proxy)
 * check the services with it, so a fault in the client cannot pass for a fault in the harness.
 * The images are those `makeImage` and `makeIndex` build.
 */
import { HarnessError } from './process.ts';
import {
  makeImage,
  makeIndex,
  OCI_INDEX,
  OCI_MANIFEST,
  sha256,
  type Image,
  type ImageOptions,
  type Manifest,
} from './images.ts';
import type { Platform } from '../oci/types.ts';

export interface TestCredentials {
  username: string;
  password: string;
}

export interface TestPushOptions {
  /** For a registry with basic or token auth: used for Basic, or to fetch a push token. */
  credentials?: TestCredentials;
}

export interface TestImageOptions extends TestPushOptions, ImageOptions {
  /** Tag the manifest; without it, it is pushed by digest only. */
  tag?: string;
}

/** What was pushed, and where. */
export interface TestImage extends Image {
  repository: string;
  tag: string | undefined;
  /** The manifest's digest. */
  digest: string;
}

export interface TestIndexOptions extends TestPushOptions {
  /** One image per platform; default linux/amd64 and linux/arm64/v8. */
  platforms?: Platform[];
  /** Layers of each image (see `makeImage`); default one of 1024 random bytes. */
  layers?: ImageOptions['layers'];
  tag?: string;
}

export interface TestIndex extends Manifest {
  repository: string;
  tag: string | undefined;
  digest: string;
  images: TestImage[];
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
  const image = makeImage(options);
  // Layers first, then the config, as docker and buildah push.
  for (const blob of [...image.layers, image.config]) {
    await pushBlob(session, repository, blob.bytes, blob.descriptor.digest);
  }
  const digest = await pushManifest(session, repository, image.bytes, OCI_MANIFEST, options.tag);
  return { ...image, repository, tag: options.tag, digest };
}

/** Pushes a small OCI image (by default one layer of 1024 random bytes) and returns what was pushed. */
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
  const index = makeIndex(images.map((image) => ({ image })));
  const digest = await pushManifest(session, repository, index.bytes, OCI_INDEX, options.tag);
  return { ...index, repository, tag: options.tag, digest, images };
}
