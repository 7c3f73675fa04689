/**
 * One `builder: assemble` run as build-sign makes it, in its own process so its peak memory can be
 * read: the directory `<context>/app` as one new layer at `/app` on `<base>` (a registry image),
 * pushed to `<target>` tagged v1, source date epoch 0, owner 0:0. Prints one JSON line: the
 * library call's time, the image digest, the new layer's digests and sizes, and
 * `process.resourceUsage().maxRSS`.
 *
 *   node bench/assemble/ours.ts <context> <registry host> <base repository:tag> <target repository>
 */
import { assemble, parseFiles } from '@release-actions/shared/build';
import { RegistryClient } from '@release-actions/shared/oci';

const [context, host, base, target] = process.argv.slice(2);
if (!context || !host || !base || !target)
  throw new Error(
    'usage: node bench/assemble/ours.ts <context> <host> <base repository:tag> <target repository>',
  );
const [baseRepository, baseTag] = base.split(':') as [string, string];

const client = new RegistryClient();
try {
  const start = performance.now();
  const result = await assemble({
    context,
    base: {
      store: client.repository({ registry: host, repository: baseRepository }),
      reference: baseTag,
      name: `${host}/${base}`,
    },
    files: parseFiles('app=/app'),
    config: { env: [], labels: [], exposedPorts: [] },
    platforms: [],
    owner: { uid: 0, gid: 0 },
    sourceDateEpoch: 0,
    target: client.repository({ registry: host, repository: target }),
    tags: ['v1'],
  });
  const ms = performance.now() - start;
  const layer = result.layers[0]!;
  console.log(
    JSON.stringify({
      ms,
      digest: result.digest,
      layerDigest: layer.digest,
      layerSize: layer.size,
      diffId: layer.diffId,
      tarSize: layer.uncompressedSize,
      entries: layer.entries,
      maxRssKb: process.resourceUsage().maxRSS,
    }),
  );
} finally {
  await client.http.close();
}
