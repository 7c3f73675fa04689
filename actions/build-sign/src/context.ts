/**
 * The action's inputs, keyed by their action.yml names, read and validated all at once before any
 * command or request. Secrets (registry password, GitHub token, cosign key and password) are
 * masked the moment they are read.
 */
import * as core from '@actions/core';
import {
  checkSources,
  parseArgs,
  parseEnv,
  parseEnvironmentEpoch,
  parseExposedPorts,
  parseFileOwner,
  parseFiles,
  parseSourceDateEpoch,
  parseUser,
  parseWorkdir,
  type FileOwner,
  type FileSpec,
} from '@release-actions/shared/build';
import {
  InputChecker,
  parseBoolean,
  parseChoice,
  parseDirectory,
  parseList,
} from '@release-actions/shared/github';
import {
  formatPlatform,
  isInsecureRegistry,
  isValidTag,
  normalizePlatform,
  parsePlatform,
  parseReference,
  parseRegistryReference,
  TAG_RULE,
  type ImageReference,
  type LayoutReference,
  type RegistryReference,
} from '@release-actions/shared/oci';
import {
  parseSignatureFormat,
  readPrivateKeyInput,
  SIGSTORE_PUBLIC_GOOD,
  type SignatureFormat,
} from '@release-actions/shared/sign';

export const BUILDERS = ['buildx', 'buildah', 'assemble', 'none'] as const;
export type Builder = (typeof BUILDERS)[number];
export const SIGNING_MODES = ['keyless', 'key'] as const;
export type SigningMode = (typeof SIGNING_MODES)[number];

export interface Inputs {
  builder: Builder;
  /**
   * builder none: the image to sign, with a tag or digest, in a registry or an OCI image layout
   * (`oci-layout:<dir>[:tag|@digest]`; untagged: the layout's only image). Otherwise the repository
   * the tags are relative to (no tag or digest; with assemble also `oci-layout:<dir>`), or
   * undefined when every tag is a full reference.
   */
  image: ImageReference | undefined;
  /** Full references with a tag, all in one repository (builders; empty when assemble writes to a layout). */
  tags: RegistryReference[];
  /** builder assemble writing to an OCI image layout (`oci-layout:<dir>:<tag>` tags): the layout and the tags there. */
  layoutTarget: { path: string; tags: string[] } | undefined;
  context: string;
  file: string | undefined;
  'build-args': Array<[string, string]>;
  labels: Array<[string, string]>;
  platforms: string[];
  target: string | undefined;
  'buildah-storage-driver': string | undefined;
  'buildah-isolation': string | undefined;
  /** builder assemble: the base image; undefined for scratch. */
  'base-image': ImageReference | undefined;
  files: FileSpec[];
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
  env: Array<[string, string]>;
  workdir: string | undefined;
  user: string | undefined;
  'exposed-ports': string[];
  'file-owner': FileOwner;
  /** The input; undefined: SOURCE_DATE_EPOCH (checked here), else HEAD's commit time, else 0, at build time. */
  'source-date-epoch': number | undefined;
  username: string | undefined;
  password: string | undefined;
  'github-token': string | undefined;
  'insecure-registries': string[];
  signing: SigningMode;
  /** The cosign private key's PEM text (read from the file when a path was given); decrypted at set-up. */
  'cosign-key': string | undefined;
  'cosign-password': string;
  'signature-format': SignatureFormat;
  annotations: Record<string, string>;
  provenance: boolean;
  'fulcio-url': string;
  /** Rekor for keyless signatures (key signatures are not logged, as cosign --tlog-upload=false). */
  'rekor-url': string;
  'tsa-url': string | undefined;
}

/** Masks a secret, line by line as well (the runner masks a multi-line value only whole). */
export function maskSecret(value: string): void {
  if (!value) return;
  core.setSecret(value);
  for (const line of value.split(/\r?\n/)) {
    const text = line.trim();
    // PEM armour lines (-----BEGIN …-----) are not secret; masking them would garble our hints.
    if (text.length >= 8 && !text.startsWith('-----')) core.setSecret(text);
  }
}

