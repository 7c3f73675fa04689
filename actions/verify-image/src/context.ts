/**
 * The verify-image action's inputs, keyed by their action.yml names, read and validated all at
 * once before any request; secrets are masked the moment they are read. The trust inputs are
 * parsed by the shared `parseTrustInputs` (promote reads the same names), the vulnerability-gate
 * inputs by the shared `parseScanInputs` (the sbom action reads the same names).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { errorMessage } from '@release-actions/shared';
import { InputChecker, parseBoolean, parseList } from '@release-actions/shared/github';
import { isDigest, parseReference, type ImageReference } from '@release-actions/shared/oci';
import { parseScanInputs, type ScanInputs } from '@release-actions/shared/scan/inputs';
import { parseTrustInputs, type TrustInputs } from '@release-actions/shared/verify';

/** One image to verify, with the digest it must have (if any). */
export interface Target {
  /** As the user wrote it. */
  input: string;
  /** A registry image, or an image in an OCI image layout (`oci-layout:<dir>[:tag|@digest]`). */
  ref: ImageReference;
  expectedDigest: string | undefined;
}

/**
 * The gate inputs (`fail-on-severity`, `ignore-unfixed`, `allowlist`, `osv-url`, `osv-db` — a
 * directory or `download` —, `osv-export-url`) are the shared {@link ScanInputs}.
 */
export interface Inputs extends ScanInputs {
  /** `image` and `images` together, in order, each with its expected digest. */
  targets: Target[];
  trust: TrustInputs;
  /** Scan the packages of the image's trusted SBOM attestation against OSV and gate on them. */
  scan: boolean;
  username: string;
  password: string;
  'github-token': string;
  'insecure-registries': string[];
}

interface BuildRecord {
  digest: string;
  image?: string;
}

/** build-sign's outputs as JSON: one record or an array of them. */
export function readBuildRecord(path: string): BuildRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new Error(
      `cannot read "${path}" (${code}): give the path of a JSON file with build-sign's digest`,
      {
        cause: err,
      },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`"${path}" is not JSON: write build-sign's outputs with toJSON(steps.<id>.outputs)`, {
      cause: err,
    });
  }
  const records = (Array.isArray(doc) ? doc : [doc]) as Array<Partial<BuildRecord> | null>;
  return records.map((r, i) => {
    if (!r || typeof r.digest !== 'string' || !isDigest(r.digest))
      throw new Error(`record ${i + 1} of "${path}" has no "digest": "sha256:…"`);
    if (typeof r.image === 'string') {
      try {
        parseReference(r.image);
      } catch (err) {
        throw new Error(`record ${i + 1} of "${path}": "image" ${errorMessage(err)}`, { cause: err });
      }
    }
    return { digest: r.digest, ...(typeof r.image === 'string' && { image: r.image }) };
  });
}

/** The image's name without tag or digest; a layout's by its absolute directory. */
const nameOf = (ref: ImageReference) =>
  ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : `oci-layout:${resolve(ref.path)}`;

export function getInputs(): Inputs {
  const check = new InputChecker();
  const raw = (name: string) => core.getInput(name);
  for (const secret of ['password', 'github-token']) if (raw(secret)) core.setSecret(raw(secret));

  const fields: Array<[string, string[]]> = [
    ['image', parseList(raw('image'))],
    ['images', parseList(raw('images'))],
  ];
  const targets: Target[] = [];
  for (const [input, values] of fields) {
    for (const value of values) {
      const ref = check.field(input, () => parseReference(value), undefined);
      if (!ref) continue;
      if (targets.some((t) => t.input === value)) {
        check.add(input, `"${value}" is listed twice: list each image once`);
        continue;
      }
      targets.push({ input: value, ref, expectedDigest: ref.digest });
    }
  }
  if (targets.length === 0 && !check.has('image') && !check.has('images'))
    check.add(
      'image',
      'is required: give the image to verify, e.g. ghcr.io/acme/app:1.2.3 or ghcr.io/acme/app@sha256:…',
    );

  const expected = raw('expected-digest');
  if (expected) {
    if (!isDigest(expected))
      check.add('expected-digest', `"${expected}" is not a digest: use sha256:<64 hex>`);
    else if (targets.length > 1)
      check.add(
        'expected-digest',
        'applies to a single image: pin several with name@sha256:… lines in images',
      );
    else if (targets[0]) {
      if (targets[0].expectedDigest && targets[0].expectedDigest !== expected)
        check.add(
          'expected-digest',
          `differs from the digest in image (${targets[0].expectedDigest}): give one of them`,
        );
      targets[0].expectedDigest = expected;
    }
  }
  if (raw('build-record')) {
    if (expected) check.add('build-record', 'is given together with expected-digest: give one of them');
    const records = check.field('build-record', () => readBuildRecord(raw('build-record')), []);
    for (const t of targets) {
      const named = records.filter((r) => r.image && nameOf(parseReference(r.image)) === nameOf(t.ref));
      const record = named[0] ?? (records.length === 1 && targets.length === 1 ? records[0] : undefined);
      if (!record) {
        if (records.length > 0)
          check.add('build-record', `holds no record for ${nameOf(t.ref)}: add its "image" to the record`);
        continue;
      }
      if (t.expectedDigest && t.expectedDigest !== record.digest)
        check.add(
          'build-record',
          `records ${record.digest} for ${nameOf(t.ref)}, but ${t.input} names ${t.expectedDigest}`,
        );
      t.expectedDigest = record.digest;
    }
  }

  const trust = parseTrustInputs(raw, check);
  const inputs: Inputs = {
    targets,
    trust,
    scan: check.field('scan', () => parseBoolean(raw('scan') || 'false'), false),
    ...parseScanInputs(raw, check, { failOn: 'high' }),
    username: raw('username'),
    password: raw('password'),
    'github-token': raw('github-token'),
    'insecure-registries': parseList(raw('insecure-registries'), { commas: true }),
  };
  if (inputs.username && !inputs.password) check.add('password', 'is required with username');
  if (inputs.password && !inputs.username) check.add('username', 'is required with password');
  if (inputs.username && targets.length > 0 && targets.every((t) => t.ref.kind === 'oci-layout'))
    check.add('username', 'an oci-layout: image needs no registry credentials: remove username and password');
  check.throwIfAny();
  return inputs;
}
