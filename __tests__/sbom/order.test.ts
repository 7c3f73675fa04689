/**
 * SBOM and scan output order is by code point, never by the runner's locale: names differing in
 * case and accents, where `localeCompare` (in any locale) and code point order disagree.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { compareCodePoints } from '@release-actions/shared';
import {
  generateSbom,
  locationOf,
  makePackage,
  type Cataloger,
  type PackageType,
} from '@release-actions/shared/sbom';
import { worstFirst, type Finding } from '@release-actions/shared/scan';
import { assertOfficialSpdx } from './schemas.ts';

/** In code point order: upper case before lower case, accented letters after z, astral last. */
const CODE_POINT_ORDER = ['Zlib', 'apt', 'bash', 'zsh', 'Ärger', 'ärger', 'éclair', '\u{FFFD}x', '\u{1F600}'];
const SHUFFLED = ['éclair', 'bash', '\u{1F600}', 'Zlib', 'ärger', '\u{FFFD}x', 'zsh', 'Ärger', 'apt'];

/** A cataloger that reports one package per line of `names.txt`, in file order. */
const namesCataloger: Cataloger = {
  name: 'names-cataloger',
  globs: ['**/names.txt'],
  catalog(files) {
    const packages = files.flatMap((file) =>
      file.content
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [type, name, version] = line.split(' ') as [PackageType, string, string];
          return makePackage({
            type,
            name,
            version,
            locations: [locationOf(file)],
            foundBy: 'names-cataloger',
          });
        }),
    );
    return { packages, relationships: [] };
  },
};

describe('output order', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbom-order-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is a case where the locale order differs from code point order', () => {
    // Otherwise the tests below could not tell the two apart.
    for (const locale of ['en-US', 'de-DE', 'sv-SE']) {
      const byLocale = [...SHUFFLED].sort(new Intl.Collator(locale).compare);
      assert.notDeepEqual(byLocale, CODE_POINT_ORDER, locale);
    }
    assert.notDeepEqual(
      [...SHUFFLED].sort((a, b) => a.localeCompare(b)),
      CODE_POINT_ORDER,
    );
    assert.deepEqual([...SHUFFLED].sort(compareCodePoints), CODE_POINT_ORDER);
    assert.deepEqual(
      [...SHUFFLED].sort(compareCodePoints),
      [...SHUFFLED].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });

  it('sorts SBOM packages by type, name and version by code point, in both documents', async () => {
    const lines = [
      ...SHUFFLED.map((name) => `npm ${name} 1.0.0`),
      'npm apt 1.0.0-Beta',
      'npm apt 1.0.0-alpha',
      'deb zsh 5.9',
    ];
    await writeFile(join(dir, 'names.txt'), `${lines.join('\n')}\n`);
    const result = await generateSbom({ path: dir, catalogers: [namesCataloger] });
    console.log(assertOfficialSpdx(result.spdx));
    const order = result.packages.map((p) => `${p.type} ${p.name} ${p.version}`);
    assert.deepEqual(order, [
      'deb zsh 5.9',
      'npm Zlib 1.0.0',
      'npm apt 1.0.0',
      'npm apt 1.0.0-Beta',
      'npm apt 1.0.0-alpha',
      ...CODE_POINT_ORDER.slice(2).map((name) => `npm ${name} 1.0.0`),
    ]);
    const components = (result.cyclonedx.components as Array<{ name: string }>).map((c) => c.name);
    assert.deepEqual(
      components,
      result.packages.map((p) => p.name),
    );
  });

  it('orders scan findings of equal severity by id, then package, by code point', () => {
    const finding = (id: string, name: string) =>
      ({ id, severity: { level: 'high', score: 7.5 }, package: { name } }) as unknown as Finding;
    const findings = [
      finding('GHSA-b', 'x'),
      finding('CVE-1', 'éclair'),
      finding('CVE-1', 'Zlib'),
      finding('cve-0', 'a'),
    ];
    assert.deepEqual(
      [...findings].sort(worstFirst).map((f) => `${f.id} ${f.package.name}`),
      ['CVE-1 Zlib', 'CVE-1 éclair', 'GHSA-b x', 'cve-0 a'],
    );
  });
});
