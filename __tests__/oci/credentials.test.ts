import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { Logger } from '@release-actions/shared';
import {
  CredentialResolver,
  OciError,
  spawnCredentialHelper,
  type CredentialResolverOptions,
} from '@release-actions/shared/oci';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * A real credential helper speaking the docker-credential-helpers protocol: `get`, the server URL
 * on stdin, JSON on stdout, or "credentials not found in native keychain" and exit code 1.
 */
const HELPER = `#!/bin/sh
[ "$1" = get ] || { echo "unknown action: $1"; exit 1; }
read -r url || true
[ -n "$CRED_LOG" ] && printf '%s\\n' "$url" >> "$CRED_LOG"
case "$url" in
  ghcr.io) printf '{"ServerURL":"%s","Username":"octo","Secret":"helper-secret-1"}\\n' "$url" ;;
  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"helper-refresh-2"}' "$url" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hubuser","Secret":"helper-hub-3"}' "$url" ;;
  empty.example) printf '{"ServerURL":"%s","Username":"","Secret":""}' "$url" ;;
  broken.example) echo 'error getting credentials - err: exit status 1, out: keychain is locked'; exit 1 ;;
  stderr.example) echo 'cannot autolaunch D-Bus' >&2; exit 3 ;;
  garbage.example) echo 'helper-garbage-secret is not json'; exit 0 ;;
  slow.example) exec sleep 10 ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
`;

let root: string;
let bin: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'credentials-test-'));
  bin = join(root, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'docker-credential-test'), HELPER);
  await chmod(join(bin, 'docker-credential-test'), 0o755);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Setup {
  dir: string;
  log: string;
  messages: string[];
  resolver: CredentialResolver;
}

/** A docker config dir holding `config` (written verbatim when a string), and a resolver reading it. */
async function setup(
  config: object | string | undefined,
  options: Omit<CredentialResolverOptions, 'dockerConfigDir'> = {},
): Promise<Setup> {
  const dir = join(root, `config-${++counter}`);
  await mkdir(dir);
  if (config !== undefined) {
    await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  }
  const log = join(dir, 'helper.log');
  const messages: string[] = [];
  const logger: Logger = {
    debug: (m) => messages.push(m),
    info: (m) => messages.push(m),
    warning: (m) => messages.push(m),
  };
  const resolver = new CredentialResolver({
    dockerConfigDir: dir,
    env: { PATH: `${bin}:/usr/bin:/bin`, CRED_LOG: log },
    logger,
    ...options,
  });
  return { dir, log, messages, resolver };
}

