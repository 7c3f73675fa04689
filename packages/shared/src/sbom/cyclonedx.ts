/**
 * CycloneDX 1.6 JSON, built with the CycloneDX JavaScript library (its models, license factory
 * and spec-aware JSON serializer): one `library` (or `operating-system`) component per package,
 * with purl, licenses and `syft:location`-style properties, the image or directory as the
 * metadata component, and dependencies where they are known. Save as `*.cdx.json`.
 */
import { randomUUID } from 'node:crypto';
// Subpath imports: the package's root also loads its resource paths, built from `__dirname`,
// which does not exist in the actions' ESM bundles.
import * as License from '@cyclonedx/cyclonedx-library/Contrib/License';
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import { assertSpdxExpression } from './licenses.ts';
import type { Inventory } from './types.ts';

export interface DocumentOptions {
  /** Creation time written into the document; default now. */
  created?: Date;
  /** Name and version of the tool to credit. */
  tool?: { name: string; version: string };
  /** CycloneDX serial number (`urn:uuid:…`); default a random one. */
  serialNumber?: string;
}

export const DEFAULT_TOOL = { name: 'release-actions-sbom', version: '0.1.0' };

const licenseFactory = new License.Factories.LicenseFactory(assertSpdxExpression);

function licensesOf(values: string[]): Models.LicenseRepository {
  const repo = new Models.LicenseRepository();
  // CycloneDX allows one expression, or any number of named/SPDX-id licenses, not a mix.
  const made = values.map((v) => licenseFactory.makeFromString(v));
  const expressions = made.filter((l) => l instanceof Models.LicenseExpression);
  if (expressions.length > 0 && (made.length > 1 || expressions.length > 1)) {
    repo.add(
      new Models.LicenseExpression(values.map((v) => (values.length > 1 ? `(${v})` : v)).join(' AND ')),
    );
    try {
      assertSpdxExpression([...repo][0]!.toString());
    } catch {
      repo.clear();
      for (const v of values) repo.add(licenseFactory.makeDisjunctive(v));
    }
    return repo;
  }
  for (const l of made) repo.add(l);
  return repo;
}

/** The CycloneDX 1.6 JSON document of an inventory, as a parsed object. */
export function toCycloneDx(inventory: Inventory, options: DocumentOptions = {}): Record<string, unknown> {
  const tool = options.tool ?? DEFAULT_TOOL;
  const bom = new Models.Bom({ serialNumber: options.serialNumber ?? `urn:uuid:${randomUUID()}` });
  bom.metadata.timestamp = options.created ?? new Date();
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, tool.name, { version: tool.version }),
  );
  const { source } = inventory;
  bom.metadata.component = new Models.Component(
    source.type === 'image' ? Enums.ComponentType.Container : Enums.ComponentType.Application,
    source.name,
    { bomRef: 'source', ...(source.digest && { version: source.digest }) },
  );
  const components = new Map<string, Models.Component>();
  for (const p of inventory.packages) {
    const c = new Models.Component(Enums.ComponentType.Library, p.name, {
      bomRef: p.id,
      version: p.version || undefined,
      purl: p.purl,
      licenses: licensesOf(p.licenses),
    });
    c.properties.add(new Models.Property('release-actions:package:type', p.type));
    c.properties.add(new Models.Property('release-actions:package:foundBy', p.foundBy));
    p.locations.forEach((l, i) => {
      c.properties.add(new Models.Property(`release-actions:location:${i}:path`, l.path));
      if (l.layer) c.properties.add(new Models.Property(`release-actions:location:${i}:layerID`, l.layer));
    });
    components.set(p.id, c);
    bom.components.add(c);
  }
  if (inventory.distro) {
    const d = inventory.distro;
    bom.components.add(
      new Models.Component(Enums.ComponentType.OperatingSystem, d.id, {
        bomRef: `os:${d.id}`,
        ...(d.versionId && { version: d.versionId }),
        ...(d.prettyName && { description: d.prettyName }),
      }),
    );
  }
  for (const r of inventory.relationships) {
    const from = components.get(r.from);
    const to = components.get(r.to);
    if (from && to) from.dependencies.add(to.bomRef);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  // Not the library's `sortLists`: it orders with `localeCompare`, so the document would differ
  // with the runner's locale. Lists stay in the inventory's order (code point order, see `catalog`).
  return JSON.parse(serializer.serialize(bom, { sortLists: false })) as Record<string, unknown>;
}
