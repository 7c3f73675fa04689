/**
 * `builder: assemble`: an image made without a daemon, Docker or buildah, as ko, jib and
 * `crane append` make them: a base image (a registry or OCI-layout image, or scratch) plus one
 * reproducible layer per `files` line (layer.ts) and a config (image-config.ts), written to any
 * {@link ImageStore}: a registry repository or an OCI image layout.
 *
 * - The base is resolved once, to a digest. A base index gets the layers appended to each of its
 *   platforms (those `platforms` names, each of which must be there; buildx's attestation entries
 *   are left out, as they describe the base's manifests), and the result is an index again.
 * - Everything is read and checked (the base, its platforms, every source file's metadata) before
 *   anything is written to the target.
 * - The base's layers are made present in the target by the copy's own blob transfer (a mount
 *   within one registry, nothing when they are there, else streamed); the new layers are streamed
 *   into the target once each, whatever the number of platforms, and retried whole on a transient
 *   failure (a layer is the same bytes every time it is made).
 * - The manifests keep the base's format (Docker v2 or OCI); an OCI manifest notes its base in
 *   the `org.opencontainers.image.base.digest` (and, for a registry base, `.base.name`)
 *   annotations. Tags are written last.
 */
import { silentLogger, type Logger } from '../logger.ts';
import { defaultRetryPolicy, withRetry, type RetryPolicy } from '../retry.ts';
import { readBlob } from '../oci/blob.ts';
import { copyBlobs, isTransient, type BlobCopyResult } from '../oci/copy.ts';
import { digestOf, parseDigest } from '../oci/digest.ts';
import { OciError } from '../oci/errors.ts';
import { describePlatforms, formatPlatform, platformMatches, platformNotFound } from '../oci/platform.ts';
import type { ImageStore } from '../oci/store.ts';
import {
  IMAGE_MANIFEST_MEDIA_TYPES,
  isIndex,
  MediaType,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type ManifestData,
  type Platform,
} from '../oci/types.ts';
import type { ResourceDescriptor } from '../sign/attestation.ts';
import type { ConfigChanges, FileOwner, FileSpec } from './assemble-spec.ts';
import { BuildError } from './errors.ts';
import { applyConfig, createdTime, scratchConfig, type ImageConfigDocument } from './image-config.ts';
import { collectLayerEntries, createLayer, type LayerDigests, type LayerEntry } from './layer.ts';

export interface AssembleBase {
  store: ImageStore;
  /** The tag or digest to read there. */
  reference: string;
  /**
   * The reference as the user named it (`docker.io/library/node:22`), for the base-name
   * annotation and provenance: registry bases only (a layout's directory differs between
   * machines, and would change the digest).
   */
  name?: string;
}

export interface AssembleRequest {
  /** The directory `files` sources are relative to. */
  context: string;
  /** The base image; undefined for scratch. */
  base?: AssembleBase;
  files: readonly FileSpec[];
  config: ConfigChanges;
  /** A base index's platforms to keep, or a scratch image's platforms; empty: all (scratch: linux/amd64). */
  platforms: readonly Platform[];
  owner: FileOwner;
  /** Seconds since 1970: every tar mtime, and the config's `created` and history. */
  sourceDateEpoch: number;
  target: ImageStore;
  /** Tags to point at the image in the target, written last. */
  tags: readonly string[];
  logger?: Logger;
  /** Retries of a layer upload or blob copy that fails part-way. */
  retry?: RetryPolicy;
}

export interface AssembledLayer extends LayerDigests {
  source: string;
  destination: string;
  /** Tar entries (files, directories, links). */
  entries: number;
}

export interface AssembledImage {
  platform: Platform;
  digest: string;
  mediaType: string;
  size: number;
  configDigest: string;
  /** The base's manifest for this platform. */
  baseDigest?: string;
}