async function helperCalls(log: string): Promise<string[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

async function rejection(promise: Promise<unknown>): Promise<OciError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OciError, `expected OciError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

function assertNoSecret(texts: string[], secrets: string[]) {
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `"${text}" leaks "${secret}"`);
  }
}

describe('CredentialResolver: explicit credentials', () => {
  it('win over the docker config and GITHUB_TOKEN, matching the registry by host', async () => {
    const { resolver } = await setup(
      { auths: { 'ghcr.io': { auth: b64('cfg:cfg-pass') } } },
      {
        explicit: [
          { registry: 'https://ghcr.io/', username: 'me', password: 'explicit-pass' },
          { registry: 'index.docker.io', username: 'hub', password: 'hub-pass' },
        ],
        env: { GITHUB_TOKEN: 'gh-token' },
      },
    );
    assert.deepEqual(await resolver.resolve('ghcr.io'), { username: 'me', password: 'explicit-pass' });
    assert.deepEqual(await resolver.resolve('docker.io'), { username: 'hub', password: 'hub-pass' });
    assert.equal(await resolver.resolve('quay.io'), undefined);
  });
});

describe('CredentialResolver: auths in config.json', () => {
  const config = {
    auths: {
      'registry.example': { auth: b64('alice:pa:ss') },
      'https://secure.example': { auth: b64('bob:bob-pass') },
      'http://localhost:5000/v1/': { username: 'carol', password: 'carol-pass' },
      [`https://index.docker.io/v1/`]: { auth: b64('hubuser:hub-pass') },
      'oauth.example': { identitytoken: 'refresh-token-1' },
      'bearer.example': { registrytoken: 'registry-token-1', auth: b64('x:y') },
      'camel.example': { identityToken: 'refresh-token-2' },
      'unpadded.example': { auth: b64('dave:d').replace(/=+$/, '') },
      'ghcr.io': {},
    },
  };

  it('decodes auth, keeping colons in the password', async () => {
    const { resolver } = await setup(config);
    assert.deepEqual(await resolver.resolve('registry.example'), { username: 'alice', password: 'pa:ss' });
    assert.deepEqual(await resolver.resolve('unpadded.example'), { username: 'dave', password: 'd' });
  });

  it('matches keys written as URLs, as docker does', async () => {
    const { resolver } = await setup(config);
    assert.deepEqual(await resolver.resolve('secure.example'), { username: 'bob', password: 'bob-pass' });
    assert.deepEqual(await resolver.resolve('localhost:5000'), { username: 'carol', password: 'carol-pass' });
    assert.equal(await resolver.resolve('localhost:5001'), undefined);
  });

  it("uses Docker Hub's key https://index.docker.io/v1/ for docker.io", async () => {
    const { resolver } = await setup(config);
    assert.deepEqual(await resolver.resolve('docker.io'), { username: 'hubuser', password: 'hub-pass' });
    assert.deepEqual(await resolver.resolve('index.docker.io'), {
      username: 'hubuser',
      password: 'hub-pass',
    });
  });

  it('also finds Docker Hub under a docker.io key (podman auth.json)', async () => {
    const { resolver } = await setup({ auths: { 'docker.io': { auth: b64('p:q') } } });
    assert.deepEqual(await resolver.resolve('docker.io'), { username: 'p', password: 'q' });
  });

  it('reads identity tokens and registry tokens, field names case-insensitive as in Go', async () => {
    const { resolver } = await setup(config);
    assert.deepEqual(await resolver.resolve('oauth.example'), { identityToken: 'refresh-token-1' });
    assert.deepEqual(await resolver.resolve('camel.example'), { identityToken: 'refresh-token-2' });
    assert.deepEqual(await resolver.resolve('bearer.example'), { registryToken: 'registry-token-1' });
  });

  it('treats an empty entry as no credentials', async () => {
    const { resolver } = await setup(config);
    assert.equal(await resolver.resolve('ghcr.io'), undefined);
  });
});

describe('CredentialResolver: where config.json is', () => {
  it('reads $DOCKER_CONFIG, else <home>/.docker', async () => {
    const dir = join(root, 'docker-config-env');
    await mkdir(dir);
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { 'a.example': { auth: b64('a:1') } } }),
    );
    const byEnv = new CredentialResolver({ env: { DOCKER_CONFIG: dir } });
    assert.equal(byEnv.dockerConfigPath, join(dir, 'config.json'));
    assert.deepEqual(await byEnv.resolve('a.example'), { username: 'a', password: '1' });

    const home = join(root, 'home');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'h.example': { auth: b64('h:2') } } }),
    );
    const byHome = new CredentialResolver({ env: {}, homeDir: home });
    assert.deepEqual(await byHome.resolve('h.example'), { username: 'h', password: '2' });
  });

  it('is anonymous without a config file, or with an empty one', async () => {
    assert.equal(await (await setup(undefined)).resolver.resolve('registry.example'), undefined);
    assert.equal(await (await setup('  \n')).resolver.resolve('registry.example'), undefined);
  });
});

describe('CredentialResolver: malformed config.json', () => {
  it('names the file and never quotes it', async () => {
    const { dir, resolver } = await setup(
      '{"auths": {"x.example": {"auth": "c2VjcmV0LXZhbHVlOnRvcC1zZWNyZXQ="} oops',
    );
    const err = await rejection(resolver.resolve('x.example'));
    assert.equal(err.code, 'CREDENTIALS');
    assert.ok(err.message.includes(join(dir, 'config.json')), err.message);
    assert.match(err.message, /not valid JSON/);
    assertNoSecret([err.message, String(err.cause)], ['c2VjcmV0LXZhbHVlOnRvcC1zZWNyZXQ=', 'oops']);
  });

  it('rejects an auth that is not base64 of user:password, without quoting it', async () => {
    for (const auth of ['not base64 at all!', b64('no-colon-secret'), b64(':empty-user-secret')]) {
      const { resolver } = await setup({ auths: { 'x.example': { auth } } });
      const err = await rejection(resolver.resolve('x.example'));
      assert.equal(err.code, 'CREDENTIALS');
      assert.match(err.message, /config\.json/);
      assert.match(err.message, /auths\["x\.example"\]/);
      assertNoSecret([err.message], [auth, 'no-colon-secret', 'empty-user-secret']);
    }
  });

  it('rejects fields of the wrong type', async () => {
    for (const config of [[], { auths: [] }, { credHelpers: { 'x.example': 1 } }, { credsStore: {} }]) {
      const { resolver } = await setup(config);
      assert.equal((await rejection(resolver.resolve('x.example'))).code, 'CREDENTIALS');
    }
  });
});

