import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HarnessError,
  nthRequest,
  pushTestImage,
  pushTestIndex,
  randomBlob,
  sha256,
  startRecordingProxy,
  startRegistry,
  testRegistrySession,
  type RecordingProxy,
  type TestRegistry,
} from '@release-actions/shared/testing';
import { onTestFinished } from '../jest-helpers.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function token(
  registry: TestRegistry,
  scopes: string[],
  credentials?: { username: string; password: string },
): Promise<{ status: number; token?: string; body: Record<string, unknown> }> {
  const url = new URL(registry.tokenIssuer!.realm);
  url.searchParams.set('service', registry.tokenIssuer!.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const res = await fetch(url, {
    headers: credentials ? { authorization: basic(credentials.username, credentials.password) } : {},
  });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, token: body['token'] as string | undefined, body };
}

async function startUpload(registry: TestRegistry, repository: string, bearer: string): Promise<Response> {
  const res = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}` },
  });
  await res.body?.cancel();
  return res;
}

describe('startRegistry', () => {
  it('starts an anonymous registry on loopback and stops it: process gone, directory removed', async () => {
    const registry = await startRegistry();
    onTestFinished(() => registry.stop());
    assert.match(registry.host, /^127\.0\.0\.1:\d+$/);
    assert.equal(registry.url, `http://${registry.host}`);
    assert.ok(existsSync(registry.storageDir));
    assert.match(readFileSync(registry.configFile, 'utf8'), /delete:\n\s+enabled: true/);

    const ping = await fetch(`${registry.url}/v2/`);
    assert.equal(ping.status, 200);
    assert.equal(ping.headers.get('docker-distribution-api-version'), 'registry/2.0');

    const image = await pushTestImage(registry.url, 'harness/app', { layers: [100, 2000], tag: 'v1' });
    const manifest = await fetch(`${registry.url}/v2/harness/app/manifests/v1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('docker-content-digest'), image.digest);
    assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), image.bytes);
    const config = JSON.parse(image.config.bytes.toString('utf8')) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(
      config.rootfs.diff_ids,
      image.layers.map((l) => l.descriptor.digest),
    );
    const layer = await fetch(`${registry.url}/v2/harness/app/blobs/${image.layers[1]!.descriptor.digest}`);
    assert.deepEqual(Buffer.from(await layer.arrayBuffer()), image.layers[1]!.bytes);
    assert.match(registry.logTail(), /listening on 127\.0\.0\.1/);

    // storage.delete.enabled: manifests can be deleted.
    const deleted = await fetch(`${registry.url}/v2/harness/app/manifests/${image.digest}`, {
      method: 'DELETE',
    });
    assert.equal(deleted.status, 202);

    await registry.stop();
    assert.equal(alive(registry.pid), false, 'the registry process is gone');
    assert.equal(existsSync(registry.dir), false, 'the temporary directory is removed');
    await registry.stop(); // a second stop is harmless
  });

  it('pushes a multi-platform index whose manifests are all retrievable', async () => {
    const registry = await startRegistry();
    onTestFinished(() => registry.stop());
    const index = await pushTestIndex(registry.url, 'harness/multi', { tag: 'latest', layers: [64] });
    assert.equal(index.images.length, 2);
    const res = await fetch(`${registry.url}/v2/harness/multi/manifests/latest`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    const body = JSON.parse(await res.text()) as { manifests: Array<{ digest: string; platform: object }> };
    assert.deepEqual(
      body.manifests.map((m) => [m.digest, m.platform]),
      index.images.map((i) => [i.digest, i.platform]),
    );
    for (const image of index.images) {
      const head = await fetch(`${registry.url}/v2/harness/multi/manifests/${image.digest}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(head.status, 200);
    }
  });

  it('says how to install docker-registry when the binary is missing', async () => {
    await assert.rejects(
      startRegistry({ binary: '/nonexistent/docker-registry' }),
      (err: unknown) =>
        err instanceof HarnessError &&
        err.code === 'SERVICE_MISSING' &&
        err.message.includes('install docker-registry (apt-get install docker-registry)'),
    );
  });

  it('fails a registry that cannot start with the log tail, and cleans up', async () => {
    await assert.rejects(
      startRegistry({ config: { auth: { no_such_auth_backend: { x: 'y' } } }, startupTimeoutMs: 10_000 }),
      (err: unknown) => {
        assert.ok(err instanceof HarnessError, String(err));
        assert.equal(err.code, 'SERVICE_START');
        assert.match(err.message, /exited/);
        assert.match(err.message, /no_such_auth_backend/, 'the log tail explains why');
        const dir = /config (\S+)\/config\.yml/.exec(err.message)?.[1];
        assert.ok(dir && !existsSync(dir), 'the temporary directory is removed');
        return true;
      },
    );
  });
});

