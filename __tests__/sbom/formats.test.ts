/**
 * CycloneDX 1.6 validated against the official schema, SPDX 2.3 against the subset of the upstream
 * schema in schemas.ts.
 */
import { describe, it } from '@jest/globals';
import assert from 'node:assert/strict';
import {
  catalog,
  globMatcher,
  IMAGE_CATALOGERS,
  isSpdxExpression,
  OS_RELEASE_GLOBS,
  toCycloneDx,
  toSpdx,
  walkDirectory,
  type Inventory,
} from '@release-actions/shared/sbom';
import { fixture, needsFixtures } from '../fixtures.ts';
import {
  assertOfficialSpdx,
  cdxValidator,
  officialSpdxValidator,
  SPDX_OFFICIAL_MISSING,
  spdxValidator,
} from './schemas.ts';
import { skipIf } from '../jest-helpers.ts';

const NO_SAMPLE = needsFixtures('syft', 'pkg/cataloger');

async function sampleInventory(): Promise<Inventory> {
  const dir = fixture('syft', 'pkg/cataloger');
  const files = new Map();
  for (const sub of [
    'debian/testdata/image-dpkg',
    'alpine/testdata/multiple-2',
    'python/testdata/site-packages/nested',
  ]) {
    for (const [k, v] of await walkDirectory(
      `${dir}/${sub}`,
      globMatcher([...OS_RELEASE_GLOBS, ...IMAGE_CATALOGERS.flatMap((c) => c.globs)]),
    ))
      files.set(k, v);
  }
  const inv = catalog(
    files,
    { type: 'image', name: 'localhost:5000/app:v1', digest: `sha256:${'a'.repeat(64)}` },
    IMAGE_CATALOGERS,
  );
  assert.ok(inv.packages.length > 10 && inv.relationships.length > 5);
  return inv;
}

describe('formats', () => {
  skipIf(NO_SAMPLE).it(
    'CycloneDX 1.6 is valid against the official schema, with purls, licenses and dependencies',
    async () => {
      const inv = await sampleInventory();
      const bom = toCycloneDx(inv, { created: new Date('2026-01-01T00:00:00Z') });
      const validate = cdxValidator();
      assert.ok(validate(bom), JSON.stringify(validate.errors?.slice(0, 5)));
      assert.equal(bom.specVersion, '1.6');
      const components = bom.components as Array<{
        name: string;
        purl?: string;
        licenses?: unknown[];
        'bom-ref': string;
      }>;
      const pam = components.find((c) => c.name === 'libpam-runtime')!;
      assert.equal(
        pam.purl,
        'pkg:deb/debian/libpam-runtime@1.1.8-3.6?arch=all&distro=debian-12&upstream=pam',
      );
      assert.equal(pam.licenses?.length, 3);
      const deps = bom.dependencies as Array<{ ref: string; dependsOn?: string[] }>;
      assert.ok(deps.some((d) => (d.dependsOn?.length ?? 0) > 0));
      // the schema itself rejects a broken document (so the check above can fail)
      assert.equal(validate({ ...bom, specVersion: 1.6 }), false);
    },
  );

  skipIf(NO_SAMPLE).it(
    'SPDX 2.3 has what the upstream schema requires, every relationship points at a package',
    async () => {
      const inv = await sampleInventory();
      const doc = toSpdx(inv, { created: new Date('2026-01-01T00:00:00.123Z') });
      const validate = spdxValidator();
      assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 5)));
      const ids = new Set((doc.packages as Array<{ SPDXID: string }>).map((p) => p.SPDXID));
      ids.add('SPDXRef-DOCUMENT');
      for (const r of doc.relationships as Array<{ spdxElementId: string; relatedSpdxElement: string }>) {
        assert.ok(ids.has(r.spdxElementId) && ids.has(r.relatedSpdxElement));
      }
      assert.equal(ids.size, inv.packages.length + 2);
      const declared = (doc.packages as Array<{ licenseDeclared: string }>).map((p) => p.licenseDeclared);
      for (const d of declared) assert.ok(d === 'NOASSERTION' || isSpdxExpression(d), d);
      assert.equal(validate({ ...doc, creationInfo: { created: 'yesterday', creators: [] } }), false);
      // Upstream objects take no other fields (additionalProperties: false there).
      const [first] = doc.packages as Array<Record<string, unknown>>;
      assert.equal(validate({ ...doc, packages: [{ ...first, purl: 'pkg:npm/x@1' }] }), false);
      assert.equal(validate({ ...doc, documentComment: 'x' }), false);
    },
  );

  const official = officialSpdxValidator();
  skipIf(NO_SAMPLE || SPDX_OFFICIAL_MISSING).it('SPDX 2.3 is valid against the official schema', async () => {
    const doc = toSpdx(await sampleInventory(), { created: new Date('2026-01-01T00:00:00.123Z') });
    assert.ok(official!(doc), JSON.stringify(official!.errors?.slice(0, 5)));
    assert.equal(official!({ ...doc, relationships: [{ spdxElementId: 'SPDXRef-DOCUMENT' }] }), false);
    // The check the other suites make on the documents they write, passing and failing.
    assertOfficialSpdx(doc);
    assert.throws(
      () => assertOfficialSpdx({ ...doc, creationInfo: { creators: [] } }),
      /not valid against the official SPDX 2.3 schema: .*created/,
    );
  });

  it('recognises SPDX expressions', () => {
    assert.ok(isSpdxExpression('MIT'));
    assert.ok(isSpdxExpression('(MIT OR Apache-2.0) AND GPL-2.0-or-later WITH Classpath-exception-2.0'));
    assert.ok(isSpdxExpression('LicenseRef-foo'));
    assert.ok(!isSpdxExpression('BSD License'));
    assert.ok(!isSpdxExpression('MIT OR'));
    assert.ok(!isSpdxExpression('(MIT'));
  });
});
