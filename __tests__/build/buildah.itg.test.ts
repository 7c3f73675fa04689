/**
 * builder buildah for real: `buildah bud` (vfs storage, chroot isolation, a RUN step executed by a
 * static busybox) and `buildah push --digestfile` to a loopback docker-registry, then the pushed
 * digest signed by key with the signing core. What the registry holds is checked with our client
 * and plain Node crypto; the bundle with @sigstore/verify.
 */
import assert from 'node:assert/strict';
import { createPublicKey, createVerify } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { bundleFromJSON } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import tar from 'tar-stream';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import {
  BuildError,
  buildWithBuildah,
  commandLine,
  resolveImage,
  spawnExec,
  tagDigest,
  type BuildRequest,
  type ExecFn,
} from '@release-actions/shared/build';
import { CredentialResolver, parseRegistryReference, RegistryClient } from '@release-actions/shared/oci';
import {
  COSIGN_SIGN_PREDICATE_TYPE,
  COSIGN_SIMPLE_SIGNING_MEDIA_TYPE,
  CosignAnnotation,
  createKeySigner,
  findBundleReferrers,
  generateKeyPair,
  readCosignImage,
  signImage,
  SLSA_PROVENANCE_V1,
  type GeneratedKeyPair,
  type GitHubBuildContext,
} from '@release-actions/shared/sign';
import { startRegistry, type TestRegistry } from '@release-actions/shared/testing';
import { readAll } from '../images.ts';
import { buildahSandbox, requireBuildahTools, tinyContext, type BuildahSandbox } from './buildah-env.ts';

const EMPTY_ROOT: TrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

const CONTEXT: GitHubBuildContext = {
  serverUrl: 'https://github.com',
  repository: 'acme/app',
  workflowRef: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  ref: 'refs/heads/main',
  sha: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
  eventName: 'push',
  runId: '42',
  runAttempt: '1',
};

/** Every command run, for assertions on what was (and was not) on a command line. */
function recording(exec: ExecFn): { exec: ExecFn; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    exec: (request) => {
      lines.push(commandLine(request.command, request.args));
      return exec(request);
    },
  };
}