export function getInputs(): Inputs {
  const check = new InputChecker();
  const raw = (name: string) => core.getInput(name);
  const orUndefined = (name: string) => raw(name) || undefined;

  // Secrets first: masked before anything could print them. cosign-key is PEM text (masked as it
  // is read) or the path of a key file (the path is not secret; the file's contents are masked).
  const password = core.getInput('password');
  const githubToken = core.getInput('github-token');
  const cosignPassword = core.getInput('cosign-password', { trimWhitespace: false });
  for (const secret of [password, githubToken, cosignPassword]) maskSecret(secret);
  const cosignKeyText = core.getInput('cosign-key');
  const cosignKey = cosignKeyText
    ? check.field(
        'cosign-key',
        () => readPrivateKeyInput(cosignKeyText, { input: 'cosign-key', onSecret: (s) => core.setSecret(s) }),
        '',
      )
    : '';

  const builder = check.field('builder', () => parseChoice(raw('builder') || 'buildx', BUILDERS), 'none');
  const signing = check.field(
    'signing',
    () => parseChoice(raw('signing') || 'keyless', SIGNING_MODES),
    'keyless',
  );
  const imageText = raw('image');
  const image =
    imageText === '' ? undefined : check.field('image', () => parseImage(imageText, builder), undefined);
  const tagTexts = parseList(raw('tags'), { commas: true });

  const assemble = builder === 'assemble';
  const inputs: Inputs = {
    builder,
    image,
    tags: [],
    layoutTarget: undefined,
    context: raw('context') || '.',
    file: orUndefined('file'),
    'build-args': check.field('build-args', () => parsePairs(raw('build-args'), 'NAME=value'), []),
    labels: check.field('labels', () => parsePairs(raw('labels'), 'name=value'), []),
    platforms: check.field('platforms', () => parsePlatforms(raw('platforms')), []),
    target: orUndefined('target'),
    'buildah-storage-driver': orUndefined('buildah-storage-driver'),
    'buildah-isolation': check.field(
      'buildah-isolation',
      () =>
        raw('buildah-isolation')
          ? parseChoice(raw('buildah-isolation'), ['oci', 'chroot', 'rootless'])
          : undefined,
      undefined,
    ),
    'base-image': assemble
      ? check.field('base-image', () => parseBase(raw('base-image')), undefined)
      : undefined,
    files: assemble ? check.field('files', () => parseFiles(raw('files')), []) : [],
    entrypoint: assemble
      ? check.field('entrypoint', () => parseArgs(raw('entrypoint')), undefined)
      : undefined,
    cmd: assemble ? check.field('cmd', () => parseArgs(raw('cmd')), undefined) : undefined,
    env: assemble ? check.field('env', () => parseEnv(raw('env')), []) : [],
    workdir:
      assemble && raw('workdir')
        ? check.field('workdir', () => parseWorkdir(raw('workdir')), undefined)
        : undefined,
    user: assemble && raw('user') ? check.field('user', () => parseUser(raw('user')), undefined) : undefined,
    'exposed-ports': assemble
      ? check.field('exposed-ports', () => parseExposedPorts(raw('exposed-ports')), [])
      : [],
    'file-owner': assemble
      ? check.field('file-owner', () => parseFileOwner(raw('file-owner') || '0:0'), { uid: 0, gid: 0 })
      : { uid: 0, gid: 0 },
    'source-date-epoch':
      assemble && raw('source-date-epoch')
        ? check.field('source-date-epoch', () => parseSourceDateEpoch(raw('source-date-epoch')), undefined)
        : undefined,
    username: orUndefined('username'),
    password: password || undefined,
    'github-token': githubToken || undefined,
    'insecure-registries': parseList(raw('insecure-registries'), { commas: true }),
    signing,
    'cosign-key': cosignKeyText ? cosignKey : undefined,
    'cosign-password': cosignPassword,
    'signature-format': check.field(
      'signature-format',
      () => parseSignatureFormat(raw('signature-format') || 'both'),
      'both',
    ),
    annotations: check.field(
      'annotations',
      () => Object.fromEntries(parsePairs(raw('annotations'), 'key=value')),
      {},
    ),
    provenance: check.field('provenance', () => parseBoolean(raw('provenance') || 'true'), true),
    'fulcio-url': check.field(
      'fulcio-url',
      () => parseServiceUrl(raw('fulcio-url') || SIGSTORE_PUBLIC_GOOD.fulcioUrl),
      '',
    ),
    'rekor-url': check.field(
      'rekor-url',
      () => parseServiceUrl(raw('rekor-url') || SIGSTORE_PUBLIC_GOOD.rekorUrl),
      '',
    ),
    'tsa-url': check.field('tsa-url', () => optionalUrl(raw('tsa-url')), undefined),
  };

  // The image and its tags (unless builder itself is wrong: its checks would mislead).
  const known = !check.has('builder');
  if (!known) {
    // nothing: the builder decides what image and tags must be
  } else if (builder === 'none') {
    if (imageText === '')
      check.add(
        'image',
        'is required with builder none: give the pushed image, e.g. ghcr.io/acme/app@sha256:… or ghcr.io/acme/app:v1',
      );
    else if (image?.kind === 'registry' && !image.tag && !image.digest)
      check.add(
        'image',
        `"${imageText}" names no tag or digest: with builder none give the image to sign, e.g. ${imageText}@sha256:… or ${imageText}:v1`,
      );
    if (tagTexts.length > 0)
      check.add(
        'tags',
        'are not set with builder none (the image is already pushed): leave tags empty; promote moves tags later',
      );
  } else {
    if (image && (image.tag || image.digest))
      check.add(
        'image',
        `"${imageText}" has a tag or digest: with builder ${builder} give the repository only (e.g. ghcr.io/acme/app) and put tags in tags`,
      );
    const repository = image?.kind === 'registry' ? image : undefined;
    const layout = image?.kind === 'oci-layout' ? image : undefined;
    if (assemble && (layout || tagTexts.some((t) => t.startsWith('oci-layout:'))))
      inputs.layoutTarget = check.field('tags', () => parseLayoutTags(tagTexts, layout), undefined);
    else inputs.tags = check.field('tags', () => parseTags(tagTexts, repository, builder), []);
  }
  if (known && builder !== 'buildah') {
    for (const name of ['buildah-storage-driver', 'buildah-isolation'])
      if (raw(name)) check.add(name, `applies to builder buildah only: remove it, or set builder: buildah`);
  }
  if (known && assemble) {
    for (const name of ['file', 'build-args', 'target'])
      if (raw(name))
        check.add(
          name,
          'applies to a Dockerfile build (buildx, buildah): builder assemble takes no Dockerfile; remove it, and give the image its files in files',
        );
    const context = check.field('context', () => parseDirectory(inputs.context), undefined);
    if (context) inputs.context = context;
    if (context && !check.has('files'))
      check.field('files', () => checkSources(context, inputs.files), undefined);
    if (!check.has('files') && !check.has('base-image') && inputs.files.length === 0 && !inputs['base-image'])
      check.add(
        'files',
        'is required with builder assemble from scratch (an image of no files runs nothing): give one <source>=<path in image> per line, or a base-image',
      );
    // Empty, the input defaults to SOURCE_DATE_EPOCH: checked now, before anything is pushed.
    const fromEnvironment = process.env.SOURCE_DATE_EPOCH;
    if (!raw('source-date-epoch') && fromEnvironment)
      check.field('source-date-epoch', () => parseEnvironmentEpoch(fromEnvironment), undefined);
  } else if (known) {
    for (const [name, unset] of ASSEMBLE_ONLY)
      if (raw(name) && raw(name) !== unset)
        check.add(name, 'applies to builder assemble only: remove it, or set builder: assemble');
  }
  if (known && builder === 'none') {
    for (const name of ['build-args', 'labels', 'platforms', 'target', 'file'])
      if (raw(name)) check.add(name, 'applies to a build: with builder none nothing is built, so remove it');
  }

  // Registry credentials come in pairs.
  if (inputs.username && !inputs.password)
    check.add('password', 'is required with username: pass the registry password or token from a secret');
  if (inputs.password && !inputs.username)
    check.add('username', 'is required with password: give the registry user name');
  if (!credentialRegistry(inputs) && (image?.kind === 'oci-layout' || inputs.layoutTarget))
    for (const name of ['username', 'password'])
      if (raw(name))
        check.add(
          name,
          `applies to a registry: the image is ${builder === 'none' ? 'in' : 'written to'} an OCI layout, on disk; remove it`,
        );
  for (const registry of inputs['insecure-registries'])
    if (!/^[A-Za-z0-9.[\]:-]+$/.test(registry))
      check.add(
        'insecure-registries',
        `"${registry}" is not a host[:port]: list registries as e.g. registry.internal:5000`,
      );

  // Signing.
  if (signing === 'key' && !cosignKeyText)
    check.add(
      'cosign-key',
      'is required with signing: key: pass the cosign private key (PEM) from a secret, e.g. ${{ secrets.COSIGN_PRIVATE_KEY }}, or the path of cosign.key',
    );
  if (signing === 'keyless' && cosignKeyText)
    check.add(
      'cosign-key',
      'is set but signing is keyless: set signing: key to sign with the key, or remove cosign-key',
    );

  check.throwIfAny();
  return inputs;
}

