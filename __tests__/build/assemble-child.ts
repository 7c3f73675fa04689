/**
 * One build of assemble's reproducibility test (assemble.itg.test.ts), run as a child process in
 * the environment under test (its umask, locale and time zone): it makes the source files itself,
 * in the order asked for (so the umask shapes their modes on disk), assembles them into an OCI
 * layout and into a registry repository, and prints what it saw and made as one JSON line.
 *
 *     node assemble-child.ts <dir> <forward|reverse> <registry host> <repository>
 */
import { createHash } from 'node:crypto';
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assemble,
  parseFiles,
  resolveSourceDateEpoch,
  spawnExec,
} from '../../packages/shared/src/build/index.ts';
import { LayoutStore, RegistryClient } from '../../packages/shared/src/oci/index.ts';

const [dir, order, host, repository] = process.argv.slice(2) as [string, string, string, string];
const context = join(dir, 'context');

/** 200 KB that is the same everywhere and compresses only somewhat (several deflate blocks). */
function pseudoRandom(size: number): Buffer {
  const parts: Buffer[] = [];
  let block = createHash('sha256').update('assemble').digest();
  for (let total = 0; total < size; total += block.length) {
    parts.push(Buffer.from(block.toString('hex').slice(0, 24)), block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(parts).subarray(0, size);
}

const directories = ['app', 'app/lib/deep/er', 'app/a', 'app/a-b', 'bin'];
const steps: Array<() => void> = [
  () => writeFileSync(join(context, 'app/server.js'), 'require("http").createServer().listen(8080)\n'),
  () => writeFileSync(join(context, 'app/İndex.txt'), 'dotted capital I\n'),
  () => writeFileSync(join(context, 'app/ılık.txt'), 'dotless small i\n'),
  () => writeFileSync(join(context, 'app/Äpfel.txt'), 'umlaut\n'),
  () => writeFileSync(join(context, 'app/zebra.txt'), 'z\n'),
  () => writeFileSync(join(context, 'app/Zebra.txt'), 'Z\n'),
  () => writeFileSync(join(context, 'app/a/b'), 'a/b\n'),
  () => writeFileSync(join(context, 'app/a-b/x'), 'a-b/x\n'),
  () => writeFileSync(join(context, 'app/lib/deep/er/data.bin'), pseudoRandom(200_000)),
  () => symlinkSync('server.js', join(context, 'app/current.js')),
  () => symlinkSync('../../../etc/passwd', join(context, 'app/lib/outside')),
  // Executable: 0777 less the umask (0755 or 0700), written 0755 in the layer either way.
  () => writeFileSync(join(context, 'bin/start'), '#!/bin/sh\nexec node /app/server.js\n', { mode: 0o777 }),
];
for (const d of order === 'reverse' ? [...directories].reverse() : directories)
  mkdirSync(join(context, d), { recursive: true });
for (const step of order === 'reverse' ? [...steps].reverse() : steps) step();

const { epoch, from } = await resolveSourceDateEpoch({
  env: process.env.SOURCE_DATE_EPOCH,
  exec: spawnExec(),
  context,
});
const request = {
  context,
  files: parseFiles('app=/app\nbin/start=/usr/local/bin/'),
  config: {
    entrypoint: ['/usr/local/bin/start'],
    env: [['APP_ENV', 'test'] as const],
    labels: [],
    exposedPorts: ['8080/tcp'],
  },
  platforms: [],
  owner: { uid: 0, gid: 0 },
  sourceDateEpoch: epoch,
  tags: ['v1'],
};
const layout = await assemble({
  ...request,
  target: await LayoutStore.open(join(dir, 'layout'), { create: true }),
});
const client = new RegistryClient();
const registry = await assemble({ ...request, target: client.repository({ registry: host, repository }) });
await client.http.close();

console.log(
  JSON.stringify({
    layout: layout.digest,
    registry: registry.digest,
    layers: layout.layers.map((l) => ({ digest: l.digest, diffId: l.diffId })),
    epoch,
    from,
    serverMode: (statSync(join(context, 'app/server.js')).mode & 0o777).toString(8),
    locale: new Intl.Collator().resolvedOptions().locale,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    localSort: ['İndex.txt', 'ılık.txt', 'Äpfel.txt', 'zebra.txt', 'Zebra.txt'].sort(
      new Intl.Collator().compare,
    ),
  }),
);