/** The files of a gzipped tar layer, path → content. */
async function layerFiles(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      files.set(header.name.replace(/^\.?\//, ''), Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from(bytes).pipe(createGunzip()).pipe(extract);
  await done;
  return files;
}

function plainVerify(publicKeyPem: string, payload: Buffer, b64sig: string): boolean {
  const verifier = createVerify('sha256');
  verifier.update(payload);
  return verifier.verify(createPublicKey(publicKeyPem), Buffer.from(b64sig, 'base64'));
}

describe('builder buildah against docker-registry, signed by key', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let sandbox: BuildahSandbox;
  let key: GeneratedKeyPair;

  beforeAll(async () => {
    requireBuildahTools();
    registry = await startRegistry();
    sandbox = buildahSandbox();
    client = new RegistryClient({ http: new HttpClient({ retry: immediateRetryPolicy(2) }) });
    key = await generateKeyPair('build-sign test', { scryptN: 32768 });
  });
  afterAll(async () => {
    await client?.http.close();
    await registry?.stop();
    sandbox?.remove();
  });

  function request(repository: string, tags: string[], extra: Partial<BuildRequest> = {}): BuildRequest {
    return {
      context: tinyContext(sandbox.dir),
      buildArgs: [['GREETING', 'hi from RUN']],
      labels: [['org.opencontainers.image.source', 'https://github.com/acme/app']],
      tags: tags.map((t) => parseRegistryReference(`${registry.host}/${repository}:${t}`)),
      platforms: [],
      ...extra,
    };
  }

  it('builds a RUN step, pushes with --digestfile, and signs the digest: .sig in cosign layout, bundle verifies', async () => {
    const { exec, lines } = recording(spawnExec());
    const built = await buildWithBuildah(request('acme/app', ['v1', 'sha-c27d339']), {
      ...sandbox.settings,
      exec,
    });
    assert.match(built.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(built.name, `${registry.host}/acme/app`);
    assert.deepEqual(built.tags, [`${registry.host}/acme/app:v1`]);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, / bud --isolation chroot /);
    assert.match(lines[1]!, / push --digestfile \S+ --tls-verify=false /);

    // The registry holds exactly that digest under the tag; the RUN step ran with the build argument.
    const ref = { registry: registry.host, repository: 'acme/app' };
    const store = client.repository(ref);
    assert.equal((await store.resolve('v1'))?.digest, built.digest);
    const { manifest } = await store.getManifest(built.digest);
    assert.ok('layers' in manifest && 'config' in manifest);
    const config = JSON.parse((await readAll(await store.getBlob(manifest.config))).toString());
    assert.equal(config.config.Labels['org.opencontainers.image.source'], 'https://github.com/acme/app');
    const files = new Map<string, Buffer>();
    for (const layer of manifest.layers)
      for (const [path, data] of await layerFiles(await readAll(await store.getBlob(layer))))
        files.set(path, data);
    assert.equal(files.get('greeting.txt')?.toString(), 'hi from RUN\n');
    assert.equal(files.get('hello.txt')?.toString(), 'hello from the context\n');

    // Further tags name the same digest.
    assert.deepEqual(await tagDigest(store, built.digest, ['sha-c27d339']), ['sha-c27d339']);
    assert.equal((await store.resolve('sha-c27d339'))?.digest, built.digest);

    // Signed by key, both formats, with provenance.
    const result = await signImage({
      store,
      image: ref,
      digest: built.digest,
      signer: createKeySigner(key.key),
      format: 'both',
      provenance: { context: CONTEXT },
    });
    assert.equal(result.identity?.kind, 'key');

    // .sig: cosign's layout, verified with plain Node crypto from the PEM.
    const sigTag = `sha256-${built.digest.slice(7)}.sig`;
    assert.equal(result.signature.legacy?.location, `${registry.host}/acme/app:${sigTag}`);
    const sigManifest = JSON.parse((await store.getManifest(sigTag)).bytes.toString());
    assert.equal(sigManifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(sigManifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    assert.equal(sigManifest.layers.length, 1);
    assert.equal(sigManifest.layers[0].mediaType, COSIGN_SIMPLE_SIGNING_MEDIA_TYPE);
    assert.deepEqual(Object.keys(sigManifest.layers[0].annotations), [CosignAnnotation.Signature]);
    const payload = await readAll(await store.getBlob(sigManifest.layers[0]));
    assert.equal(
      payload.toString(),
      `{"critical":{"identity":{"docker-reference":"${registry.host}/acme/app"},"image":{"docker-manifest-digest":"${built.digest}"},"type":"cosign container image signature"},"optional":null}`,
    );
    const signature = sigManifest.layers[0].annotations[CosignAnnotation.Signature] as string;
    assert.ok(plainVerify(key.publicKeyPem, payload, signature));
    // Tampered: another digest in the payload, or a flipped signature byte, no longer verifies.
    const forgedPayload = Buffer.from(payload.toString().replace(built.digest.slice(7, 15), '00000000'));
    assert.equal(plainVerify(key.publicKeyPem, forgedPayload, signature), false);
    const sigBytes = Buffer.from(signature, 'base64');
    sigBytes[sigBytes.length - 1]! ^= 0x01;
    assert.equal(plainVerify(key.publicKeyPem, payload, sigBytes.toString('base64')), false);
    const sigImage = await readCosignImage(store, built.digest, 'sig');
    assert.equal(sigImage?.layers.length, 1);

    // Bundles: found as referrers of the digest, verified by @sigstore/verify from the key alone.
    const publicKey = createPublicKey(key.publicKeyPem);
    const verifier = new Verifier(
      toTrustMaterial(EMPTY_ROOT, () => ({ publicKey, validFor: () => true })),
      {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
      },
    );
    const stored = await findBundleReferrers(store, built.digest);
    assert.deepEqual(
      stored.map((s) => s.predicateType).sort(),
      [COSIGN_SIGN_PREDICATE_TYPE, SLSA_PROVENANCE_V1].sort(),
    );
    for (const s of stored) verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(s.bytes.toString()))));
    const provenance = stored.find((s) => s.predicateType === SLSA_PROVENANCE_V1)!;
    const json = JSON.parse(provenance.bytes.toString());
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString());
    assert.deepEqual(statement.subject, [
      { name: `${registry.host}/acme/app`, digest: { sha256: built.digest.slice(7) } },
    ]);
    // Tampered: a statement about another digest, or a changed signature, fails verification.
    const forged = structuredClone(json);
    forged.dsseEnvelope.payload = Buffer.from(
      JSON.stringify({ ...statement, subject: [{ digest: { sha256: '0'.repeat(64) } }] }),
    ).toString('base64');
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(forged))));
    const flipped = structuredClone(json);
    const raw = Buffer.from(flipped.dsseEnvelope.signatures[0].sig, 'base64');
    raw[raw.length - 1]! ^= 0x01;
    flipped.dsseEnvelope.signatures[0].sig = raw.toString('base64');
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(flipped))));

    // builder none resolves the tag to the same digest.
    assert.deepEqual(await resolveImage(store, { tag: 'v1' }), {
      digest: built.digest,
      resolvedFrom: 'v1',
      mediaType: sigManifest.mediaType,
    });
    await assert.rejects(
      resolveImage(store, { tag: 'nope' }),
      (err: unknown) => err instanceof BuildError && err.code === 'IMAGE_NOT_FOUND',
    );
  });

  it('pushes to a registry with basic auth through a 0600 auth file, never a password on the command line', async () => {
    const secured = await startRegistry({ auth: { kind: 'basic', username: 'ci', password: 's3cret-pw' } });
    try {
      const req = {
        ...request('private/app', ['v1']),
        tags: [parseRegistryReference(`${secured.host}/private/app:v1`)],
      };
      // Without credentials the push is refused.
      await assert.rejects(
        buildWithBuildah(req, { ...sandbox.settings, exec: spawnExec() }),
        (err: unknown) => err instanceof BuildError && err.code === 'PUSH_FAILED',
      );
      const { exec, lines } = recording(spawnExec());
      const built = await buildWithBuildah(req, {
        ...sandbox.settings,
        exec,
        credential: { username: 'ci', password: 's3cret-pw' },
      });
      assert.ok(
        lines.every((l) => !l.includes('s3cret-pw') && !l.includes('--creds')),
        lines.join('\n'),
      );
      assert.match(lines[1]!, /--authfile \S+\/auth\.json/);
      const authed = new RegistryClient({
        http: new HttpClient({ retry: immediateRetryPolicy(2) }),
        credentials: new CredentialResolver({
          explicit: [{ registry: secured.host, username: 'ci', password: 's3cret-pw' }],
          env: {},
        }),
      });
      try {
        const resolved = await authed
          .repository({ registry: secured.host, repository: 'private/app' })
          .resolve('v1');
        assert.equal(resolved?.digest, built.digest);
      } finally {
        await authed.http.close();
      }
    } finally {
      await secured.stop();
    }
  });

  it('reports a failing build as BUILD_FAILED with buildah’s own message', async () => {
    const req = request('acme/broken', ['v1']);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${req.context}/Dockerfile`, 'FROM scratch\nCOPY missing-file /x\n');
    await assert.rejects(
      buildWithBuildah(req, { ...sandbox.settings, exec: spawnExec() }),
      (err: unknown) =>
        err instanceof BuildError && err.code === 'BUILD_FAILED' && /missing-file/.test(err.message),
    );
  });
});
