/**
 * The commands the builders construct, and how they read what the tools report. buildx cannot run
 * here (no Docker engine): its command and its metadata parsing are tested here, and a full run
 * through an ExecFn that does what buildx does with --metadata-file (write the file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import {
  authFileContent,
  BuildError,
  buildahBudArgs,
  buildahPushArgs,
  buildWithBuildah,
  buildWithBuildx,
  buildxBuildArgs,
  commandLine,
  dockerLoginArgs,
  dockerLogin,
  parseBuildxMetadata,
  parseDigestFile,
  spawnExec,
  type BuildRequest,
  type ExecRequest,
} from '@release-actions/shared/build';
import { parseRegistryReference } from '@release-actions/shared/oci';
import { withCode } from '../codes.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const code = (expected: string) => withCode(BuildError, expected);

function request(tags: string[], extra: Partial<BuildRequest> = {}): BuildRequest {
  return {
    context: '.',
    buildArgs: [],
    labels: [],
    tags: tags.map((t) => parseRegistryReference(t)),
    platforms: [],
    ...extra,
  };
}

/** What `docker buildx build --metadata-file` writes for a single-platform push (buildkit docs). */
const METADATA = {
  'buildx.build.ref': 'builder/builder0/0fjb6ubs52xx3vygf6fgdl611',
  'containerimage.config.digest': `sha256:${'c'.repeat(64)}`,
  'containerimage.descriptor': {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: DIGEST,
    size: 506,
  },
  'containerimage.digest': DIGEST,
  'image.name': 'ghcr.io/acme/app:v1,ghcr.io/acme/app:latest',
};

