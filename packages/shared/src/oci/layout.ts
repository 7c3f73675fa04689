/**
 * An OCI image layout directory (image-spec `image-layout.md`) behind {@link ImageStore}: an
 * `oci-layout` file (`{"imageLayoutVersion":"1.0.0"}`), an `index.json` image index, and blobs at
 * `blobs/<algorithm>/<hex>`. Tags are the `org.opencontainers.image.ref.name` annotation of the
 * `index.json` entries, one entry per tag.
 *
 * Decisions:
 * - An untagged manifest gets an `index.json` entry (without a ref name) only when it needs one:
 *   when it has a `subject` (a referrer must be listed for {@link LayoutStore.referrers} to find it,
 *   and for garbage collectors to keep it), or when nothing listed in `index.json` reaches it yet.
 *   Putting an index removes the untagged entries of the manifests it now reaches (referrers stay),
 *   so after copying a multi-platform image its children live in `blobs/` only, as in
 *   go-containerregistry's `WriteBlob`, while a lone image copied by digest stays reachable.
 * - A manifest is refused (BLOB_UNKNOWN, MANIFEST_UNKNOWN) unless the blobs and manifests it lists
 *   are present (those with `urls`, such as foreign layers, excepted), as a registry does; its
 *   `subject` need not be present.
 * - Every file lands by rename from a temporary file in the same directory, written with fsync: a
 *   reader never sees half a blob or half an `index.json`. Updates of `index.json` are serialised
 *   within the process (per directory, across store instances); other processes are not locked out.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline as pipelineCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readLimited } from './blob.ts';
import { DigestingStream, digestOf, parseDigest, VerifyingStream, verifyDigest } from './digest.ts';
import { OciError } from './errors.ts';
import type { ImageStore } from './store.ts';
import {
  childrenOf,
  isIndex,
  isIndexMediaType,
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  MediaType,
  parseManifest,
  type Descriptor,
  type ImageIndex,
  type ManifestData,
} from './types.ts';

export const OCI_LAYOUT_VERSION = '1.0.0';
/** The annotation of an `index.json` entry that holds its tag. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export interface LayoutOpenOptions {
  /** Create the layout when the directory is missing or empty (default false). */
  create?: boolean;
}

/** What referrers and reachability need to know about a stored manifest (immutable, so cached). */
interface ManifestInfo {
  mediaType: string;
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** The manifests an index lists; empty for an image manifest. */
  children: Descriptor[];
}

const TAG_RE = /^[\w][\w.-]{0,127}$/;
const indexLocks = new Map<string, Promise<void>>();

export class LayoutStore implements ImageStore {
  readonly name: string;
  /** The layout directory, absolute and with symbolic links resolved. */
  readonly path: string;
  private readonly infos = new Map<string, ManifestInfo>();

  private constructor(dir: string, absolute: string) {
    this.name = `oci-layout:${dir}`;
    this.path = absolute;
  }

  /**
   * Opens the layout in `dir`. Throws LAYOUT_ERROR, naming the directory and the problem, when it
   * is missing (unless `create`), not a layout, of another `imageLayoutVersion`, or has a broken
   * `index.json`. With `create`, a missing or empty directory becomes an empty layout; a non-empty
   * directory without an `oci-layout` file is never written into.
   */
  static async open(dir: string, options: LayoutOpenOptions = {}): Promise<LayoutStore> {
    const absolute = path.resolve(dir);
    const info = await stat(absolute).catch(ifMissing(undefined));
    if (!info) {
      if (!options.create)
        throw layoutError(
          absolute,
          'does not exist: name the directory of an OCI image layout (one holding an oci-layout file and index.json), e.g. what buildah push or skopeo copy wrote with oci:<dir>',
        );
      await mkdir(absolute, { recursive: true });
      await initialise(absolute);
    } else if (!info.isDirectory()) {
      throw layoutError(absolute, 'is not a directory');
    } else {
      const marker = await readFile(path.join(absolute, 'oci-layout'), 'utf8').catch(ifMissing(undefined));
      if (marker === undefined) {
        if (!options.create)
          throw layoutError(absolute, 'is not an OCI image layout: it has no oci-layout file');
        if ((await readdir(absolute)).length > 0) {
          throw layoutError(
            absolute,
            'is not an OCI image layout (no oci-layout file) and is not empty: choose a new or empty directory',
          );
        }
        await initialise(absolute);
      } else {
        checkLayoutVersion(absolute, marker);
        const hasIndex = await stat(path.join(absolute, 'index.json')).then(() => true, ifMissing(false));
        if (!hasIndex) {
          if (!options.create)
            throw layoutError(absolute, 'is not a complete OCI image layout: index.json is missing');
          await writeFileAtomic(path.join(absolute, 'index.json'), emptyIndex());
        }
      }
    }
    const store = new LayoutStore(dir, await realpath(absolute));
    await store.readIndex();
    return store;
  }