describe('CredentialResolver: credential helpers (real process)', () => {
  it('asks credHelpers[registry] with the registry on stdin', async () => {
    const { resolver, log } = await setup({ credHelpers: { 'ghcr.io': 'test' } });
    assert.deepEqual(await resolver.resolve('ghcr.io'), { username: 'octo', password: 'helper-secret-1' });
    assert.deepEqual(await helperCalls(log), ['ghcr.io']);
  });

  it('maps the <token> username to an identity token', async () => {
    const { resolver } = await setup({ credsStore: 'test' });
    assert.deepEqual(await resolver.resolve('token.example'), { identityToken: 'helper-refresh-2' });
  });

  it("asks for Docker Hub by docker's key https://index.docker.io/v1/", async () => {
    const { resolver, log } = await setup({ credHelpers: { 'https://index.docker.io/v1/': 'test' } });
    assert.deepEqual(await resolver.resolve('docker.io'), { username: 'hubuser', password: 'helper-hub-3' });
    assert.deepEqual(await helperCalls(log), ['https://index.docker.io/v1/']);
  });

  it('falls through on "credentials not found": credHelpers → credsStore → auths', async () => {
    const { resolver, log } = await setup({
      credHelpers: { 'nothing.example': 'test' },
      credsStore: 'test',
      auths: { 'nothing.example': { auth: b64('from:auths') } },
    });
    assert.deepEqual(await resolver.resolve('nothing.example'), { username: 'from', password: 'auths' });
    // The same helper is not asked twice.
    assert.deepEqual(await helperCalls(log), ['nothing.example']);
    assert.equal(await resolver.resolve('unknown.example'), undefined);
  });

  it('treats an empty answer as not found', async () => {
    const { resolver } = await setup({ credsStore: 'test' });
    assert.equal(await resolver.resolve('empty.example'), undefined);
  });

  it('fails with CREDENTIALS naming the helper and the registry when the helper fails', async () => {
    const { resolver } = await setup({ credsStore: 'test' });
    const err = await rejection(resolver.resolve('broken.example'));
    assert.equal(err.code, 'CREDENTIALS');
    assert.match(err.message, /docker-credential-test/);
    assert.match(err.message, /broken\.example/);
    assert.match(err.message, /keychain is locked/);
    assert.match(err.message, /credsStore in .*config\.json/);

    const err2 = await rejection(resolver.resolve('stderr.example'));
    assert.match(err2.message, /exited with code 3: cannot autolaunch D-Bus/);
  });

  it('fails with CREDENTIALS saying how to fix a missing helper', async () => {
    const { resolver } = await setup({ credHelpers: { 'gcr.io': 'missing' } });
    const err = await rejection(resolver.resolve('gcr.io'));
    assert.equal(err.code, 'CREDENTIALS');
    assert.match(err.message, /docker-credential-missing/);
    assert.match(err.message, /gcr\.io/);
    assert.match(err.message, /not on PATH/);
    assert.match(err.message, /install docker-credential-missing/);
  });

  it('kills a helper that does not answer in time', async () => {
    const { resolver } = await setup({ credsStore: 'test' }, { helperTimeoutMs: 300 });
    const started = Date.now();
    const err = await rejection(resolver.resolve('slow.example'));
    assert.equal(err.code, 'CREDENTIALS');
    assert.match(err.message, /did not answer/);
    assert.ok(Date.now() - started < 5000);
  });

  it('does not quote an answer that is not JSON', async () => {
    const { resolver } = await setup({ credsStore: 'test' });
    const err = await rejection(resolver.resolve('garbage.example'));
    assert.equal(err.code, 'CREDENTIALS');
    assertNoSecret([err.message, String(err.cause)], ['helper-garbage-secret']);
  });

  it('caches answers per registry, but not failures', async () => {
    const { resolver, log } = await setup({ credHelpers: { 'ghcr.io': 'test', 'broken.example': 'test' } });
    await resolver.resolve('ghcr.io');
    await resolver.resolve('ghcr.io');
    await resolver.resolve('https://ghcr.io');
    assert.deepEqual(await helperCalls(log), ['ghcr.io']);
    await rejection(resolver.resolve('broken.example'));
    await rejection(resolver.resolve('broken.example'));
    assert.deepEqual(await helperCalls(log), ['ghcr.io', 'broken.example', 'broken.example']);
  });

  it('spawnCredentialHelper speaks the protocol on its own', async () => {
    const run = spawnCredentialHelper({ env: { PATH: `${bin}:/usr/bin:/bin` } });
    assert.deepEqual(await run('test', 'ghcr.io'), { username: 'octo', secret: 'helper-secret-1' });
    assert.equal(await run('test', 'nothing.example'), undefined);
    await assert.rejects(run('absent', 'ghcr.io'), { code: 'ENOENT' });
  });

  it('takes an injected runner', async () => {
    const calls: string[][] = [];
    const { resolver } = await setup(
      { credHelpers: { 'ecr.example': 'ecr-login' } },
      {
        runHelper: async (helper, serverUrl) => {
          calls.push([helper, serverUrl]);
          return { username: 'AWS', secret: 'injected-secret' };
        },
      },
    );
    assert.deepEqual(await resolver.resolve('ecr.example'), { username: 'AWS', password: 'injected-secret' });
    assert.deepEqual(calls, [['ecr-login', 'ecr.example']]);
  });
});