describe('buildx', () => {
  it('builds docker buildx build --push --metadata-file with every input, context last', () => {
    const args = buildxBuildArgs(
      request(['ghcr.io/acme/app:v1', 'ghcr.io/acme/app:latest'], {
        context: 'app',
        file: 'app/Containerfile',
        buildArgs: [
          ['VERSION', '1.2.3'],
          ['NOTE', 'with spaces, and = signs'],
        ],
        labels: [['org.opencontainers.image.revision', 'c27d339']],
        platforms: ['linux/amd64', 'linux/arm64'],
        target: 'runtime',
      }),
      '/tmp/x/metadata.json',
    );
    assert.deepEqual(args, [
      'buildx',
      'build',
      '--push',
      '--metadata-file',
      '/tmp/x/metadata.json',
      '--file',
      'app/Containerfile',
      '--build-arg',
      'VERSION=1.2.3',
      '--build-arg',
      'NOTE=with spaces, and = signs',
      '--label',
      'org.opencontainers.image.revision=c27d339',
      '--tag',
      'ghcr.io/acme/app:v1',
      '--tag',
      'ghcr.io/acme/app:latest',
      '--platform',
      'linux/amd64,linux/arm64',
      '--target',
      'runtime',
      'app',
    ]);
    // Only what was asked for: no --file, --platform or --target by default.
    assert.deepEqual(buildxBuildArgs(request(['localhost:5000/a:b']), 'm.json'), [
      'buildx',
      'build',
      '--push',
      '--metadata-file',
      'm.json',
      '--tag',
      'localhost:5000/a:b',
      '.',
    ]);
  });

  it('parses the metadata file: containerimage.digest, config digest, image names', () => {
    const parsed = parseBuildxMetadata(JSON.stringify(METADATA, null, 2));
    assert.equal(parsed.digest, DIGEST);
    assert.equal(parsed.configDigest, METADATA['containerimage.config.digest']);
    assert.deepEqual(parsed.imageNames, ['ghcr.io/acme/app:v1', 'ghcr.io/acme/app:latest']);
    // A multi-platform push: an index digest, no config digest.
    const index = parseBuildxMetadata(JSON.stringify({ 'containerimage.digest': DIGEST }));
    assert.equal(index.digest, DIGEST);
    assert.equal(index.configDigest, undefined);
    assert.deepEqual(index.imageNames, []);
  });

  it('refuses metadata without a pushed sha256 digest', () => {
    for (const text of [
      '',
      'null',
      '{not json',
      '[]',
      '{}',
      JSON.stringify({ 'containerimage.digest': 'sha256:abc' }),
      JSON.stringify({ 'containerimage.digest': `sha512:${'a'.repeat(128)}` }),
      JSON.stringify({ 'containerimage.digest': 42 }),
    ])
      assert.throws(() => parseBuildxMetadata(text), code('METADATA_INVALID'), text);
  });

  it('runs docker and reads the digest from the metadata file it wrote', async () => {
    const seen: ExecRequest[] = [];
    const result = await buildWithBuildx(request(['ghcr.io/acme/app:v1']), {
      exec: async (req) => {
        seen.push(req);
        const file = req.args[req.args.indexOf('--metadata-file') + 1]!;
        writeFileSync(file, JSON.stringify(METADATA));
        return { exitCode: 0, stdout: '', stderr: '' };
      },
    });
    assert.deepEqual(result, { digest: DIGEST, name: 'ghcr.io/acme/app', tags: ['ghcr.io/acme/app:v1'] });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.command, 'docker');
    // The temporary metadata file is gone afterwards.
    const file = seen[0]!.args[4]!;
    await assert.rejects(readFile(file), { code: 'ENOENT' });
  });

  it('fails with BUILD_FAILED (buildx’s last words), METADATA_INVALID or TOOL_NOT_FOUND', async () => {
    await assert.rejects(
      buildWithBuildx(request(['ghcr.io/acme/app:v1']), {
        exec: async () => ({ exitCode: 1, stdout: '', stderr: 'step 3\nERROR: failed to solve: denied' }),
      }),
      (err: unknown) => code('BUILD_FAILED')(err) && /denied/.test((err as Error).message),
    );
    await assert.rejects(
      buildWithBuildx(request(['ghcr.io/acme/app:v1']), {
        exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
      }),
      code('METADATA_INVALID'),
    );
    // A real spawn of a program that does not exist.
    await assert.rejects(
      buildWithBuildx(request(['ghcr.io/acme/app:v1']), {
        exec: spawnExec(),
        docker: 'docker-not-installed-here',
      }),
      code('TOOL_NOT_FOUND'),
    );
  });

  it('logs docker in with the password on stdin only', async () => {
    assert.deepEqual(dockerLoginArgs('ghcr.io', 'octocat'), [
      'login',
      '--username',
      'octocat',
      '--password-stdin',
      'ghcr.io',
    ]);
    const seen: ExecRequest[] = [];
    await dockerLogin(
      'ghcr.io',
      { username: 'octocat', password: 'ghs_secret' },
      {
        exec: async (req) => {
          seen.push(req);
          return { exitCode: 0, stdout: 'Login Succeeded', stderr: '' };
        },
      },
    );
    assert.equal(seen[0]!.input, 'ghs_secret');
    assert.ok(!seen[0]!.args.includes('ghs_secret'));
    await assert.rejects(
      dockerLogin(
        'ghcr.io',
        { username: 'u', password: 'p' },
        { exec: async () => ({ exitCode: 1, stdout: '', stderr: 'unauthorized' }) },
      ),
      code('LOGIN_FAILED'),
    );
  });
});

