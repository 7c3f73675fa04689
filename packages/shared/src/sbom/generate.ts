/**
 * The one entry point an action needs: `generateSbom({ image | layout | path })` walks the image
 * (each layer once) or the directory, runs every cataloger on the files it asked for, and
 * returns the packages with both documents, CycloneDX 1.6 and SPDX 2.3. An image's tag is resolved
 * to a digest once, before the walk; the result's `subject` carries that digest, so whatever
 * follows (the attestation) is about the image that was cataloged, however the tag moves.
 */
import { compareCodePoints } from '../compare.ts';
import { silentLogger } from '../logger.ts';
import {
  LayoutStore,
  nameWithReference,
  parsePlatform,
  parseReference,
  RegistryClient,
  type ImageStore,
} from '../oci/index.ts';
import { IMAGE_CATALOGERS, identifyDistro, OS_RELEASE_GLOBS } from './catalogers/index.ts';
import { toCycloneDx, type DocumentOptions } from './cyclonedx.ts';
import { walkDirectory } from './directory.ts';
import { SbomError } from './errors.ts';
import type { FileRecord } from './filetree.ts';
import { compileGlob, globMatcher } from './glob.ts';
import { walkImage, type LayerStats, type WalkOptions } from './layers.ts';
import type { Cataloger } from './package.ts';
import { SOURCE_CATALOGERS } from './source.ts';
import { toSpdx } from './spdx.ts';
import type { Inventory, Package, Relationship, SbomSource } from './types.ts';

export interface GenerateSbomOptions extends WalkOptions, DocumentOptions {
  /** An image reference: `registry/repo[:tag][@digest]` or `oci-layout:<dir>[:tag|@digest]`. */
  image?: string;
  /** An OCI image layout directory; `reference` picks the tag or digest (default: `latest`). */
  layout?: string;
  /** An image store already open (a registry `Repository` or a `LayoutStore`), with `reference`. */
  store?: ImageStore;
  /** Tag or digest within `layout` or `store`. */
  reference?: string;
  /** A directory: its lockfiles and any package databases in it are cataloged. */
  path?: string;
  /** The registry client for `image` (credentials, insecure registries); default an anonymous one. */
  client?: RegistryClient;
  /** Catalogers to run instead of the defaults for the kind of source. */
  catalogers?: readonly Cataloger[];
}

/**
 * The image an SBOM describes, as resolved once by {@link generateSbom}: spread it into
 * `attestSbom` (`store`, `name`, `digest`) so the attestation lands on the image cataloged.
 */
export interface SbomSubject {
  /** The image's repository (a registry `Repository` or a `LayoutStore`). */
  store: ImageStore;
  /** The repository's name, no tag or digest: `ghcr.io/acme/app`, `oci-layout:./out`. */
  name: string;
  /**
   * The digest of what the user named, resolved once: an index stays an index (as
   * `cosign attest` attests it), an image manifest is itself.
   */
  digest: string;
  /** The platform's image manifest that was cataloged (equal to `digest` for a single image). */
  manifestDigest: string;
}

export interface SbomResult {
  inventory: Inventory;
  /** For images: the subject resolved once, for attesting. Absent for directories. */
  subject?: SbomSubject;
  packages: Package[];
  /** CycloneDX 1.6 JSON document (write as `<name>.cdx.json`). */
  cyclonedx: Record<string, unknown>;
  /** SPDX 2.3 JSON document (write as `<name>.spdx.json`). */
  spdx: Record<string, unknown>;
  /** Per-layer statistics, for images. */
  layers?: LayerStats[];
}

/**
 * Runs each cataloger on the files matching its globs, then sorts packages by type, name, version,
 * by code point (the same order on every runner, whatever its locale).
 */
export function catalog(
  files: ReadonlyMap<string, FileRecord>,
  source: SbomSource,
  catalogers: readonly Cataloger[],
  logger = silentLogger,
): Inventory {
  const distro = identifyDistro(files);
  const packages: Package[] = [];
  const relationships: Relationship[] = [];
  for (const c of catalogers) {
    const matches = c.globs.map(compileGlob);
    const mine = [...files.values()].filter((f) => matches.some((m) => m.test(f.path.slice(1))));
    if (mine.length === 0) continue;
    const result = c.catalog(mine, { distro, logger });
    logger.debug(`${c.name}: ${result.packages.length} packages from ${mine.length} files`);
    packages.push(...result.packages);
    relationships.push(...result.relationships);
  }
  packages.sort(
    (a, b) =>
      compareCodePoints(a.type, b.type) ||
      compareCodePoints(a.name, b.name) ||
      compareCodePoints(a.version, b.version),
  );
  return { source, ...(distro && { distro }), packages, relationships };
}