/** The registry the image lives in (for credentials and plain-HTTP decisions); none for an image in an OCI layout. */
export function targetRegistry(inputs: Inputs): string | undefined {
  const ref = inputs.builder === 'none' ? inputs.image : (inputs.tags[0] ?? inputs.image);
  return ref?.kind === 'registry' ? ref.registry : undefined;
}

/** The registry username and password are for: the target's, else (assemble into a layout) the base image's. */
export function credentialRegistry(inputs: Inputs): string | undefined {
  const base = inputs['base-image'];
  return (
    targetRegistry(inputs) ?? (inputs.layoutTarget && base?.kind === 'registry' ? base.registry : undefined)
  );
}

/** The OCI layout the image is read from (builder none) or written to (builder assemble), if any. */
export function targetLayout(inputs: Inputs): { path: string } | undefined {
  if (inputs.builder === 'none') return inputs.image?.kind === 'oci-layout' ? inputs.image : undefined;
  return inputs.layoutTarget;
}

/** Inputs of builder assemble, each with the value that means "not set" (its action.yml default). */
const ASSEMBLE_ONLY: ReadonlyArray<readonly [string, string]> = [
  ['base-image', 'scratch'],
  ['files', ''],
  ['entrypoint', ''],
  ['cmd', ''],
  ['env', ''],
  ['workdir', ''],
  ['user', ''],
  ['exposed-ports', ''],
  ['file-owner', '0:0'],
  ['source-date-epoch', ''],
];

