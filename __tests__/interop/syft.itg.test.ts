/**
 * SBOM parity with syft (built by `npm run tools`), on the images of ./syft-images.ts (dpkg + npm,
 * Go binaries, Java archives, a Python site-packages tree, the rpm and apk fixture databases), each
 * in an OCI layout that `generateSbom` and `syft oci-dir:` both read:
 *
 * - the package sets (type, name, version, purl) are equal, except the differences
 *   docs/sbom.md ("syft parity") lists, each recognised here by its rule and reason; a difference
 *   no rule explains fails, and so does a rule that no longer explains anything;
 * - syft's own SPDX 2.3 and CycloneDX 1.6 outputs (asked for with `cyclonedx-json@1.6`: syft
 *   1.57 writes 1.7 by default) validate against the same schemas ours do;
 * - the purls an osv-scanner-style consumer reads from either document (SPDX external refs,
 *   CycloneDX components) are the same set from syft's and from ours, but for the `pkg:oci` purl
 *   syft gives the image itself (its SPDX root package), which names no package to scan.
 *
 * Purls are compared parsed (packageurl-js, as ours are formed): syft percent-encodes `+` and `:`
 * in versions (`1%3A2.38.1-5%2Bdeb12u3`) where packageurl-js leaves them, which is the same purl.
 * syft writes `UNKNOWN` for a version it does not know (its compliance default), where ours is
 * empty.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import { PackageURL } from 'packageurl-js';
import { generateSbom, sbomDocumentPackages, type SbomResult } from '@release-actions/shared/sbom';
import {
  cdxValidator,
  officialSpdxValidator,
  SPDX_OFFICIAL_MISSING,
  spdxValidator,
} from '../sbom/schemas.ts';
import { COMPARED_IMAGES, writeLayout } from './syft-images.ts';
import { tool } from './tools.ts';
import { skipIf } from '../jest-helpers.ts';

const syft = tool('syft');

interface Listed {
  type: string;
  name: string;
  version: string;
  purl: string;
  path: string;
}

/** A purl in one spelling (packageurl-js's), so that syft's and ours compare. */
function canonical(purl: string | undefined): string {
  if (!purl) return '';
  try {
    return PackageURL.fromString(purl).toString();
  } catch {
    return `unparsable:${purl}`;
  }
}

const key = (p: Listed) => `${p.type} ${p.name}@${p.version} ${p.purl}`;

/**
 * The known differences (docs/sbom.md, "syft parity"): given a package only one side lists, the
 * reason, or undefined when none applies.
 */
const KNOWN: ReadonlyArray<{ side: 'syft' | 'ours'; reason: string; applies: (p: Listed) => boolean }> = [
  {
    side: 'syft',
    reason:
      "npm: syft's javascript-package-cataloger takes every package.json with a name and version, also one inside a package (a benchmark or fixture project); ours only the package directories of node_modules, which is what npm ls --all lists",
    applies: (p) => p.type === 'npm' && !/\/node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(p.path),
  },
];

interface Compared {
  ours: SbomResult;
  syft: Listed[];
  spdx: Record<string, unknown>;
  cyclonedx: Record<string, unknown>;
}

