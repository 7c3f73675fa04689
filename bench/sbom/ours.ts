/**
 * One SBOM run as the sbom action makes it (`generateSbom({ image })`, defaults otherwise), in its
 * own process so its peak memory can be read: prints one JSON line with the library call's time,
 * the package count, the decompressed tar bytes walked and `process.resourceUsage().maxRSS`.
 *
 *   node bench/sbom/ours.ts <image> [--no-go]   (oci-layout:<dir>:<tag> or localhost:<port>/<repo>:<tag>)
 *
 * `--no-go` leaves the Go binary cataloger out (what its search of the executables costs).
 */
import { generateSbom, goBinaryCataloger, IMAGE_CATALOGERS } from '@release-actions/shared/sbom';

const image = process.argv[2];
if (!image) throw new Error('usage: node bench/sbom/ours.ts <image> [--no-go]');
const catalogers = process.argv.includes('--no-go')
  ? IMAGE_CATALOGERS.filter((c) => c !== goBinaryCataloger)
  : undefined;
const start = performance.now();
const result = await generateSbom({ image, ...(catalogers && { catalogers }) });
const ms = performance.now() - start;
console.log(
  JSON.stringify({
    ms,
    packages: result.packages.length,
    relationships: result.inventory.relationships.length,
    tarBytes: (result.layers ?? []).reduce((s, l) => s + l.bytes, 0),
    entries: (result.layers ?? []).reduce((s, l) => s + l.entries, 0),
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);