async function openImage(
  options: GenerateSbomOptions,
): Promise<{ store: ImageStore; reference: string; name: string }> {
  if (options.store) {
    const reference = options.reference ?? 'latest';
    return { store: options.store, reference, name: nameWithReference(options.store.name, reference) };
  }
  if (options.layout) {
    const reference = options.reference ?? 'latest';
    return {
      store: await LayoutStore.open(options.layout),
      reference,
      name: nameWithReference(`oci-layout:${options.layout}`, reference),
    };
  }
  const ref = parseReference(options.image!);
  if (ref.kind === 'oci-layout') {
    return {
      store: await LayoutStore.open(ref.path),
      reference: ref.digest ?? ref.tag ?? 'latest',
      name: options.image!,
    };
  }
  const client = options.client ?? new RegistryClient({ logger: options.logger });
  return {
    store: client.repository({ registry: ref.registry, repository: ref.repository }),
    reference: ref.digest ?? ref.tag ?? 'latest',
    name: options.image!,
  };
}

/**
 * Generates the SBOM of exactly one of `image`, `layout`, `store` or `path`. Throws
 * INVALID_OPTIONS when none or several are given; walker and registry errors pass through.
 */
export async function generateSbom(options: GenerateSbomOptions): Promise<SbomResult> {
  const logger = options.logger ?? silentLogger;
  const given = (['image', 'layout', 'store', 'path'] as const).filter((k) => options[k] !== undefined);
  if (given.length !== 1) {
    throw new SbomError(
      'INVALID_OPTIONS',
      given.length === 0
        ? 'nothing to catalog: give an image, an OCI layout or a path'
        : `give only one of image, layout, store or path (got ${given.join(', ')})`,
    );
  }
  // A platform that cannot be one is refused before anything is read (INVALID_PLATFORM).
  if (options.platform !== undefined) parsePlatform(options.platform);
  let inventory: Inventory;
  let layers: LayerStats[] | undefined;
  let subject: SbomSubject | undefined;
  if (options.path !== undefined) {
    const catalogers = options.catalogers ?? [...SOURCE_CATALOGERS, ...IMAGE_CATALOGERS];
    const wanted = globMatcher([...OS_RELEASE_GLOBS, ...catalogers.flatMap((c) => c.globs)]);
    const files = await walkDirectory(options.path, wanted, options);
    inventory = catalog(files, { type: 'directory', name: options.path }, catalogers, logger);
  } else {
    const catalogers = options.catalogers ?? IMAGE_CATALOGERS;
    // A cataloger with a streaming scan gets windows of its files, not the whole files.
    const wanted = globMatcher([
      ...OS_RELEASE_GLOBS,
      ...catalogers.filter((c) => !c.scan).flatMap((c) => c.globs),
    ]);
    const scans = catalogers.flatMap((c) => (c.scan ? [c.scan] : []));
    const { store, reference, name } = await openImage(options);
    // The tag is resolved here, once; the walk and the subject use the digest. A reference that
    // resolves to nothing is fetched, for the store's own MANIFEST_UNKNOWN error.
    const top = (await store.resolve(reference)) ?? (await store.getManifest(reference)).descriptor;
    const walked = await walkImage(store, top.digest, wanted, options, scans);
    layers = walked.layers;
    subject = {
      store,
      name: store.name,
      digest: top.digest,
      manifestDigest: walked.image.descriptor.digest,
    };
    inventory = catalog(
      walked.files,
      { type: 'image', name, digest: walked.image.descriptor.digest, platform: walked.image.platform },
      catalogers,
      logger,
    );
  }
  logger.info(`cataloged ${inventory.packages.length} packages in ${inventory.source.name}`);
  return {
    inventory,
    ...(subject && { subject }),
    packages: inventory.packages,
    cyclonedx: toCycloneDx(inventory, options),
    spdx: toSpdx(inventory, options),
    ...(layers && { layers }),
  };
}