export function isInsecure(inputs: Inputs): boolean {
  const registry = targetRegistry(inputs);
  return registry !== undefined && isInsecureRegistry(registry, inputs['insecure-registries']);
}

/** The image input: with builder none a registry image or `oci-layout:<dir>[:tag|@digest]`, else a repository. */
function parseImage(text: string, builder: Builder): ImageReference {
  if (builder === 'none') return parseReference(text);
  if (builder === 'assemble' && text.trim().startsWith('oci-layout:')) return parseReference(text);
  if (text.trim().startsWith('oci-layout:'))
    throw new Error(
      `"${text}" is an OCI layout: builder ${builder} pushes to a registry, so give the repository (e.g. ghcr.io/acme/app); to sign an image in a layout set builder: none, to write one there builder: assemble`,
    );
  return parseRegistryReference(text);
}

/** `NAME=value` lines (values may hold commas and `=`; one per line). */
function parsePairs(text: string, shape: string): Array<[string, string]> {
  return parseList(text).map((line) => {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`"${line.slice(0, 40)}" is not ${shape}: write one ${shape} per line`);
    return [line.slice(0, eq).trim(), line.slice(eq + 1)];
  });
}

/** The platforms as written, each checked by the one platform parser; one named twice (`linux/arm64`, `linux/arm64/v8`) is built once. */
function parsePlatforms(text: string): string[] {
  const byKey = new Map<string, string>();
  for (const p of parseList(text, { commas: true })) {
    const key = formatPlatform(normalizePlatform(parsePlatform(p)));
    if (!byKey.has(key)) byKey.set(key, p);
  }
  return [...byKey.values()];
}