export interface AssembleResult {
  /** What the tags name: the image manifest, or the index of the platforms' manifests. */
  digest: string;
  mediaType: string;
  size: number;
  /** The base, resolved once (an index's digest, or its one manifest's); undefined for scratch. */
  base?: { name?: string; digest: string; mediaType: string };
  layers: AssembledLayer[];
  images: AssembledImage[];
  /** The base's layers made present in the target. */
  baseBlobs: BlobCopyResult;
  tags: string[];
}

/** One platform's image to make: its base manifest and config (or scratch's) and the formats to keep. */
interface Plan {
  platform: Platform;
  /** The platform of the base index's entry, kept as it is in the new index. */
  entryPlatform: Platform;
  base?: ManifestData & { manifest: ImageManifest };
  config: ImageConfigDocument;
  docker: boolean;
}

const DOCKER_REFERENCE_TYPE = 'vnd.docker.reference.type';
const DEFAULT_SCRATCH_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };
const BASE_DIGEST = 'org.opencontainers.image.base.digest';
const BASE_NAME = 'org.opencontainers.image.base.name';

/** Assembles and stores the image (see the module comment). */
export async function assemble(request: AssembleRequest): Promise<AssembleResult> {
  const logger = request.logger ?? silentLogger;
  const retry = request.retry ?? defaultRetryPolicy;
  const { root, plans } = await planImages(request);
  const entries: LayerEntry[][] = [];
  for (const spec of request.files) entries.push(await collectLayerEntries(request.context, spec));
  for (const plan of plans)
    logger.info(`platform ${formatPlatform(plan.platform)}: ${baseText(request, plan)}`);

  const baseLayers = new Map<string, Descriptor>();
  for (const plan of plans)
    for (const layer of plan.base?.manifest.layers ?? [])
      if (!layer.urls?.length) baseLayers.set(layer.digest, layer);
  const baseBlobs = request.base
    ? await copyBlobs(request.base.store, request.target, [...baseLayers.values()], { retry, logger })
    : { blobsCopied: 0, blobsMounted: 0, blobsSkipped: 0, bytesCopied: 0 };
  if (baseLayers.size > 0)
    logger.info(
      `base layers in ${request.target.name}: ${baseBlobs.blobsMounted} mounted, ${baseBlobs.blobsSkipped} already there, ${baseBlobs.blobsCopied} copied (${baseBlobs.bytesCopied} bytes)`,
    );

  const layers: AssembledLayer[] = [];
  for (const [i, spec] of request.files.entries()) {
    const digests = await pushLayer(request.target, entries[i]!, request, retry);
    layers.push({
      ...digests,
      source: spec.source,
      destination: spec.destination,
      entries: entries[i]!.length,
    });
    logger.info(
      `layer ${i + 1}/${request.files.length} ${spec.source} → ${spec.destination}: ${entries[i]!.length} entries, ${digests.uncompressedSize} bytes of tar, ${digests.size} gzipped, ${digests.digest}`,
    );
  }

  const created = createdTime(request.sourceDateEpoch);
  const configLayers = layers.map((l) => ({
    diffId: l.diffId,
    createdBy: `build-sign assemble: COPY ${l.source} ${l.destination}`,
  }));
  const single = root === undefined || !isIndex(root.manifest);
  const images: AssembledImage[] = [];
  let rootBytes: Buffer | undefined;
  for (const plan of plans) {
    const config = Buffer.from(
      JSON.stringify(applyConfig(plan.config, request.config, configLayers, created)),
    );
    const configDescriptor: Descriptor = {
      mediaType: plan.docker ? MediaType.DockerConfig : MediaType.OciConfig,
      digest: digestOf(config),
      size: config.length,
    };
    await request.target.putBlob(configDescriptor, config);
    const layerType = plan.docker ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip;
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: plan.docker ? MediaType.DockerManifest : MediaType.OciManifest,
      config: configDescriptor,
      layers: [
        ...(plan.base?.manifest.layers ?? []),
        ...layers.map((l) => ({ mediaType: layerType, digest: l.digest, size: l.size })),
      ],
    };
    if (!plan.docker && plan.base)
      manifest.annotations = {
        [BASE_DIGEST]: plan.base.descriptor.digest,
        ...(request.base?.name !== undefined && { [BASE_NAME]: request.base.name }),
      };
    const bytes = Buffer.from(JSON.stringify(manifest));
    rootBytes = bytes;
    const stored = await request.target.putManifest(
      bytes,
      manifest.mediaType!,
      single && plans.length === 1 ? request.tags[0] : undefined,
    );
    images.push({
      platform: plan.platform,
      digest: stored.digest,
      mediaType: stored.mediaType,
      size: stored.size,
      configDigest: configDescriptor.digest,
      ...(plan.base && { baseDigest: plan.base.descriptor.digest }),
    });
  }

  let rootDescriptor: Descriptor;
  if (images.length === 1 && single) {
    rootDescriptor = images[0]!;
  } else {
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: root && isIndex(root.manifest) ? root.descriptor.mediaType : MediaType.OciIndex,
      manifests: images.map((image, i) => ({
        mediaType: image.mediaType,
        digest: image.digest,
        size: image.size,
        platform: plans[i]!.entryPlatform,
      })),
    };
    rootBytes = Buffer.from(JSON.stringify(index));
    rootDescriptor = await request.target.putManifest(rootBytes, index.mediaType!, request.tags[0]);
  }
  // Tags last (the first went with the manifest itself).
  for (const tag of request.tags.slice(1))
    await request.target.putManifest(rootBytes!, rootDescriptor.mediaType, tag);
  logger.info(
    `assembled ${request.target.name}@${rootDescriptor.digest}${request.tags.length ? ` (${request.tags.join(', ')})` : ''}`,
  );
  return {
    digest: rootDescriptor.digest,
    mediaType: rootDescriptor.mediaType,
    size: rootDescriptor.size,
    ...(root && {
      base: {
        ...(request.base?.name !== undefined && { name: request.base.name }),
        digest: root.descriptor.digest,
        mediaType: root.descriptor.mediaType,
      },
    }),
    layers,
    images,
    baseBlobs,
    tags: [...request.tags],
  };
}

