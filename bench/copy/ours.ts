/**
 * One copy with our library, in its own process, as `skopeo copy` runs in its own:
 *   node bench/copy/ours.ts <source-ref> <target-ref>
 * (the benchmark's proxies live in the parent process and must not share our event loop).
 */
import { copyImage, parseRegistryReference, RegistryClient } from '@release-actions/shared/oci';

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error('usage: node bench/copy/ours.ts <source-ref> <target-ref>');
const source = parseRegistryReference(from);
const target = parseRegistryReference(to);
const client = new RegistryClient();
try {
  await copyImage(
    client.repository(source),
    source.digest ?? source.tag ?? 'latest',
    client.repository(target),
    {
      tags: target.tag ? [target.tag] : [],
    },
  );
} finally {
  await client.http.close();
}
