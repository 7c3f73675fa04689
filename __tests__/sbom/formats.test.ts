/**
 * CycloneDX 1.6 validated against the official schema the CycloneDX library ships
 * (res/schema/bom-1.6.SNAPSHOT.schema.json, with its spdx and jsf schemas). No npm package ships
 * the SPDX 2.3 JSON schema, and fetched files may not be committed, so SPDX is validated against a
 * subset written here from the upstream spdx/spdx-spec `schemas/spdx-schema.json` (2.3): its
 * top-level, package, externalRef, relationship and extracted-license `required` lists, the
 * SPDXID pattern, the relationship type enum values we use, and the `created` date pattern.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
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

const require = createRequire(join(process.cwd(), 'packages/shared/package.json'));
const schemaDir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
const loadSchema = (name: string) =>
  JSON.parse(readFileSync(join(schemaDir, name), 'utf8')) as Record<string, unknown>;

function cdxValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  for (const f of ['idn-email', 'iri-reference', 'idn-hostname', 'iri']) ajv.addFormat(f, true);
  ajv.addSchema(
    loadSchema('spdx.SNAPSHOT.schema.json'),
    'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json',
  );
  ajv.addSchema(
    loadSchema('jsf-0.82.SNAPSHOT.schema.json'),
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json',
  );
  return ajv.compile(loadSchema('bom-1.6.SNAPSHOT.schema.json'));
}

const DATE =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|23:59:60)Z$';
const SPDX_SUBSET = {
  $schema: 'https://json-schema.org/draft/2019-09/schema',
  type: 'object',
  required: ['SPDXID', 'creationInfo', 'dataLicense', 'name', 'spdxVersion', 'documentNamespace'],
  properties: {
    spdxVersion: { const: 'SPDX-2.3' },
    creationInfo: {
      type: 'object',
      required: ['created', 'creators'],
      additionalProperties: false,
      properties: {
        created: { type: 'string', pattern: DATE },
        creators: { type: 'array', minItems: 1, items: { type: 'string' } },
      },
    },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SPDXID', 'downloadLocation', 'name'],
        properties: {
          SPDXID: { type: 'string', pattern: '^SPDXRef-[a-zA-Z0-9.-]+$' },
          filesAnalyzed: { type: 'boolean' },
          externalRefs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['referenceCategory', 'referenceLocator', 'referenceType'],
              additionalProperties: false,
              properties: {
                comment: { type: 'string' },
                referenceCategory: {
                  enum: [
                    'OTHER',
                    'PERSISTENT-ID',
                    'SECURITY',
                    'PACKAGE-MANAGER',
                    'PACKAGE_MANAGER',
                    'PERSISTENT_ID',
                  ],
                },
                referenceLocator: { type: 'string' },
                referenceType: { type: 'string' },
              },
            },
          },
        },
      },
    },
    relationships: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spdxElementId', 'relatedSpdxElement', 'relationshipType'],
        additionalProperties: false,
        properties: {
          spdxElementId: { type: 'string' },
          relatedSpdxElement: { type: 'string' },
          comment: { type: 'string' },
          relationshipType: { enum: ['DESCRIBES', 'CONTAINS', 'DEPENDS_ON'] },
        },
      },
    },
    hasExtractedLicensingInfos: {
      type: 'array',
      items: {
        type: 'object',
        required: ['extractedText', 'licenseId'],
        properties: { licenseId: { pattern: '^LicenseRef-[A-Za-z0-9.-]+$' } },
      },
    },
  },
};

async function sampleInventory(): Promise<Inventory> {
  const dir = '/work/shared/fixtures/syft/pkg/cataloger';
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
  it('CycloneDX 1.6 is valid against the official schema, with purls, licenses and dependencies', async () => {
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
    assert.equal(pam.purl, 'pkg:deb/debian/libpam-runtime@1.1.8-3.6?arch=all&distro=debian-12&upstream=pam');
    assert.equal(pam.licenses?.length, 3);
    const deps = bom.dependencies as Array<{ ref: string; dependsOn?: string[] }>;
    assert.ok(deps.some((d) => (d.dependsOn?.length ?? 0) > 0));
    // the schema itself rejects a broken document (so the check above can fail)
    assert.equal(validate({ ...bom, specVersion: 1.6 }), false);
  });

  it('SPDX 2.3 has what the upstream schema requires, every relationship points at a package', async () => {
    const inv = await sampleInventory();
    const doc = toSpdx(inv, { created: new Date('2026-01-01T00:00:00.123Z') });
    const validate = new Ajv2019.default({ strict: false, allErrors: true }).compile(SPDX_SUBSET);
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