/**
 * Runs a separate Node process that starts a registry and never stops it, then ends that process
 * the given way; resolves with the registry's pid and directory once the process has ended.
 */
async function orphanRegistry(end: 'exit' | 'SIGKILL'): Promise<{ pid: number; dir: string }> {
  const harness = new URL('../../packages/shared/src/testing/index.ts', import.meta.url).href;
  const script = [
    `const { startRegistry } = await import(${JSON.stringify(harness)});`,
    `const reg = await startRegistry();`,
    `console.log(JSON.stringify({ pid: reg.pid, dir: reg.dir }));`,
    end === 'exit' ? `process.exitCode = 0;` : `setInterval(() => {}, 1000);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before starting a registry`)));
  });
  const started = JSON.parse(first) as { pid: number; dir: string };
  assert.ok(alive(started.pid));
  if (end === 'SIGKILL') child.kill('SIGKILL');
  await exited;
  return started;
}

async function gone(pid: number): Promise<boolean> {
  // The kernel delivers the parent-death signal asynchronously; give it a moment.
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
  return !alive(pid);
}

describe('a registry the test forgot to stop', () => {
  it('is killed and its directory removed when the test process exits, which it does not delay', async () => {
    const { pid, dir } = await orphanRegistry('exit');
    assert.ok(await gone(pid), `registry ${pid} must not outlive the test process`);
    assert.equal(existsSync(dir), false);
  });

  it('is killed by the kernel when the test process is SIGKILLed', async () => {
    const { pid, dir } = await orphanRegistry('SIGKILL');
    assert.ok(await gone(pid), `registry ${pid} must not outlive the test process`);
    // No hook runs on SIGKILL: the directory stays in the temp dir; remove it here.
    await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
  });
});

describe('startRegistry with basic auth', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: { kind: 'basic', username: 'alice', password: 's3cret' } });
  });
  afterAll(() => registry?.stop());

  it('rejects anonymous requests with a Basic challenge', async () => {
    const res = await fetch(`${registry.url}/v2/`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    await assert.rejects(pushTestImage(registry.url, 'basic/app'), /Basic credentials/);
  });

  it('rejects a wrong password and accepts the user', async () => {
    const wrong = await fetch(`${registry.url}/v2/`, { headers: { authorization: basic('alice', 'nope') } });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: basic('alice', 's3cret') },
    });
    assert.equal(right.status, 200);
    const image = await pushTestImage(registry.url, 'basic/app', {
      tag: 'v1',
      credentials: { username: 'alice', password: 's3cret' },
    });
    const res = await fetch(`${registry.url}/v2/basic/app/manifests/v1`, {
      method: 'HEAD',
      headers: {
        authorization: basic('alice', 's3cret'),
        accept: 'application/vnd.oci.image.manifest.v1+json',
      },
    });
    assert.equal(res.headers.get('docker-content-digest'), image.digest);
  });
});