/**
 * Tags as full references in one repository: `v1` (relative to image) or `ghcr.io/acme/app:v1`.
 * Every tag is checked against the OCI distribution spec's tag grammar here, before anything is
 * built or pushed: an entry without `/`, `:` or `@` is meant as a bare tag and is refused as one.
 */
function parseTags(
  texts: string[],
  image: RegistryReference | undefined,
  builder: Builder,
): RegistryReference[] {
  if (texts.length === 0)
    throw new Error(
      `is required with builder ${builder}: give at least one, e.g. ghcr.io/acme/app:sha-\${{ github.sha }} (one per line)`,
    );
  const tags = texts.map((text) => {
    if (text.startsWith('oci-layout:'))
      throw new Error(
        `"${text}" is an OCI layout: builder ${builder} pushes to a registry; builder assemble writes into a layout`,
      );
    if (!/[/:@]/.test(text) && !isValidTag(text))
      throw new Error(`"${text}" is not a valid tag: ${TAG_RULE}`);
    if (isValidTag(text)) {
      if (!image)
        throw new Error(
          `"${text}" is a bare tag: set image to the repository (e.g. ghcr.io/acme/app), or write the full reference`,
        );
      return { ...image, tag: text } as RegistryReference;
    }
    const ref = parseRegistryReference(text);
    if (!ref.tag || ref.digest)
      throw new Error(`"${text}" must end in :tag (no digest): e.g. ghcr.io/acme/app:v1`);
    return ref;
  });
  const first = tags[0]!;
  const base = image ?? first;
  for (const [i, t] of tags.entries())
    if (t.registry !== base.registry || t.repository !== base.repository)
      throw new Error(
        `"${texts[i]}" is not in ${base.registry}/${base.repository}: every tag must name the repository the image is signed in (run the action once per repository)`,
      );
  return tags;
}

/** base-image: `scratch` (or empty) for none, else a registry image or `oci-layout:<dir>[:tag|@digest]`. */
function parseBase(text: string): ImageReference | undefined {
  const value = text.trim();
  if (value === '' || value === 'scratch') return undefined;
  return parseReference(value);
}

/**
 * assemble's tags into an OCI layout: `oci-layout:<dir>:<tag>`, or bare tags with image
 * `oci-layout:<dir>`, all in the one layout (a registry tag among them is refused).
 */
function parseLayoutTags(
  texts: string[],
  image: LayoutReference | undefined,
): { path: string; tags: string[] } {
  if (texts.length === 0)
    throw new Error(
      'is required with builder assemble: give at least one, e.g. oci-layout:out/app:v1 (one per line)',
    );
  if (image && (image.tag || image.digest))
    throw new Error(
      `image "${formatLayout(image)}" has a tag or digest: give the layout only and put tags in tags`,
    );
  let path = image?.path;
  const tags = texts.map((text) => {
    if (!text.startsWith('oci-layout:')) {
      if (isValidTag(text) && image) return text;
      throw new Error(
        `"${text}" is not in the OCI layout the other tags name: every tag must name one target (write oci-layout:<dir>:<tag>, or run the action once per target)`,
      );
    }
    const ref = parseReference(text) as LayoutReference;
    if (!ref.tag || ref.digest)
      throw new Error(`"${text}" names no tag: write oci-layout:<dir>:<tag>, e.g. oci-layout:out/app:v1`);
    path ??= ref.path;
    if (ref.path !== path)
      throw new Error(
        `"${text}" is not in the layout ${path}: every tag must name one layout (run the action once per target)`,
      );
    return ref.tag;
  });
  return { path: path!, tags };
}

function formatLayout(ref: LayoutReference): string {
  return `oci-layout:${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

function parseServiceUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${text}" is not a URL: write it as https://host[:port]`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`"${text}" must be an http(s) URL`);
  return text.replace(/\/+$/, '');
}

function optionalUrl(text: string): string | undefined {
  return text === '' ? undefined : parseServiceUrl(text);
}
