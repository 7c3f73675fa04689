import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  digestOf,
  formatPlatform,
  MediaType,
  normalizePlatform,
  OciError,
  parseManifest,
  parsePlatform,
  platformMatches,
  restrictIndex,
} from '@release-actions/shared/oci';

const d = (n: number) => `sha256:${String(n).repeat(64)}`;
function indexData(platforms: string[]) {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: platforms.map((p, i) => ({
        mediaType: MediaType.OciManifest,
        digest: d(i + 1),
        size: 10,
        platform: parsePlatform(p),
      })),
      annotations: { 'org.opencontainers.image.source': 'https://example.com/app' },
    }),
  );
  return {
    bytes,
    descriptor: { mediaType: MediaType.OciIndex, digest: digestOf(bytes), size: bytes.length },
    manifest: parseManifest(bytes).manifest,
  };
}

describe('platforms', () => {
  it('parses os/arch[/variant] and refuses anything else by name', () => {
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    for (const bad of ['linux', 'linux/', 'a/b/c/d', 'linux amd64', '', '/amd64']) {
      assert.throws(
        () => parsePlatform(bad),
        (err: unknown) =>
          err instanceof OciError && err.code === 'INVALID_PLATFORM' && err.message.includes(`"${bad}"`),
      );
    }
  });

  it('formats what it parsed exactly as written, and an unknown part as unknown', () => {
    for (const text of ['linux/arm/v7', 'linux/arm64/v8', 'linux/arm64', 'Linux/AMD64', 'windows/amd64'])
      assert.equal(formatPlatform(parsePlatform(text)), text);
    assert.equal(formatPlatform({ os: 'linux' }), 'linux/unknown');
    assert.equal(formatPlatform({}), 'unknown/unknown');
  });

  it("normalises as containerd does: aliases, case, and each architecture's default variant", () => {
    const norm = (text: string) => formatPlatform(normalizePlatform(parsePlatform(text)));
    assert.equal(norm('linux/arm64/v8'), 'linux/arm64');
    assert.equal(norm('linux/aarch64'), 'linux/arm64');
    assert.equal(norm('linux/arm64/8'), 'linux/arm64');
    assert.equal(norm('linux/arm64/9.0'), 'linux/arm64/v9');
    assert.equal(norm('Linux/X86_64'), 'linux/amd64');
    assert.equal(norm('linux/amd64/v1'), 'linux/amd64');
    assert.equal(norm('linux/amd64/v3'), 'linux/amd64/v3');
    assert.equal(norm('linux/arm'), 'linux/arm/v7');
    assert.equal(norm('linux/armhf'), 'linux/arm/v7');
    assert.equal(norm('linux/armel'), 'linux/arm/v6');
    assert.equal(norm('linux/arm/6'), 'linux/arm/v6');
    assert.equal(norm('linux/i386'), 'linux/386');
    assert.equal(norm('macos/arm64'), 'darwin/arm64');
  });

  it('matches arm64 without a variant and arm64/v8 both ways', () => {
    const arm64 = { os: 'linux', architecture: 'arm64' };
    const arm64v8 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    // An image index entry without variant, asked for as linux/arm64/v8 (what docker buildx writes
    // for some builders, and what users copy from `docker inspect`).
    assert.equal(platformMatches(arm64, [parsePlatform('linux/arm64/v8')]), true);
    assert.equal(platformMatches(arm64v8, [parsePlatform('linux/arm64')]), true);
    assert.equal(platformMatches(arm64v8, [parsePlatform('linux/aarch64')]), true);
    assert.equal(platformMatches(arm64, parsePlatform('linux/arm64/v8')), true);
    assert.equal(
      platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v9' }, [
        parsePlatform('linux/arm64/v8'),
      ]),
      false,
    );
  });

  it('matches a platform without variant to any variant, and a variant exactly once normalised', () => {
    const arm64v8 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    assert.equal(platformMatches(arm64v8, [parsePlatform('linux/arm64')]), true);
    assert.equal(platformMatches(arm64v8, [parsePlatform('linux/arm64/v7')]), false);
    const armv6 = { os: 'linux', architecture: 'arm', variant: 'v6' };
    assert.equal(platformMatches(armv6, [parsePlatform('linux/arm')]), true);
    assert.equal(platformMatches(armv6, [parsePlatform('linux/arm/v7')]), false);
    assert.equal(
      platformMatches({ os: 'linux', architecture: 'arm' }, [parsePlatform('linux/arm/v7')]),
      true,
    );
    assert.equal(
      platformMatches({ os: 'linux', architecture: 'amd64' }, [parsePlatform('windows/amd64')]),
      false,
    );
    assert.equal(platformMatches(undefined, [parsePlatform('linux/amd64')]), false);
    assert.equal(platformMatches({ os: 'linux' }, [parsePlatform('linux/amd64')]), false);
  });

  it('restricts an index to new bytes, keeping other fields, and keeps it whole when all are wanted', () => {
    const data = indexData(['linux/amd64', 'linux/arm64/v8', 'linux/s390x']);
    const restricted = restrictIndex(data, [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')]);
    assert.notEqual(restricted.descriptor.digest, data.descriptor.digest);
    assert.equal(restricted.descriptor.digest, digestOf(restricted.bytes));
    const doc = JSON.parse(restricted.bytes.toString());
    assert.deepEqual(
      doc.manifests.map((m: { digest: string }) => m.digest),
      [d(1), d(2)],
    );
    assert.deepEqual(doc.annotations, { 'org.opencontainers.image.source': 'https://example.com/app' });
    assert.equal(restrictIndex(data, ['linux/amd64', 'linux/arm64', 'linux/s390x'].map(parsePlatform)), data);
    assert.throws(
      () => restrictIndex(data, [parsePlatform('windows/amd64')]),
      (err: unknown) =>
        err instanceof OciError &&
        err.code === 'PLATFORM_NOT_FOUND' &&
        /it has linux\/amd64, linux\/arm64\/v8, linux\/s390x/.test(err.message),
    );
  });

  it('restricts an index whose arm64 entry has no variant to linux/arm64/v8', () => {
    const data = indexData(['linux/amd64', 'linux/arm64']);
    const restricted = restrictIndex(data, [parsePlatform('linux/arm64/v8')]);
    assert.deepEqual(
      JSON.parse(restricted.bytes.toString()).manifests.map((m: { digest: string }) => m.digest),
      [d(2)],
    );
  });
});