describe('startRegistry with token auth', () => {
  let registry: TestRegistry;
  const bob = { username: 'bob', password: 'hunter2' };
  beforeAll(async () => {
    registry = await startRegistry({ auth: { kind: 'token', users: { bob: 'hunter2' } } });
  });
  afterAll(() => registry?.stop());

  it('answers an anonymous request with 401 and a Bearer challenge naming the issuer', async () => {
    const res = await fetch(`${registry.url}/v2/token/a/manifests/latest`);
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer /);
    assert.ok(challenge.includes(`realm="${registry.tokenIssuer!.realm}"`), challenge);
    assert.ok(challenge.includes(`service="${registry.tokenIssuer!.service}"`), challenge);
    assert.ok(challenge.includes('scope="repository:token/a:pull"'), challenge);
  });

  it('issues tokens that push and pull the granted repository, and only that one', async () => {
    const before = registry.tokenRequests!.length;
    const granted = await token(registry, ['repository:token/a:pull,push'], bob);
    assert.equal(granted.status, 200);
    assert.equal(granted.body['access_token'], granted.token);
    assert.equal(granted.body['expires_in'], 300);
    assert.equal(typeof granted.body['issued_at'], 'string');
    const [header, claims] = granted
      .token!.split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    assert.equal(header!['alg'], 'ES256');
    assert.deepEqual(claims!['access'], [{ type: 'repository', name: 'token/a', actions: ['pull', 'push'] }]);
    assert.equal(claims!['sub'], 'bob');
    assert.equal(claims!['aud'], registry.tokenIssuer!.service);

    // Push and pull with the token.
    const blob = randomBlob(3000);
    const digest = sha256(blob);
    const start = await startUpload(registry, 'token/a', granted.token!);
    assert.equal(start.status, 202);
    const put = await fetch(new URL(`${start.headers.get('location')!}&digest=${digest}`, registry.url), {
      method: 'PUT',
      body: blob,
      headers: { authorization: `Bearer ${granted.token}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 201);
    const pulled = await fetch(`${registry.url}/v2/token/a/blobs/${digest}`, {
      headers: { authorization: `Bearer ${granted.token}` },
    });
    assert.deepEqual(Buffer.from(await pulled.arrayBuffer()), blob);

    // The same token cannot push to (or read) another repository.
    const other = await startUpload(registry, 'token/b', granted.token!);
    assert.equal(other.status, 401);
    assert.match(other.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    const otherPull = await fetch(`${registry.url}/v2/token/b/blobs/${digest}`, {
      headers: { authorization: `Bearer ${granted.token}` },
    });
    assert.equal(otherPull.status, 401);

    // A pull-only token cannot push.
    const pullOnly = await token(registry, ['repository:token/a:pull'], bob);
    assert.equal((await startUpload(registry, 'token/a', pullOnly.token!)).status, 401);

    const recorded = registry.tokenRequests!.slice(before);
    assert.deepEqual(
      recorded.map((r) => [r.user, r.scopes, r.status]),
      [
        ['bob', ['repository:token/a:pull,push'], 200],
        ['bob', ['repository:token/a:pull'], 200],
      ],
    );
  });

  it('grants several scopes at once, as a cross-repository mount needs', async () => {
    const image = await pushTestImage(registry.url, 'token/source', { layers: [500], credentials: bob });
    const layer = image.layers[0]!.descriptor.digest;
    const both = await token(
      registry,
      ['repository:token/mounted:pull,push', 'repository:token/source:pull'],
      bob,
    );
    const mount = await fetch(
      `${registry.url}/v2/token/mounted/blobs/uploads/?mount=${layer}&from=token/source`,
      { method: 'POST', headers: { authorization: `Bearer ${both.token}` } },
    );
    assert.equal(mount.status, 201, 'mounted, not a new upload');
    assert.deepEqual(registry.tokenRequests!.at(-1)!.scopes, [
      'repository:token/mounted:pull,push',
      'repository:token/source:pull',
    ]);
    // Without pull on the source, the registry refuses the mount's source (and distribution
    // falls back to a plain upload).
    const narrow = await token(registry, ['repository:token/mounted2:pull,push'], bob);
    const fallback = await fetch(
      `${registry.url}/v2/token/mounted2/blobs/uploads/?mount=${layer}&from=token/source`,
      { method: 'POST', headers: { authorization: `Bearer ${narrow.token}` } },
    );
    assert.notEqual(fallback.status, 201);
  });

  it('rejects bad credentials at the issuer and gives anonymous callers no access', async () => {
    const bad = await token(registry, ['repository:token/a:pull'], { username: 'bob', password: 'wrong' });
    assert.equal(bad.status, 401);
    assert.equal(registry.tokenRequests!.at(-1)!.status, 401);
    const anonymous = await token(registry, ['repository:token/a:pull']);
    assert.equal(anonymous.status, 200);
    assert.equal(registry.tokenRequests!.at(-1)!.user, undefined);
    const res = await fetch(`${registry.url}/v2/token/a/tags/list`, {
      headers: { authorization: `Bearer ${anonymous.token}` },
    });
    assert.equal(res.status, 401);
  });

  it('refuses an expired token and accepts one minted directly', async () => {
    const issuer = registry.tokenIssuer!;
    const access = [{ type: 'repository', name: 'token/minted', actions: ['*'] }];
    // distribution allows 60 s of clock skew past `exp`.
    const expired = issuer.issueToken({ user: 'bob', access, expiresIn: -120 });
    const refused = await startUpload(registry, 'token/minted', expired);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const minted = issuer.issueToken({ user: 'bob', access });
    assert.equal((await startUpload(registry, 'token/minted', minted)).status, 202, '"*" grants push');
  });

  it('lets the helpers run the whole challenge flow', async () => {
    const image = await pushTestImage(registry.url, 'token/helper', { tag: 'v1', credentials: bob });
    const session = testRegistrySession(registry.url, 'token/helper', {
      credentials: bob,
      actions: ['pull'],
    });
    const res = await session.request('GET', '/v2/token/helper/manifests/v1', {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), image.digest);
  });
});

describe('startRegistry with token auth variants', () => {
  it('allows anonymous pull when asked, and still refuses anonymous push', async () => {
    const registry = await startRegistry({
      auth: { kind: 'token', users: { bob: 'pw' }, anonymousPull: true },
    });
    onTestFinished(() => registry.stop());
    const image = await pushTestImage(registry.url, 'open/app', {
      tag: 'v1',
      credentials: { username: 'bob', password: 'pw' },
    });
    const session = testRegistrySession(registry.url, 'open/app', { actions: ['pull'] });
    const res = await session.request('GET', `/v2/open/app/manifests/${image.digest}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(res.status, 200);
    const anonymous = await token(registry, ['repository:open/app:pull,push']);
    assert.deepEqual(anonymous.status, 200);
    assert.deepEqual(registry.tokenRequests!.at(-1)!.granted, [
      { type: 'repository', name: 'open/app', actions: ['pull'] },
    ]);
    assert.equal((await startUpload(registry, 'open/app', anonymous.token!)).status, 401);
  });

  it('accepts tokens that name their key by libtrust kid instead of x5c', async () => {
    const registry = await startRegistry({ auth: { kind: 'token', users: { bob: 'pw' }, keyHeader: 'kid' } });
    onTestFinished(() => registry.stop());
    const granted = await token(registry, ['repository:kid/app:pull,push'], {
      username: 'bob',
      password: 'pw',
    });
    const header = JSON.parse(Buffer.from(granted.token!.split('.')[0]!, 'base64url').toString('utf8')) as {
      kid?: string;
      x5c?: string[];
    };
    assert.match(header.kid ?? '', /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    assert.equal(header.x5c, undefined);
    assert.equal((await startUpload(registry, 'kid/app', granted.token!)).status, 202);
    // A token the registry cannot verify is refused as invalid.
    const forged = `${granted.token!.slice(0, -4)}AAAA`;
    const res = await startUpload(registry, 'kid/app', forged);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });
});

describe('startRecordingProxy', () => {
  let registry: TestRegistry;
  let proxy: RecordingProxy;
  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startRecordingProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('records each request with its status and body sizes, rewriting upload Locations to itself', async () => {
    proxy.reset();
    const image = await pushTestImage(proxy.url, 'proxy/app', { layers: [1234, 5678], tag: 'v1' });
    const posts = proxy.requests.filter((r) => r.method === 'POST');
    const puts = proxy.requests.filter((r) => r.method === 'PUT');
    assert.equal(posts.length, 3, 'two layers and the config');
    assert.ok(posts.every((r) => r.status === 202));
    assert.deepEqual(
      puts.map((r) => [r.status, r.bytesIn]),
      [
        [201, 1234],
        [201, 5678],
        [201, image.config.descriptor.size],
        [201, image.bytes.length],
      ],
    );
    assert.ok(puts.slice(0, 3).every((r) => r.path.startsWith('/v2/proxy/app/blobs/uploads/')));
    assert.deepEqual(
      proxy.requests.map((r) => r.seq),
      proxy.requests.map((_, i) => i + 1),
    );

    const res = await fetch(`${proxy.url}/v2/proxy/app/blobs/${image.layers[1]!.descriptor.digest}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.layers[1]!.bytes);
    const get = proxy.requests.at(-1)!;
    assert.deepEqual(
      [get.method, get.status, get.bytesIn, get.bytesOut, get.done],
      ['GET', 200, 0, 5678, true],
    );

    proxy.reset();
    assert.deepEqual(proxy.requests, []);
  });

  it('injects a status, a reset connection, and a response cut half-way', async () => {
    const image = await pushTestImage(registry.url, 'proxy/fail', { layers: [10_000] });
    const blobPath = `/v2/proxy/fail/blobs/${image.layers[0]!.descriptor.digest}`;
    proxy.reset();

    // Fail the 2nd GET of the blob only.
    proxy.failWhen(nthRequest(2, (req) => req.method === 'GET' && req.path === blobPath));
    assert.equal((await fetch(`${proxy.url}${blobPath}`)).status, 200);
    const failed = await fetch(`${proxy.url}${blobPath}`);
    assert.equal(failed.status, 500);
    assert.match(await failed.text(), /injected failure/);
    assert.equal((await fetch(`${proxy.url}${blobPath}`)).status, 200);
    assert.deepEqual(
      proxy.requests.map((r) => [r.status, r.injected]),
      [
        [200, undefined],
        [500, 'status'],
        [200, undefined],
      ],
    );

    proxy.clearFailures();
    const remove = proxy.failWhen((req) => (req.path === blobPath ? { destroy: true } : false));
    await assert.rejects(fetch(`${proxy.url}${blobPath}`));
    assert.equal(proxy.requests.at(-1)!.injected, 'destroy');
    assert.equal(proxy.requests.at(-1)!.status, 0);
    remove();
    assert.equal((await fetch(`${proxy.url}${blobPath}`)).status, 200, 'the rule is removed');

    proxy.failWhen((req) => (req.path === blobPath ? { destroy: true, afterBytes: 4000 } : false));
    const cut = await fetch(`${proxy.url}${blobPath}`);
    assert.equal(cut.status, 200);
    await assert.rejects(cut.arrayBuffer());
    const record = proxy.requests.at(-1)!;
    assert.equal(record.injected, 'destroy');
    assert.equal(record.bytesOut, 4000);

    proxy.clearFailures();
    const ok = await fetch(`${proxy.url}${blobPath}`);
    assert.deepEqual(Buffer.from(await ok.arrayBuffer()), image.layers[0]!.bytes);
  });
});
