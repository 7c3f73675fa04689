/**
 * SPDX 2.3 JSON: the document describes one root package (the image or directory), which
 * CONTAINS every cataloged package; DEPENDS_ON where dependencies are known. Purls are
 * `PACKAGE-MANAGER purl` external references, licenses that are valid SPDX expressions are
 * declared as such and the rest as `LicenseRef-` with their text. Save as `*.spdx.json`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_TOOL, type DocumentOptions } from './cyclonedx.ts';
import { isSpdxExpression } from './licenses.ts';
import type { Inventory, Package, PackageType } from './types.ts';

const DISTRO_TYPES: ReadonlySet<PackageType> = new Set(['deb', 'apk', 'rpm']);

function spdxId(prefix: string, key: string): string {
  return `SPDXRef-${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

function licenseRef(name: string): string {
  return `LicenseRef-${name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unknown'}`;
}

/** The SPDX 2.3 JSON document of an inventory, as a parsed object. */
export function toSpdx(
  inventory: Inventory,
  options: DocumentOptions & { namespace?: string } = {},
): Record<string, unknown> {
  const tool = options.tool ?? DEFAULT_TOOL;
  const created = (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const { source } = inventory;
  const extracted = new Map<string, string>();
  const declared = (p: Package): string => {
    if (p.licenses.length === 0) return 'NOASSERTION';
    const parts = p.licenses.map((l) => {
      if (isSpdxExpression(l)) return p.licenses.length > 1 && /\s/.test(l) ? `(${l})` : l;
      const ref = licenseRef(l);
      extracted.set(ref, l);
      return ref;
    });
    return parts.join(' AND ');
  };
  const rootId = spdxId(source.type === 'image' ? 'Image' : 'Directory', source.name);
  const packages: Array<Record<string, unknown>> = [
    {
      name: source.name,
      SPDXID: rootId,
      ...(source.digest && { versionInfo: source.digest }),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: source.type === 'image' ? 'CONTAINER' : 'SOURCE',
    },
  ];
  const ids = new Map<string, string>();
  for (const p of inventory.packages) {
    const id = spdxId('Package', p.id);
    ids.set(p.id, id);
    packages.push({
      name: p.name,
      SPDXID: id,
      ...(p.version && { versionInfo: p.version }),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: declared(p),
      copyrightText: 'NOASSERTION',
      sourceInfo: `acquired package info from ${p.foundBy}: ${p.locations.map((l) => l.path).join(', ')}`,
      ...(p.purl && {
        externalRefs: [
          { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl },
        ],
      }),
      // Language packages are libraries; a distribution's package may be a program or a library,
      // so none is claimed (OPERATING_SYSTEM would say the package is the operating system).
      ...(!DISTRO_TYPES.has(p.type) && { primaryPackagePurpose: 'LIBRARY' }),
    });
  }
  const relationships: Array<Record<string, string>> = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId },
  ];
  for (const p of inventory.packages) {
    relationships.push({
      spdxElementId: rootId,
      relationshipType: 'CONTAINS',
      relatedSpdxElement: ids.get(p.id)!,
    });
  }
  for (const r of inventory.relationships) {
    const from = ids.get(r.from);
    const to = ids.get(r.to);
    if (from && to)
      relationships.push({ spdxElementId: from, relationshipType: 'DEPENDS_ON', relatedSpdxElement: to });
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: source.name,
    documentNamespace:
      options.namespace ??
      `https://release-actions.invalid/spdx/${encodeURIComponent(source.name)}-${randomUUID()}`,
    creationInfo: { created, creators: [`Tool: ${tool.name}-${tool.version}`] },
    documentDescribes: [rootId],
    packages,
    relationships,
    ...(extracted.size > 0 && {
      hasExtractedLicensingInfos: [...extracted].map(([licenseId, text]) => ({
        licenseId,
        extractedText: text,
        name: text,
      })),
    }),
  };
}
