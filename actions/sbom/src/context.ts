/**
 * The sbom action's inputs, keyed by their action.yml names, read and validated all at once before
 * any request. The signing key, its password, the registry password and the token are masked the
 * moment they are read.
 */
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as core from '@actions/core';
import {
  InputChecker,
  parseBoolean,
  parseChoice,
  parseDirectory,
  parseHttpUrl,
  parseInteger,
  parseList,
} from '@release-actions/shared/github';
import { parsePlatform, parseReference, type ImageReference } from '@release-actions/shared/oci';
import type { SbomFormat } from '@release-actions/shared/sbom';
import { parseScanInputs, type ScanInputs } from '@release-actions/shared/scan';
import {
  parseSignatureFormat,
  readPrivateKeyInput,
  type SignatureFormat,
} from '@release-actions/shared/sign';

export const FORMAT_CHOICES = ['both', 'spdx-json', 'cyclonedx-json'] as const;

/**
 * The gate inputs (`fail-on-severity`, `ignore-unfixed`, `allowlist`, `osv-url`, `osv-db`,
 * `osv-export-url`) are the shared {@link ScanInputs}, read by `parseScanInputs` as verify-image
 * reads them; `osv-db: download` fetches OSV's exports into the runner's tool cache.
 */
export interface Inputs extends ScanInputs {
  /** The image as given (`registry/repo[:tag][@digest]` or `oci-layout:<dir>[:tag|@digest]`), parsed. */
  image: { text: string; ref: ImageReference } | undefined;
  /** A directory to catalog (lockfiles and package databases), absolute. */
  path: string | undefined;
  /** The formats to write, from `both`, `spdx-json` or `cyclonedx-json`. */
  format: SbomFormat[];
  /** Absolute; empty input means `<RUNNER_TEMP>/<artifact name>`. */
  'output-dir': string;
  'upload-artifact': boolean;
  /** Empty means derived: see artifact.ts. */
  'artifact-name': string;
  'retention-days': number;
  attest: boolean;
  'attestation-format': SignatureFormat;
  /** PEM text of the cosign private key (read from the file when a path was given); empty for keyless. */
  'cosign-key': string;
  'cosign-password': string;
  'fulcio-url': string;
  'rekor-url': string;
  'tsa-url': string;
  scan: boolean;
  /** Submit the packages to the repository's dependency graph (needs `contents: write`). */
  'dependency-snapshot': boolean;
  /** As given; undefined: the image's only platform, or linux/amd64 from a multi-platform index. */
  platform: string | undefined;
  username: string;
  password: string;
  'github-token': string;
  'insecure-registries': string[];
}