  async resolve(reference: string): Promise<Descriptor | undefined> {
    const digest = digestReference(reference);
    const { manifests } = await this.readIndex();
    const entry = digest
      ? manifests.find((m) => m.digest === digest)
      : manifests.findLast((m) => refName(m) === reference);
    if (entry) return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    if (!digest) return undefined;
    // A manifest reachable only from an index lives in blobs/ without an entry: read it to know its type.
    const size = await this.blobSize(digest);
    if (size === undefined || size > MAX_MANIFEST_BYTES) return undefined;
    try {
      const data = await this.loadManifest({ mediaType: '', digest, size });
      return data?.descriptor;
    } catch (err) {
      // A blob that is not a manifest (a layer, a config) is not found, as on a registry.
      if (err instanceof OciError && (err.code === 'MANIFEST_INVALID' || err.code === 'UNSUPPORTED'))
        return undefined;
      throw err;
    }
  }

  async getManifest(reference: string): Promise<ManifestData> {
    const descriptor = await this.resolve(reference);
    if (!descriptor) {
      throw new OciError('MANIFEST_UNKNOWN', `${this.name} has no manifest ${describeReference(reference)}`);
    }
    const data = await this.loadManifest(descriptor);
    if (!data) {
      throw new OciError(
        'MANIFEST_UNKNOWN',
        `${this.name} lists ${descriptor.digest} for ${reference} but ${this.blobPath(descriptor.digest)} is missing`,
      );
    }
    return data;
  }

  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Descriptor> {
    if (tag !== undefined && !TAG_RE.test(tag)) {
      throw new OciError(
        'INVALID_REFERENCE',
        `invalid tag "${tag}": up to 128 letters, digits, '_', '.', '-', not starting with '.' or '-'`,
      );
    }
    if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
      throw new OciError('UNSUPPORTED', `unsupported manifest media type ${mediaType}`);
    }
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new OciError(
        'MANIFEST_TOO_LARGE',
        `manifest of ${bytes.length} bytes exceeds the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    const parsed = parseManifest(bytes, mediaType);
    if (parsed.mediaType !== mediaType) {
      throw new OciError(
        'MANIFEST_INVALID',
        `manifest says it is ${parsed.mediaType} but was put as ${mediaType}`,
      );
    }
    const index = isIndex(parsed.manifest);
    for (const child of childrenOf(parsed.manifest)) {
      if (child.urls?.length || (await this.hasBlob(child.digest))) continue;
      throw new OciError(
        index ? 'MANIFEST_UNKNOWN' : 'BLOB_UNKNOWN',
        `cannot store the manifest in ${this.name}: it refers to ${child.digest} (${child.mediaType}), which is not there yet; store it first`,
      );
    }
    const descriptor: Descriptor = { mediaType, digest: digestOf(bytes), size: bytes.length };
    await this.putBlob(descriptor, bytes);
    const info = this.remember(descriptor.digest, parsed);

    await this.updateIndex(async (manifests) => {
      const { digest } = descriptor;
      const entry: Descriptor = {
        ...descriptor,
        ...(parsed.manifest.artifactType !== undefined && { artifactType: parsed.manifest.artifactType }),
      };
      let next = manifests;
      if (tag !== undefined) {
        // The tag's entry is replaced where it stands (kept as is if it already names this
        // manifest), and an untagged entry of this manifest is no longer needed.
        const tagged: Descriptor = { ...entry, annotations: { [ANNOTATION_REF_NAME]: tag } };
        let placed = false;
        next = next.flatMap((m) => {
          if (refName(m) === tag) {
            if (placed) return [];
            placed = true;
            return [m.digest === digest ? m : tagged];
          }
          return m.digest === digest && refName(m) === undefined ? [] : [m];
        });
        if (!placed) next.push(tagged);
      } else if (!next.some((m) => m.digest === digest)) {
        if (info.subject !== undefined || !(await this.isReachable(digest, next))) next = [...next, entry];
      }
      if (info.children.length > 0) {
        const reached = new Set(info.children.map((c) => c.digest));
        const pruned: Descriptor[] = [];
        for (const m of next) {
          const drop = refName(m) === undefined && reached.has(m.digest) && !(await this.isReferrer(m));
          if (!drop) pruned.push(m);
        }
        next = pruned;
      }
      return next;
    });
    return descriptor;
  }

  async hasBlob(digest: string): Promise<boolean> {
    return (await this.blobSize(digest)) !== undefined;
  }

  async getBlob(descriptor: Descriptor): Promise<Readable> {
    const file = this.blobPath(descriptor.digest);
    const handle = await open(file, 'r').catch(ifMissing(undefined));
    if (!handle) throw new OciError('BLOB_UNKNOWN', `${this.name} has no blob ${descriptor.digest}`);
    const verifier = new VerifyingStream(descriptor.digest, descriptor.size, `blob in ${this.name}`);
    // Errors of either stream end up on `verifier`, the one the caller reads.
    pipelineCallback(handle.createReadStream(), verifier, () => {});
    return verifier;
  }

  /**
   * Stores a blob through a temporary file beside its final path, verifying digest and size as it
   * is written, and renames it into place. Skipped (a stream is then destroyed unread) when a blob of
   * that digest and size is already there.
   */
  async putBlob(descriptor: Descriptor, content: Buffer | Readable): Promise<void> {
    const final = this.blobPath(descriptor.digest);
    if ((await this.blobSize(descriptor.digest)) === descriptor.size) {
      if (!Buffer.isBuffer(content)) content.destroy();
      return;
    }
    const what = `blob for ${this.name}`;
    if (Buffer.isBuffer(content)) {
      if (content.length !== descriptor.size) {
        throw new OciError(
          'SIZE_MISMATCH',
          `${what} ${descriptor.digest} has ${content.length} bytes, its descriptor says ${descriptor.size}`,
        );
      }
      verifyDigest(content, descriptor.digest, what);
    }
    await mkdir(path.dirname(final), { recursive: true });
    await landAtomically(final, async (temp) => {
      if (Buffer.isBuffer(content)) {
        await writeFile(temp, content, { flag: 'wx', flush: true });
      } else {
        const verifier = new VerifyingStream(descriptor.digest, descriptor.size, what);
        await pipeline(content, verifier, createWriteStream(temp, { flags: 'wx', flush: true }));
      }
    });
  }

  /**
   * Stores a blob of unknown digest: written to a temporary file in `blobs/sha256/` while it is
   * hashed, then renamed to the digest it turned out to have (or dropped, when that blob is there).
   */
  async putBlobStream(content: Readable): Promise<{ digest: string; size: number }> {
    const dir = path.join(this.path, 'blobs', 'sha256');
    await mkdir(dir, { recursive: true });
    const temp = path.join(dir, `.upload.${randomBytes(6).toString('hex')}.tmp`);
    const hashed = new DigestingStream();
    try {
      await pipeline(content, hashed, createWriteStream(temp, { flags: 'wx', flush: true }));
      const digest = hashed.digest();
      if ((await this.blobSize(digest)) === hashed.bytes) await rm(temp, { force: true });
      else await rename(temp, this.blobPath(digest));
      return { digest, size: hashed.bytes };
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** The ref names in `index.json`, sorted and without duplicates. */
  async listTags(): Promise<string[]> {
    const { manifests } = await this.readIndex();
    const tags = new Set(manifests.map(refName).filter((t): t is string => t !== undefined));
    return [...tags].sort();
  }

  /**
   * The manifests listed in `index.json` whose `subject` is `digest`, described as the OCI
   * referrers API does (artifactType = the manifest's `artifactType`, else its config's media type).
   */
  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    parseDigest(digest);
    const { manifests } = await this.readIndex();
    const found = new Map<string, Descriptor>();
    for (const entry of manifests) {
      if (found.has(entry.digest) || !MANIFEST_MEDIA_TYPES.includes(entry.mediaType)) continue;
      const info = await this.info(entry);
      if (info.subject !== digest) continue;
      if (artifactType !== undefined && info.artifactType !== artifactType) continue;
      found.set(entry.digest, {
        mediaType: info.mediaType,
        digest: entry.digest,
        size: entry.size,
        ...(info.artifactType !== undefined && { artifactType: info.artifactType }),
        ...(info.annotations !== undefined && { annotations: info.annotations }),
      });
    }
    return [...found.values()];
  }

  private blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.path, 'blobs', algorithm, hex);
  }

  private async blobSize(digest: string): Promise<number | undefined> {
    const info = await stat(this.blobPath(digest)).catch(ifMissing(undefined));
    return info?.isFile() ? info.size : undefined;
  }

  /** Reads, verifies and parses a manifest blob; `undefined` when the blob is absent. */
  private async loadManifest(descriptor: Descriptor): Promise<ManifestData | undefined> {
    const handle = await open(this.blobPath(descriptor.digest), 'r').catch(ifMissing(undefined));
    if (!handle) return undefined;
    let bytes: Buffer;
    try {
      const tooLarge = (size?: number) =>
        new OciError(
          'MANIFEST_TOO_LARGE',
          `manifest ${descriptor.digest} in ${this.name} has ${size ?? 'more'} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
        );
      const { size } = await handle.stat();
      if (size > MAX_MANIFEST_BYTES) throw tooLarge(size);
      bytes = await readLimited(handle.createReadStream({ autoClose: false }), MAX_MANIFEST_BYTES, () =>
        tooLarge(),
      );
    } finally {
      await handle.close();
    }
    verifyDigest(bytes, descriptor.digest, `manifest in ${this.name}`);
    if (descriptor.size !== bytes.length) {
      throw new OciError(
        'SIZE_MISMATCH',
        `manifest ${descriptor.digest} in ${this.name} has ${bytes.length} bytes, its descriptor says ${descriptor.size}`,
      );
    }
    const parsed = parseManifest(bytes, descriptor.mediaType || undefined);
    this.remember(descriptor.digest, parsed);
    return {
      descriptor: { mediaType: parsed.mediaType, digest: descriptor.digest, size: bytes.length },
      bytes,
      manifest: parsed.manifest,
    };
  }

  private remember(digest: string, parsed: ReturnType<typeof parseManifest>): ManifestInfo {
    const { manifest, mediaType } = parsed;
    const info: ManifestInfo = {
      mediaType,
      ...(manifest.subject && { subject: manifest.subject.digest }),
      ...(manifest.annotations && { annotations: manifest.annotations }),
      children: isIndex(manifest) ? manifest.manifests : [],
    };
    const artifactType = manifest.artifactType ?? (isIndex(manifest) ? undefined : manifest.config.mediaType);
    if (artifactType !== undefined) info.artifactType = artifactType;
    this.infos.set(digest, info);
    return info;
  }

  private async info(descriptor: Descriptor): Promise<ManifestInfo> {
    const known = this.infos.get(descriptor.digest);
    if (known) return known;
    if (!(await this.loadManifest(descriptor))) {
      throw layoutError(this.path, `lists ${descriptor.digest} in index.json but its blob is missing`);
    }
    return this.infos.get(descriptor.digest)!;
  }

  /** Whether an index listed in `index.json` reaches `digest`, directly or through nested indexes. */
  private async isReachable(digest: string, manifests: Descriptor[]): Promise<boolean> {
    const queue = manifests.filter((m) => isIndexMediaType(m.mediaType));
    const seen = new Set<string>();
    for (let next = queue.pop(); next; next = queue.pop()) {
      if (seen.has(next.digest)) continue;
      seen.add(next.digest);
      // An unreadable index reaches nothing here: an extra entry is harmless, a lost one is not.
      const info = await this.info(next).catch(() => undefined);
      for (const child of info?.children ?? []) {
        if (child.digest === digest) return true;
        if (isIndexMediaType(child.mediaType)) queue.push(child);
      }
    }
    return false;
  }

  private async isReferrer(entry: Descriptor): Promise<boolean> {
    const info = await this.info(entry).catch(() => undefined);
    return info === undefined || info.subject !== undefined;
  }

  private async readIndex(): Promise<ImageIndex> {
    const file = path.join(this.path, 'index.json');
    const text = await readFile(file, 'utf8').catch((err: unknown) => {
      throw layoutError(this.path, `has no readable index.json (${(err as Error).message})`, err);
    });
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw layoutError(this.path, 'has an index.json that is not valid JSON', err);
    }
    const index = doc as Partial<ImageIndex> | null;
    if (!index || typeof index !== 'object' || index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
      throw layoutError(
        this.path,
        'has an index.json that is not an image index (schemaVersion 2 with "manifests")',
      );
    }
    index.manifests.forEach((m: Partial<Descriptor> | null, i) => {
      if (
        !m ||
        typeof m.digest !== 'string' ||
        typeof m.mediaType !== 'string' ||
        typeof m.size !== 'number'
      ) {
        throw layoutError(
          this.path,
          `has an index.json whose manifests[${i}] lacks mediaType, digest or size`,
        );
      }
    });
    return index as ImageIndex;
  }

  /** Rewrites `index.json` with what `change` makes of its entries, one change at a time per directory. */
  private async updateIndex(change: (manifests: Descriptor[]) => Promise<Descriptor[]>): Promise<void> {
    const previous = indexLocks.get(this.path) ?? Promise.resolve();
    const run = previous.then(async () => {
      const index = await this.readIndex();
      const manifests = await change([...index.manifests]);
      const unchanged =
        manifests.length === index.manifests.length && manifests.every((m, i) => m === index.manifests[i]);
      if (unchanged) return;
      const next = { ...index, schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
      await writeFileAtomic(path.join(this.path, 'index.json'), JSON.stringify(next));
    });
    const tail = run.catch(() => {});
    indexLocks.set(this.path, tail);
    try {
      await run;
    } finally {
      if (indexLocks.get(this.path) === tail) indexLocks.delete(this.path);
    }
  }
}

