import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  digestOf,
  formatPlatform,
  MediaType,
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
    for (const bad of ['linux', 'linux/', 'a/b/c/d', 'linux amd64']) {
      assert.throws(
        () => parsePlatform(bad),
        (err: unknown) => err instanceof OciError && err.message.includes(`"${bad}"`),
      );
    }
    assert.equal(formatPlatform(parsePlatform('linux/arm/v7')), 'linux/arm/v7');
  });

  it('matches a platform without variant to any variant, and a variant exactly', () => {
    const arm64v8 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    assert.equal(platformMatches(arm64v8, [parsePlatform('linux/arm64')]), true);
    assert.equal(platformMatches(arm64v8, [parsePlatform('linux/arm64/v7')]), false);
    assert.equal(platformMatches(undefined, [parsePlatform('linux/amd64')]), false);
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
      /it has linux\/amd64, linux\/arm64\/v8, linux\/s390x/,
    );
  });
});