export function getInputs(env: NodeJS.ProcessEnv = process.env): Inputs {
  const check = new InputChecker();
  const raw = (name: string) => core.getInput(name);
  for (const secret of ['password', 'github-token', 'cosign-password'])
    if (raw(secret)) core.setSecret(raw(secret));
  const flag = (name: string, fallback: boolean) =>
    check.field(name, () => parseBoolean(raw(name) || String(fallback)), fallback);

  const image = raw('image')
    ? check.field('image', () => ({ text: raw('image'), ref: parseReference(raw('image')) }), undefined)
    : undefined;
  const path = raw('path') ? check.field('path', () => parseDirectory(raw('path')), undefined) : undefined;
  if (raw('image') && raw('path'))
    check.add('path', 'give only one of image or path: the SBOM describes either an image or a directory');
  else if (!raw('image') && !raw('path'))
    check.add(
      'image',
      'is required unless path is given, e.g. ghcr.io/acme/app@sha256:… or oci-layout:./out:v1',
    );

  const format = check.field('format', () => parseChoice(raw('format') || 'both', FORMAT_CHOICES), 'both');
  const attest = flag('attest', false);
  const cosignKey = raw('cosign-key')
    ? check.field(
        'cosign-key',
        () =>
          readPrivateKeyInput(raw('cosign-key'), { input: 'cosign-key', onSecret: (s) => core.setSecret(s) }),
        '',
      )
    : '';
  if (raw('cosign-password') && !raw('cosign-key'))
    check.add(
      'cosign-password',
      'is only used with cosign-key: set cosign-key too, or remove cosign-password',
    );
  if (attest && raw('path') && !raw('image'))
    check.add(
      'attest',
      'an attestation is stored on an image: set image, or set attest to false for a directory',
    );

  const scan = flag('scan', true);
  const inputs: Inputs = {
    image,
    path,
    format: format === 'both' ? ['spdx-json', 'cyclonedx-json'] : [format],
    'output-dir': raw('output-dir')
      ? check.field('output-dir', () => outputDirectory(raw('output-dir')), '')
      : '',
    'upload-artifact': flag('upload-artifact', true),
    'artifact-name': raw('artifact-name')
      ? check.field('artifact-name', () => artifactName(raw('artifact-name')), '')
      : '',
    'retention-days': check.field(
      'retention-days',
      () => parseInteger(raw('retention-days') || '90', { min: 1, max: 400 }),
      90,
    ),
    attest,
    'attestation-format': check.field(
      'attestation-format',
      () => parseSignatureFormat(raw('attestation-format') || 'both'),
      'both',
    ),
    'cosign-key': cosignKey,
    'cosign-password': raw('cosign-password'),
    'fulcio-url': raw('fulcio-url')
      ? check.field('fulcio-url', () => parseHttpUrl(raw('fulcio-url')), '')
      : '',
    'rekor-url': raw('rekor-url') ? check.field('rekor-url', () => parseHttpUrl(raw('rekor-url')), '') : '',
    'tsa-url': raw('tsa-url') ? check.field('tsa-url', () => parseHttpUrl(raw('tsa-url')), '') : '',
    scan,
    ...parseScanInputs(raw, check, { failOn: 'critical' }),
    'dependency-snapshot': flag('dependency-snapshot', false),
    platform: raw('platform')
      ? check.field('platform', () => platform(raw('platform')), undefined)
      : undefined,
    username: raw('username'),
    password: raw('password'),
    'github-token': raw('github-token'),
    'insecure-registries': parseList(raw('insecure-registries'), { commas: true }),
  };
  if (inputs.username && !inputs.password)
    check.add(
      'password',
      'is required with username: pass the registry password or token, e.g. ${{ secrets.REGISTRY_TOKEN }}',
    );
  if (inputs.password && !inputs.username)
    check.add('username', 'is required with password: give the registry user name');
  if ((inputs.username || inputs.password) && image?.ref.kind === 'oci-layout')
    check.add('username', 'an oci-layout: image needs no registry credentials: remove username and password');
  if (inputs['dependency-snapshot'] && !inputs['github-token'])
    check.add(
      'github-token',
      'is required with dependency-snapshot: true (the snapshot is submitted with it; the default is ${{ github.token }}, with permissions contents: write)',
    );
  if (attest && !cosignKey && !check.has('cosign-key') && !env.ACTIONS_ID_TOKEN_REQUEST_URL)
    check.add(
      'attest',
      'keyless signing needs an OIDC token: add "permissions: id-token: write" to the job, or set cosign-key (and cosign-password) to sign with a key',
    );
  check.throwIfAny();
  return inputs;
}

/** A directory to write into: an existing one, or one that can be made (its nearest existing ancestor is a directory). */
function outputDirectory(path: string): string {
  const full = resolve(path);
  for (let at = full; ; at = dirname(at)) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch {
      if (dirname(at) === at) return full;
      continue;
    }
    if (isDir) return full;
    throw new Error(
      at === full
        ? `"${path}" is a file: give a directory for the SBOM files (it is created when missing)`
        : `"${path}" cannot be created: ${at} is a file, not a directory`,
    );
  }
}

function platform(text: string): string {
  parsePlatform(text);
  return text;
}

/** Artifact names may not hold " : < > | * ? \r \n \ / (actions/toolkit's upload name check). */
function artifactName(text: string): string {
  const bad = /[":<>|*?\r\n\\/]/.exec(text);
  if (bad) throw new Error(`"${text}" contains "${bad[0]}", which artifact names may not hold`);
  return text;
}

/** The base of the files written: the image's repository name or the directory's name, file-safe. */
export function fileBase(inputs: Pick<Inputs, 'image' | 'path'>): string {
  const ref = inputs.image?.ref;
  const name = ref
    ? ref.kind === 'oci-layout'
      ? basename(ref.path)
      : ref.repository.split('/').pop()!
    : basename(inputs.path ?? 'sbom');
  return name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '') || 'sbom';
}