describe('buildah', () => {
  const settings = { storageDriver: 'vfs', isolation: 'chroot', root: '/r', runroot: '/rr' };

  it('builds bud and push commands: storage first, --tls-verify=false only for loopback or insecure registries', () => {
    const req = request(['127.0.0.1:5000/acme/app:v1', '127.0.0.1:5000/acme/app:latest'], {
      context: 'ctx',
      file: 'ctx/Dockerfile',
      buildArgs: [['A', '1']],
      labels: [['l', 'v']],
      platforms: ['linux/arm64'],
      target: 'final',
    });
    assert.deepEqual(buildahBudArgs(req, settings, '/t/auth.json'), [
      '--root',
      '/r',
      '--runroot',
      '/rr',
      '--storage-driver',
      'vfs',
      'bud',
      '--isolation',
      'chroot',
      '--authfile',
      '/t/auth.json',
      '--file',
      'ctx/Dockerfile',
      '--build-arg',
      'A=1',
      '--label',
      'l=v',
      '--platform',
      'linux/arm64',
      '--target',
      'final',
      '--tag',
      '127.0.0.1:5000/acme/app:v1',
      'ctx',
    ]);
    assert.deepEqual(buildahPushArgs(req, settings, '/t/digest'), [
      '--root',
      '/r',
      '--runroot',
      '/rr',
      '--storage-driver',
      'vfs',
      'push',
      '--digestfile',
      '/t/digest',
      '--tls-verify=false',
      '127.0.0.1:5000/acme/app:v1',
      'docker://127.0.0.1:5000/acme/app:v1',
    ]);
    // A public registry is verified over TLS; one named insecure is not.
    const ghcr = request(['ghcr.io/acme/app:v1']);
    assert.ok(!buildahPushArgs(ghcr, {}, 'd').includes('--tls-verify=false'));
    assert.deepEqual(buildahPushArgs(ghcr, {}, 'd', 'a.json'), [
      'push',
      '--digestfile',
      'd',
      '--authfile',
      'a.json',
      'ghcr.io/acme/app:v1',
      'docker://ghcr.io/acme/app:v1',
    ]);
    const internal = request(['registry.internal:5000/app:v1']);
    assert.ok(
      buildahPushArgs(internal, { insecureRegistries: ['registry.internal:5000'] }, 'd').includes(
        '--tls-verify=false',
      ),
    );
    // Defaults: nothing of ours but bud, the tag and the context.
    assert.deepEqual(buildahBudArgs(ghcr, {}), ['bud', '--tag', 'ghcr.io/acme/app:v1', '.']);
  });

  it('builds several platforms into a manifest list and pushes it with manifest push --all', () => {
    const req = request(['ghcr.io/acme/app:v1'], { platforms: ['linux/amd64', 'linux/arm64'] });
    const bud = buildahBudArgs(req, {});
    assert.deepEqual(bud.slice(-5), [
      '--platform',
      'linux/amd64,linux/arm64',
      '--manifest',
      'ghcr.io/acme/app:v1',
      '.',
    ]);
    assert.ok(!bud.includes('--tag'));
    assert.deepEqual(buildahPushArgs(req, {}, 'd'), [
      'manifest',
      'push',
      '--all',
      '--digestfile',
      'd',
      'ghcr.io/acme/app:v1',
      'docker://ghcr.io/acme/app:v1',
    ]);
  });

  it('writes credentials to a 0600 auth file, never into the arguments', async () => {
    assert.deepEqual(JSON.parse(authFileContent('ghcr.io', { username: 'u', password: 'p:w' })), {
      auths: { 'ghcr.io': { auth: Buffer.from('u:p:w').toString('base64') } },
    });
    const dir = mkdtempSync(join(tmpdir(), 'buildah-unit-'));
    try {
      const seen: Array<{ args: readonly string[]; authMode: number | undefined; auth: string }> = [];
      const result = await buildWithBuildah(request(['ghcr.io/acme/app:v1']), {
        tempDir: dir,
        credential: { username: 'octocat', password: 'ghs_topsecret' },
        exec: async (req) => {
          const authFile = req.args[req.args.indexOf('--authfile') + 1]!;
          const digestAt = req.args.indexOf('--digestfile');
          if (digestAt >= 0) writeFileSync(req.args[digestAt + 1]!, `${DIGEST}\n`);
          seen.push({
            args: req.args,
            authMode: statSync(authFile).mode & 0o777,
            auth: await readFile(authFile, 'utf8'),
          });
          return { exitCode: 0, stdout: '', stderr: '' };
        },
      });
      assert.deepEqual(result, { digest: DIGEST, name: 'ghcr.io/acme/app', tags: ['ghcr.io/acme/app:v1'] });
      assert.equal(seen.length, 2);
      for (const s of seen) {
        assert.equal(s.authMode, 0o600);
        assert.match(s.auth, /"ghcr\.io"/);
        assert.ok(!commandLine('buildah', s.args).includes('ghs_topsecret'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the digest file, refusing anything but a sha256 digest', () => {
    assert.equal(parseDigestFile(`${DIGEST}\n`), DIGEST);
    for (const text of ['', '\n', 'sha256:xyz', `${DIGEST} extra`])
      assert.throws(() => parseDigestFile(text), code('DIGEST_INVALID'));
  });

  it('quotes command lines for logs as a shell reads them', () => {
    assert.equal(
      commandLine('buildah', ['bud', '--build-arg', "NOTE=it's here", '--label', 'a=b', '.']),
      `buildah bud --build-arg 'NOTE=it'\\''s here' --label a=b .`,
    );
  });
});
