/**
 * Reading an SBOM back: the packages (with a Package URL) an SPDX 2.x JSON or CycloneDX JSON
 * document lists, whoever wrote it (this library, syft, cosign's predicates). What a scan needs of
 * an attested SBOM, so an old image can be scanned against today's advisories without cataloging
 * it again.
 *
 * - SPDX: every `packages[]` entry's `externalRefs` of `referenceType: purl` (category
 *   `PACKAGE-MANAGER`, or `PACKAGE_MANAGER` as SPDX 2.2 wrote it).
 * - CycloneDX: every component's `purl`, nested components included (`metadata.component`, the
 *   image itself, is not a package).
 *
 * Packages without a purl are left out (the document's root package, files). The same purl listed
 * twice is returned once.
 */

/** A package of an SBOM document, as a scan takes it. */
export interface SbomDocumentPackage {
  name: string;
  version: string;
  purl: string;
  /** The purl's type (`deb`, `npm`, …). */
  type: string;
}

/** The document kinds {@link sbomDocumentPackages} reads. */
export type SbomDocumentKind = 'spdx' | 'cyclonedx';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The purl type: `deb` of `pkg:deb/debian/libc6@…`. */
function purlType(purl: string): string {
  return /^pkg:\/*([^/@?#]+)\//i.exec(purl)?.[1]?.toLowerCase() ?? '';
}

/** The kind of a document by its own fields: SPDX's `spdxVersion`, CycloneDX's `bomFormat`. */
export function sbomDocumentKind(document: unknown): SbomDocumentKind | undefined {
  if (!isObject(document)) return undefined;
  if (text(document.spdxVersion).startsWith('SPDX-')) return 'spdx';
  if (document.bomFormat === 'CycloneDX') return 'cyclonedx';
  return undefined;
}

/**
 * The packages of an SPDX or CycloneDX JSON document (see the module comment). Throws a plain
 * Error saying what the document is missing when it is neither.
 */
export function sbomDocumentPackages(document: unknown): SbomDocumentPackage[] {
  const kind = sbomDocumentKind(document);
  if (!kind)
    throw new Error(
      isObject(document)
        ? 'the document is neither SPDX JSON (no "spdxVersion": "SPDX-2.x") nor CycloneDX JSON (no "bomFormat": "CycloneDX")'
        : `the document is ${Array.isArray(document) ? 'an array' : typeof document}, not an SPDX or CycloneDX JSON object`,
    );
  const out = new Map<string, SbomDocumentPackage>();
  const add = (name: string, version: string, purl: string) => {
    if (!purl.startsWith('pkg:') || out.has(purl)) return;
    out.set(purl, { name: name || purl, version, purl, type: purlType(purl) });
  };
  const doc = document as Json;
  if (kind === 'spdx') {
    for (const p of Array.isArray(doc.packages) ? doc.packages : []) {
      if (!isObject(p)) continue;
      for (const ref of Array.isArray(p.externalRefs) ? p.externalRefs : []) {
        if (!isObject(ref) || ref.referenceType !== 'purl') continue;
        const category = text(ref.referenceCategory).replace('_', '-');
        if (category !== '' && category !== 'PACKAGE-MANAGER') continue;
        add(text(p.name), text(p.versionInfo), text(ref.referenceLocator));
      }
    }
  } else {
    const queue: unknown[] = Array.isArray(doc.components) ? [...doc.components] : [];
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      if (!isObject(c)) continue;
      add(text(c.name), text(c.version), text(c.purl));
      if (Array.isArray(c.components)) queue.push(...c.components);
    }
  }
  return [...out.values()];
}
