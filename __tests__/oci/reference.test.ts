import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  formatReference,
  isInsecureRegistry,
  nameWithReference,
  OciError,
  parseReference,
  registryApiHost,
  withDigest,
} from '@release-actions/shared/oci';

const D = `sha256:${'a'.repeat(64)}`;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OciError, `expected OciError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected an error');
}

describe('parseReference', () => {
  const cases: Array<[string, object]> = [
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['index.docker.io/user/app:1', { registry: 'docker.io', repository: 'user/app', tag: '1' }],
    ['user/app', { registry: 'docker.io', repository: 'user/app' }],
    ['ghcr.io/org/team/app:v1.2.3', { registry: 'ghcr.io', repository: 'org/team/app', tag: 'v1.2.3' }],
    ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app' }],
    ['localhost/app:x', { registry: 'localhost', repository: 'app', tag: 'x' }],
    ['127.0.0.1:5000/a/b:t@' + D, { registry: '127.0.0.1:5000', repository: 'a/b', tag: 't', digest: D }],
    ['[::1]:5000/app@' + D, { registry: '[::1]:5000', repository: 'app', digest: D }],
    ['Registry.Example.com/app', { registry: 'Registry.Example.com', repository: 'app' }],
    ['example.com/a__b/c-d/e.f/g--h', { registry: 'example.com', repository: 'a__b/c-d/e.f/g--h' }],
  ];
  for (const [input, expected] of cases) {
    it(`parses ${input}`, () => {
      assert.deepEqual(parseReference(input), { kind: 'registry', ...expected });
    });
  }

  it('treats an uppercase first component as a registry host, as docker does', () => {
    assert.deepEqual(parseReference('Foo/bar'), { kind: 'registry', registry: 'Foo', repository: 'bar' });
  });

  it('parses oci-layout references with tag or digest', () => {
    assert.deepEqual(parseReference('oci-layout:./out'), { kind: 'oci-layout', path: './out' });
    assert.deepEqual(parseReference('oci-layout:/tmp/img:v1'), {
      kind: 'oci-layout',
      path: '/tmp/img',
      tag: 'v1',
    });
    assert.deepEqual(parseReference(`oci-layout:dir@${D}`), { kind: 'oci-layout', path: 'dir', digest: D });
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['UPPER', /lowercase/],
    ['docker.io/Library/alpine', /lowercase/],
    ['app:-bad', /tag "-bad"/],
    ['app:' + 'x'.repeat(129), /tag/],
    ['app@sha256:abc', /digest "sha256:abc"/],
    ['app@md5:' + 'a'.repeat(32), /digest/],
    ['example.com/a//b', /empty path component/],
    ['example.com/a_-b', /path component "a_-b"/],
    ['exa_mple.com:5000/app', /registry "exa_mple.com:5000"/],
    ['has space/app', /white space/],
    ['oci-layout:', /layout directory is missing/],
    ['example.com/' + 'a'.repeat(250), /at most 255/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))} naming the offending part`, () => {
      assert.equal(
        code(() => parseReference(input)),
        'INVALID_REFERENCE',
      );
      assert.throws(() => parseReference(input), message);
    });
  }
});

describe('formatReference and helpers', () => {
  it('round-trips canonical references', () => {
    for (const text of [
      'docker.io/library/alpine:3',
      `localhost:5000/a/b:t@${D}`,
      'oci-layout:out:v1',
      `oci-layout:out@${D}`,
    ]) {
      assert.equal(formatReference(parseReference(text)), text);
    }
  });

  it('pins a reference to a digest and drops its tag', () => {
    assert.equal(
      formatReference(withDigest(parseReference('ghcr.io/o/app:latest'), D)),
      `ghcr.io/o/app@${D}`,
    );
  });

  it('writes a digest after @ and a tag after :', () => {
    assert.equal(nameWithReference('ghcr.io/o/app', D), `ghcr.io/o/app@${D}`);
    assert.equal(nameWithReference('ghcr.io/o/app', 'v1'), 'ghcr.io/o/app:v1');
    assert.equal(nameWithReference('oci-layout:out', D), `oci-layout:out@${D}`);
  });

  it('speaks to Docker Hub through registry-1.docker.io', () => {
    assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryApiHost('ghcr.io'), 'ghcr.io');
  });

  it('uses plain HTTP only for loopback registries and listed insecure ones', () => {
    assert.equal(isInsecureRegistry('localhost:5000'), true);
    assert.equal(isInsecureRegistry('127.0.0.1:41234'), true);
    assert.equal(isInsecureRegistry('127.10.0.3'), true);
    assert.equal(isInsecureRegistry('[::1]:5000'), true);
    assert.equal(isInsecureRegistry('ghcr.io'), false);
    assert.equal(isInsecureRegistry('localhost.example.com'), false);
    assert.equal(isInsecureRegistry('registry.internal:5000', ['registry.internal:5000']), true);
  });
});
