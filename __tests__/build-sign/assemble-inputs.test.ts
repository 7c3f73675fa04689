/**
 * build-sign's inputs for builder assemble, from `INPUT_*` as the runner sets them: what they
 * become, and every bad one refused at once before anything runs, naming the input (and the
 * library's code where there is one).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { getInputs } from '../../actions/build-sign/src/context.ts';
import { inputProblems, setInputs } from '../inputs.ts';

let context: string;

beforeAll(() => {
  context = mkdtempSync(join(tmpdir(), 'assemble-inputs-'));
  mkdirSync(join(context, 'dist'));
  writeFileSync(join(context, 'dist', 'server.js'), 'x');
});
afterAll(() => rmSync(context, { recursive: true, force: true }));

const base = () => ({
  builder: 'assemble',
  context,
  files: 'dist=/app',
  tags: 'localhost:5000/acme/app:v1',
});
const problems = (inputs: Record<string, string>) =>
  inputProblems(getInputs, inputs).map((p) => `${p.input}${p.code ? ` [${p.code}]` : ''}: ${p.message}`);
const names = (inputs: Record<string, string>) => problems(inputs).map((p) => p.split(':')[0]);

describe('build-sign inputs, builder assemble', () => {
  afterEach(() => {
    setInputs({});
    delete process.env.SOURCE_DATE_EPOCH;
  });

  it('reads the base, files, config and epoch', () => {
    setInputs({
      ...base(),
      'base-image': 'docker.io/library/node:22-slim',
      files: 'dist=/app\ndist/server.js=/srv/',
      entrypoint: '["node","/app/server.js"]',
      cmd: '--port\n8080',
      env: 'NODE_ENV=production\nA=b=c',
      workdir: '/app',
      user: '65532:65532',
      'exposed-ports': '8080, 9090/udp',
      'file-owner': '65532:65532',
      'source-date-epoch': '1700000000',
      labels: 'org.opencontainers.image.source=https://github.com/acme/app',
      platforms: 'linux/amd64,linux/arm64',
    });
    const inputs = getInputs();
    assert.equal(inputs.builder, 'assemble');
    assert.equal(inputs.context, context);
    assert.deepEqual(
      { ...inputs['base-image'] },
      {
        kind: 'registry',
        registry: 'docker.io',
        repository: 'library/node',
        tag: '22-slim',
      },
    );
    assert.deepEqual(
      inputs.files.map((f) => ({ ...f })),
      [
        { source: 'dist', destination: '/app' },
        { source: 'dist/server.js', destination: '/srv/' },
      ],
    );
    assert.deepEqual(inputs.entrypoint, ['node', '/app/server.js']);
    assert.deepEqual(inputs.cmd, ['--port', '8080']);
    assert.deepEqual(inputs.env, [
      ['NODE_ENV', 'production'],
      ['A', 'b=c'],
    ]);
    assert.equal(inputs.workdir, '/app');
    assert.equal(inputs.user, '65532:65532');
    assert.deepEqual(inputs['exposed-ports'], ['8080/tcp', '9090/udp']);
    assert.deepEqual({ ...inputs['file-owner'] }, { uid: 65532, gid: 65532 });
    assert.equal(inputs['source-date-epoch'], 1_700_000_000);
    assert.deepEqual(
      inputs.tags.map((t) => `${t.registry}/${t.repository}:${t.tag}`),
      ['localhost:5000/acme/app:v1'],
    );
    assert.equal(inputs.layoutTarget, undefined);
  });

  it('defaults: scratch, owner 0:0, the epoch left to SOURCE_DATE_EPOCH or git', () => {
    setInputs({ ...base(), 'base-image': 'scratch', 'file-owner': '0:0' });
    const inputs = getInputs();
    assert.equal(inputs['base-image'], undefined);
    assert.deepEqual({ ...inputs['file-owner'] }, { uid: 0, gid: 0 });
    assert.equal(inputs['source-date-epoch'], undefined);
    assert.equal(inputs.entrypoint, undefined);
  });

  it('writes into an OCI layout: oci-layout:<dir>:<tag> tags, or bare tags with image oci-layout:<dir>', () => {
    setInputs({ ...base(), tags: 'oci-layout:out/app:v1\noci-layout:out/app:latest' });
    assert.deepEqual({ ...getInputs().layoutTarget }, { path: 'out/app', tags: ['v1', 'latest'] });
    setInputs({ ...base(), image: 'oci-layout:out/app', tags: 'v1,latest' });
    const inputs = getInputs();
    assert.deepEqual({ ...inputs.layoutTarget }, { path: 'out/app', tags: ['v1', 'latest'] });
    assert.deepEqual(inputs.tags, []);
  });

  it('refuses tags that name two targets, or a layout without a tag', () => {
    assert.match(
      problems({ ...base(), tags: 'oci-layout:out:v1\nlocalhost:5000/acme/app:v1' })[0]!,
      /^tags: "localhost:5000\/acme\/app:v1" is not in the OCI layout the other tags name: every tag must name one target/,
    );
    assert.match(
      problems({ ...base(), tags: 'oci-layout:one:v1\noci-layout:two:v1' })[0]!,
      /^tags: "oci-layout:two:v1" is not in the layout one/,
    );
    assert.match(problems({ ...base(), tags: 'oci-layout:out' })[0]!, /^tags: "oci-layout:out" names no tag/);
    // Other builders push to registries only.
    assert.match(
      problems({ builder: 'buildah', tags: 'oci-layout:out:v1' })[0]!,
      /^tags: "oci-layout:out:v1" is an OCI layout: builder buildah pushes to a registry; builder assemble/,
    );
  });

  it('refuses bad assemble inputs, each with its code, all at once', () => {
    const found = problems({
      ...base(),
      'base-image': 'docker.io/Library/Node',
      files: 'dist=app',
      entrypoint: 'node server.js',
      cmd: '["a", 1]',
      env: 'NODE ENV=x',
      workdir: 'app',
      user: 'a b',
      'exposed-ports': '8080/icmp',
      'file-owner': 'root',
      'source-date-epoch': 'yesterday',
    });
    assert.deepEqual(
      found.map((p) => p.split(':')[0]),
      [
        'base-image [INVALID_REFERENCE]',
        'files [FILES_INVALID]',
        'entrypoint [ARGS_INVALID]',
        'cmd [ARGS_INVALID]',
        'env [ENV_INVALID]',
        'workdir [CONFIG_INVALID]',
        'user [CONFIG_INVALID]',
        'exposed-ports [PORT_INVALID]',
        'file-owner [OWNER_INVALID]',
        'source-date-epoch [EPOCH_INVALID]',
      ],
    );
    assert.match(found[1]!, /destination "app" is not absolute/);
    assert.match(found[2]!, /"node server.js" is one line holding spaces.*JSON array of strings/);
  });

  it('refuses a missing source, a context that is no directory, and scratch without files', () => {
    assert.deepEqual(problems({ ...base(), files: 'dist=/app\nbuild/out=/srv' }), [
      `files [SOURCE_MISSING]: "build/out" is not in the context ${context}: build it first, or fix the path (sources are relative to context)`,
    ]);
    assert.deepEqual(names({ ...base(), context: join(context, 'nowhere') }), ['context']);
    assert.match(
      problems({ ...base(), files: '' })[0]!,
      /^files: is required with builder assemble from scratch/,
    );
    // With a base image, a config-only image is fine.
    setInputs({ ...base(), files: '', 'base-image': 'localhost:5000/base:1', env: 'A=1' });
    assert.deepEqual(getInputs().files, []);
  });

  it('refuses SOURCE_DATE_EPOCH from the environment when it is not whole seconds, unless the input is set', () => {
    process.env.SOURCE_DATE_EPOCH = '2024-01-01';
    assert.match(
      problems(base())[0]!,
      /^source-date-epoch \[EPOCH_INVALID\]: the environment variable SOURCE_DATE_EPOCH holds "2024-01-01"/,
    );
    setInputs({ ...base(), 'source-date-epoch': '5' });
    assert.equal(getInputs()['source-date-epoch'], 5);
  });

  it('refuses Dockerfile inputs with assemble, and assemble inputs with the other builders', () => {
    assert.deepEqual(
      names({
        ...base(),
        file: 'Dockerfile',
        'build-args': 'A=1',
        target: 'prod',
        'buildah-isolation': 'chroot',
        'buildah-storage-driver': 'vfs',
      }).sort(),
      ['build-args', 'buildah-isolation', 'buildah-storage-driver', 'file', 'target'],
    );
    assert.match(
      problems({ ...base(), file: 'Dockerfile' })[0]!,
      /^file: applies to a Dockerfile build \(buildx, buildah\): builder assemble takes no Dockerfile/,
    );
    const assembleOnly = {
      'base-image': 'node:22',
      files: 'dist=/app',
      entrypoint: 'node',
      cmd: 'x',
      env: 'A=1',
      workdir: '/app',
      user: 'node',
      'exposed-ports': '80',
      'file-owner': '1:1',
      'source-date-epoch': '0',
    };
    for (const builder of ['buildx', 'buildah'])
      assert.deepEqual(
        names({ builder, tags: 'localhost:5000/acme/app:v1', ...assembleOnly }),
        Object.keys(assembleOnly),
      );
    assert.match(
      problems({ builder: 'buildx', tags: 'localhost:5000/acme/app:v1', files: 'dist=/app' })[0]!,
      /^files: applies to builder assemble only: remove it, or set builder: assemble/,
    );
    // Their action.yml defaults are no setting.
    setInputs({
      builder: 'buildx',
      tags: 'localhost:5000/acme/app:v1',
      'base-image': 'scratch',
      'file-owner': '0:0',
    });
    assert.equal(getInputs().builder, 'buildx');
    assert.deepEqual(
      names({
        builder: 'none',
        image: `localhost:5000/acme/app@sha256:${'a'.repeat(64)}`,
        files: 'dist=/app',
      }),
      ['files'],
    );
  });

  it('takes a registry login for the base image when writing into a layout, and refuses one with nothing to log in to', () => {
    setInputs({
      ...base(),
      'base-image': 'registry.example/base:1',
      tags: 'oci-layout:out:v1',
      username: 'u',
      password: 'p',
    });
    assert.equal(getInputs().username, 'u');
    assert.deepEqual(names({ ...base(), tags: 'oci-layout:out:v1', username: 'u', password: 'p' }), [
      'username',
      'password',
    ]);
  });
});