describe('CredentialResolver: GITHUB_TOKEN', () => {
  it('is used for ghcr.io only, with GITHUB_ACTOR as the username', async () => {
    const { resolver } = await setup(undefined, {
      env: { GITHUB_TOKEN: 'ghs_token', GITHUB_ACTOR: 'octocat' },
    });
    assert.deepEqual(await resolver.resolve('ghcr.io'), { username: 'octocat', password: 'ghs_token' });
    assert.equal(await resolver.resolve('docker.io'), undefined);
    assert.equal(await resolver.resolve('registry.example'), undefined);
  });

  it('comes after the docker config, and has a username without GITHUB_ACTOR', async () => {
    const withConfig = await setup(
      { auths: { 'ghcr.io': { auth: b64('cfg:cfg-pass') } } },
      { env: { GITHUB_TOKEN: 't' } },
    );
    assert.deepEqual(await withConfig.resolver.resolve('ghcr.io'), { username: 'cfg', password: 'cfg-pass' });

    const bare = await setup(undefined, { env: { GITHUB_TOKEN: 't' } });
    const credential = await bare.resolver.resolve('ghcr.io');
    assert.ok(credential && 'username' in credential && credential.username !== '');
    assert.equal(credential.password, 't');
  });
});

it('takes the github-token input as a typed option that wins over GITHUB_TOKEN, for ghcr.io only', async () => {
  const { resolver, messages } = await setup(undefined, {
    env: { GITHUB_TOKEN: 'env-token', GITHUB_ACTOR: 'octocat' },
    githubToken: 'input-token',
  });
  assert.deepEqual(await resolver.resolve('ghcr.io'), { username: 'octocat', password: 'input-token' });
  assert.equal(await resolver.resolve('registry.example'), undefined);
  assert.ok(messages.some((m) => m.includes('the github-token input')));
  assert.ok(!messages.some((m) => m.includes('input-token')));
});

describe('CredentialResolver: no secret in log lines', () => {
  it('logs where credentials came from, never what they are', async () => {
    const { resolver, messages } = await setup(
      {
        credHelpers: { 'ghcr.io': 'test' },
        credsStore: 'test',
        auths: {
          'a.example': { auth: b64('user-a:auths-secret') },
          'b.example': { identitytoken: 'identity-secret' },
          'c.example': { registrytoken: 'registry-secret' },
        },
      },
      { explicit: [{ registry: 'd.example', username: 'user-d', password: 'explicit-secret' }] },
    );
    for (const r of [
      'ghcr.io',
      'token.example',
      'a.example',
      'b.example',
      'c.example',
      'd.example',
      'none.example',
    ]) {
      await resolver.resolve(r);
    }
    assert.ok(messages.some((m) => m.includes('a.example') && m.includes('auths')));
    assert.ok(messages.some((m) => m.includes('docker-credential-test')));
    assertNoSecret(messages, [
      'helper-secret-1',
      'helper-refresh-2',
      'auths-secret',
      'identity-secret',
      'registry-secret',
      'explicit-secret',
      b64('user-a:auths-secret'),
    ]);
  });
});