function refName(descriptor: Descriptor): string | undefined {
  return descriptor.annotations?.[ANNOTATION_REF_NAME];
}

/**
 * The digest a reference names (validated), or `undefined` for a tag. Ref names written by other
 * tools may hold a colon (`example.com/app:1`), so only the digest algorithms we know mark a digest.
 */
function digestReference(reference: string): string | undefined {
  if (!/^sha(?:256|512):/.test(reference)) return undefined;
  parseDigest(reference);
  return reference;
}

function describeReference(reference: string): string {
  return digestReference(reference) ? reference : `tagged "${reference}"`;
}

function layoutError(dir: string, problem: string, cause?: unknown): OciError {
  return new OciError('LAYOUT_ERROR', `${dir} ${problem}`, cause === undefined ? undefined : { cause });
}

function checkLayoutVersion(dir: string, marker: string): void {
  let version: unknown;
  try {
    version = (JSON.parse(marker) as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
  } catch (err) {
    throw layoutError(dir, 'has an oci-layout file that is not valid JSON', err);
  }
  if (version !== OCI_LAYOUT_VERSION) {
    throw layoutError(
      dir,
      `has imageLayoutVersion ${JSON.stringify(version)} in its oci-layout file; only "${OCI_LAYOUT_VERSION}" is supported`,
    );
  }
}

function emptyIndex(): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
}

/** Writes blobs/, index.json, then oci-layout: the marker comes last, once the rest is there. */
async function initialise(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'blobs'), { recursive: true });
  await writeFileAtomic(path.join(dir, 'index.json'), emptyIndex());
  await writeFileAtomic(
    path.join(dir, 'oci-layout'),
    JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }),
  );
}

async function writeFileAtomic(target: string, data: string): Promise<void> {
  await landAtomically(target, (temp) => writeFile(temp, data, { flag: 'wx', flush: true }));
}

/** Lets `write` fill a fresh temporary file beside `target`, then renames it over `target`; removes it on failure. */
async function landAtomically(target: string, write: (temp: string) => Promise<void>): Promise<void> {
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await write(temp);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** A `.catch` handler that turns "no such file" into `value` and rethrows anything else. */
function ifMissing<T>(value: T): (err: unknown) => T {
  return (err) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return value;
    throw err;
  };
}