skipIf(syft.skip).describe('syft parity (OCI layouts)', () => {
  let root: string;
  const compared = new Map<string, Compared>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'syft-parity-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** Builds the image once, then catalogs it with both (syft writing its three formats in one run). */
  async function compare(name: string): Promise<Compared> {
    const done = compared.get(name);
    if (done) return done;
    const image = COMPARED_IMAGES.find((i) => i.name === name)!;
    const dir = join(root, name);
    const { store, digest } = await writeLayout(image, dir);
    const ours = await generateSbom({ store, reference: digest });
    const out = (f: string) => join(root, `${name}.${f}.json`);
    await syft.ok(
      [
        `oci-dir:${dir}`,
        '-q',
        '-o',
        `syft-json=${out('syft')}`,
        '-o',
        `spdx-json=${out('spdx')}`,
        '-o',
        // CycloneDX 1.6, the version ours writes (syft 1.57 defaults to 1.7)
        `cyclonedx-json@1.6=${out('cdx')}`,
      ],
      { env: { SYFT_CHECK_FOR_APP_UPDATE: 'false', HOME: root }, timeoutMs: 300_000 },
    );
    const doc = JSON.parse(await readFile(out('syft'), 'utf8')) as {
      artifacts: Array<{
        type: string;
        name: string;
        version: string;
        purl?: string;
        locations: Array<{ path: string }>;
      }>;
    };
    const result: Compared = {
      ours,
      syft: doc.artifacts.map((a) => ({
        type: a.type,
        name: a.name,
        version: a.version === 'UNKNOWN' ? '' : a.version,
        purl: canonical(a.purl),
        path: a.locations[0]?.path ?? '',
      })),
      spdx: JSON.parse(await readFile(out('spdx'), 'utf8')) as Record<string, unknown>,
      cyclonedx: JSON.parse(await readFile(out('cdx'), 'utf8')) as Record<string, unknown>,
    };
    compared.set(name, result);
    return result;
  }

  for (const image of COMPARED_IMAGES) {
    skipIf(image.missing).it(
      `${image.name}: the same packages (type, name, version, purl) as syft -o syft-json, but the known differences`,
      async () => {
        const { ours, syft: theirs } = await compare(image.name);
        const mine: Listed[] = ours.packages.map((p) => ({
          type: p.type,
          name: p.name,
          version: p.version,
          purl: canonical(p.purl),
          path: p.locations[0]?.path ?? '',
        }));
        assert.ok(mine.length > 0, 'ours found nothing');
        const theirKeys = new Set(theirs.map(key));
        const myKeys = new Set(mine.map(key));
        const unexplained: string[] = [];
        const explained: string[] = [];
        for (const [side, list, other] of [
          ['syft', theirs, myKeys],
          ['ours', mine, theirKeys],
        ] as const)
          for (const p of list) {
            if (other.has(key(p))) continue;
            const rule = KNOWN.find((k) => k.side === side && k.applies(p));
            (rule ? explained : unexplained).push(
              `only ${side}: ${key(p)} (${p.path})${rule ? `: ${rule.reason}` : ''}`,
            );
          }
        console.log(
          `${myKeys.size} packages ours, ${theirKeys.size} syft's; ${explained.length} known differences${explained.length ? `:\n${explained.join('\n')}` : ''}`,
        );
        assert.deepEqual(unexplained, [], 'differences docs/sbom.md does not list');
      },
    );
  }

  it('every known difference still shows on the images (none is stale)', async () => {
    const used = new Set<string>();
    for (const image of COMPARED_IMAGES.filter((i) => !i.missing)) {
      const { ours, syft: theirs } = await compare(image.name);
      const mine = new Set(ours.packages.map((p) => `${p.type} ${p.name}@${p.version} ${canonical(p.purl)}`));
      for (const p of theirs)
        if (!mine.has(key(p)))
          for (const k of KNOWN) if (k.side === 'syft' && k.applies(p)) used.add(k.reason);
    }
    if (COMPARED_IMAGES.find((i) => i.name === 'dpkg-npm')?.missing) return;
    assert.deepEqual(
      KNOWN.filter((k) => !used.has(k.reason)).map((k) => k.reason),
      [],
    );
  });

  skipIf(COMPARED_IMAGES[0]!.missing).it(
    "syft's SPDX 2.3 and CycloneDX outputs validate against the schemas ours are checked with",
    async () => {
      const cdx = cdxValidator();
      const subset = spdxValidator();
      const official = officialSpdxValidator();
      for (const image of COMPARED_IMAGES.filter((i) => !i.missing)) {
        const { spdx, cyclonedx, ours } = await compare(image.name);
        assert.equal(
          cyclonedx['specVersion'],
          '1.6',
          `${image.name}: syft wrote CycloneDX ${String(cyclonedx['specVersion'])}`,
        );
        assert.ok(
          cdx(cyclonedx),
          `${image.name}: syft's CycloneDX: ${JSON.stringify(cdx.errors?.slice(0, 3))}`,
        );
        assert.ok(
          cdx(ours.cyclonedx),
          `${image.name}: our CycloneDX: ${JSON.stringify(cdx.errors?.slice(0, 3))}`,
        );
        assert.equal(spdx['spdxVersion'], 'SPDX-2.3');
        if (official) {
          assert.ok(
            official(spdx),
            `${image.name}: syft's SPDX: ${JSON.stringify(official.errors?.slice(0, 3))}`,
          );
          assert.ok(
            official(ours.spdx),
            `${image.name}: our SPDX: ${JSON.stringify(official.errors?.slice(0, 3))}`,
          );
        }
        // the transcribed subset is narrower than the schema (relationship types): ours only
        assert.ok(
          subset(ours.spdx),
          `${image.name}: our SPDX (subset): ${JSON.stringify(subset.errors?.slice(0, 3))}`,
        );
      }
      console.log(
        official
          ? 'official SPDX 2.3 schema checked'
          : `official SPDX 2.3 schema check skipped: ${SPDX_OFFICIAL_MISSING}`,
      );
    },
  );

  skipIf(COMPARED_IMAGES[0]!.missing).it(
    "a purl consumer (osv-scanner style) reads the same purls from syft's SPDX and CycloneDX as from ours, but the known differences",
    async () => {
      for (const image of COMPARED_IMAGES.filter((i) => !i.missing)) {
        const { spdx, cyclonedx, ours, syft: theirs } = await compare(image.name);
        // the purls syft lists only for a known reason are not expected from ours
        const mine = new Set(
          ours.packages.map((p) => `${p.type} ${p.name}@${p.version} ${canonical(p.purl)}`),
        );
        const excused = new Set(
          theirs
            .filter((p) => !mine.has(key(p)) && KNOWN.some((k) => k.side === 'syft' && k.applies(p)))
            .map((p) => p.purl),
        );
        const purls = (doc: unknown) =>
          [...new Set(sbomDocumentPackages(doc).map((p) => canonical(p.purl)))]
            .filter((p) => !excused.has(p) && !p.startsWith('pkg:oci/'))
            .sort();
        assert.ok(
          sbomDocumentPackages(spdx).some((p) => p.purl.startsWith('pkg:oci/')),
          `${image.name}: syft's SPDX no longer names the image with a pkg:oci purl (docs/sbom.md says it does)`,
        );
        const expected = purls(ours.spdx);
        assert.ok(expected.length > 0, image.name);
        assert.deepEqual(
          purls(ours.cyclonedx),
          expected,
          `${image.name}: our CycloneDX and SPDX purls differ`,
        );
        assert.deepEqual(purls(spdx), expected, `${image.name}: syft's SPDX purls`);
        assert.deepEqual(purls(cyclonedx), expected, `${image.name}: syft's CycloneDX purls`);
      }
    },
  );
});