/** Streams one layer into the target, made again from the files on a transient failure. */
async function pushLayer(
  target: ImageStore,
  entries: readonly LayerEntry[],
  request: AssembleRequest,
  retry: RetryPolicy,
): Promise<LayerDigests> {
  return withRetry(
    async () => {
      const layer = createLayer(entries, { owner: request.owner, mtime: request.sourceDateEpoch });
      const stored = await target.putBlobStream(layer.stream);
      const digests = layer.digests();
      if (stored.digest !== digests.digest || stored.size !== digests.size)
        throw new BuildError(
          'PUSH_FAILED',
          `${target.name} stored the layer as ${stored.digest} (${stored.size} bytes), but ${digests.digest} (${digests.size} bytes) was sent`,
        );
      return digests;
    },
    { policy: retry, decide: (err) => (isTransient(err) ? {} : false) },
  );
}

/** Reads the base (once) and works out each platform's image, checking `platforms` against it. */
async function planImages(request: AssembleRequest): Promise<{ root?: ManifestData; plans: Plan[] }> {
  const wanted = request.platforms;
  if (!request.base) {
    const platforms = wanted.length > 0 ? wanted : [DEFAULT_SCRATCH_PLATFORM];
    return {
      plans: platforms.map((platform) => ({
        platform,
        entryPlatform: platform,
        config: scratchConfig(platform),
        docker: false,
      })),
    };
  }
  const { store, reference } = request.base;
  const what = `the base image ${request.base.name ?? store.name}`;
  const root = await store.getManifest(reference).catch((err: unknown) => {
    if (err instanceof OciError && err.code === 'MANIFEST_UNKNOWN')
      throw new BuildError(
        'IMAGE_NOT_FOUND',
        `${what} is not there (${store.name} has no ${reference}): push it first, or name another base`,
        { cause: err },
      );
    throw err;
  });
  if (!isIndex(root.manifest)) {
    const plan = await planOf(store, root, undefined, what);
    for (const w of wanted)
      if (!platformMatches(plan.platform, w))
        throw platformNotFound(what, [w], formatPlatform(plan.platform));
    return { root, plans: [plan] };
  }
  const entries = root.manifest.manifests.filter(
    (d) =>
      IMAGE_MANIFEST_MEDIA_TYPES.includes(d.mediaType) &&
      d.annotations?.[DOCKER_REFERENCE_TYPE] === undefined &&
      d.platform?.os !== 'unknown',
  );
  for (const w of wanted)
    if (!entries.some((d) => platformMatches(d.platform, w)))
      throw platformNotFound(what, [w], describePlatforms(entries));
  const kept = wanted.length > 0 ? entries.filter((d) => platformMatches(d.platform, wanted)) : entries;
  if (kept.length === 0)
    throw new BuildError(
      'BASE_INVALID',
      `${what} (${root.descriptor.digest}) is an index without image manifests: name an image as base-image`,
    );
  const plans: Plan[] = [];
  for (const entry of kept)
    plans.push(await planOf(store, await store.getManifest(entry.digest), entry, what));
  return { root, plans };
}

async function planOf(
  store: ImageStore,
  data: ManifestData,
  entry: Descriptor | undefined,
  what: string,
): Promise<Plan> {
  const manifest = data.manifest as ImageManifest;
  const configType = manifest.config?.mediaType;
  if (configType !== MediaType.OciConfig && configType !== MediaType.DockerConfig)
    throw new BuildError(
      'BASE_INVALID',
      `${what} (${data.descriptor.digest}) is not a container image: its config is ${configType ?? 'missing'}`,
    );
  let config: ImageConfigDocument;
  try {
    const bytes = await readBlob(store, manifest.config, { what: 'base image config' });
    config = JSON.parse(bytes.toString('utf8')) as ImageConfigDocument;
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error('not a JSON object');
  } catch (err) {
    if (err instanceof OciError) throw err;
    throw new BuildError(
      'BASE_INVALID',
      `${what}: its config ${manifest.config.digest} is not a JSON object`,
      {
        cause: err,
      },
    );
  }
  const platform: Platform = {
    os: String(config.os ?? entry?.platform?.os ?? ''),
    architecture: String(config.architecture ?? entry?.platform?.architecture ?? ''),
    ...(typeof config.variant === 'string' && { variant: config.variant }),
  };
  return {
    platform,
    entryPlatform: entry?.platform ?? platform,
    base: data as ManifestData & { manifest: ImageManifest },
    config,
    docker: data.descriptor.mediaType === MediaType.DockerManifest,
  };
}

function baseText(request: AssembleRequest, plan: Plan): string {
  if (!plan.base) return 'from scratch';
  const name = request.base?.name ?? request.base?.store.name ?? 'base';
  return `on ${name}@${plan.base.descriptor.digest} (${plan.base.manifest.layers.length} layers)`;
}

/**
 * What the image was made of, for SLSA provenance's `resolvedDependencies`: the base by digest
 * (`pkg:docker/<name>` for a registry base), and each layer's files by the digest of their tar (the
 * layer's diff_id) with where they went and the layer's digest.
 */
export function assembleMaterials(result: AssembleResult): ResourceDescriptor[] {
  const materials: ResourceDescriptor[] = [];
  if (result.base) {
    const { algorithm, hex } = parseDigest(result.base.digest);
    materials.push({
      ...(result.base.name !== undefined
        ? { uri: `pkg:docker/${result.base.name}` }
        : { name: 'base-image' }),
      digest: { [algorithm]: hex },
      annotations: { mediaType: result.base.mediaType },
    });
  }
  for (const layer of result.layers) {
    const { algorithm, hex } = parseDigest(layer.diffId);
    materials.push({
      name: layer.source,
      digest: { [algorithm]: hex },
      annotations: { destination: layer.destination, layer: layer.digest },
    });
  }
  return materials;
}
