/**
 * The verify-image action's inputs, keyed by their action.yml names, read and validated all at
 * once before any request; secrets are masked the moment they are read. The trust inputs are
 * parsed by the shared `parseTrustInputs` (promote reads the same names).
 */
import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { InputChecker, parseList } from '@release-actions/shared/github';
import { parseTrustInputs, type TrustInputs } from '@release-actions/shared/verify';
import { isDigest, parseRegistryReference, type RegistryReference } from '@release-actions/shared/oci';

/** One image to verify, with the digest it must have (if any). */
export interface Target {
  /** As the user wrote it. */
  input: string;
  ref: RegistryReference;
  expectedDigest: string | undefined;
}

export interface Inputs {
  /** `image` and `images` together, in order, each with its expected digest. */
  targets: Target[];
  trust: TrustInputs;
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
    return { digest: r.digest, ...(typeof r.image === 'string' && { image: r.image }) };
  });
}

const nameOf = (ref: RegistryReference) => `${ref.registry}/${ref.repository}`;

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
      const ref = check.field(input, () => parseRegistryReference(value), undefined);
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
      const named = records.filter(
        (r) => r.image && nameOf(parseRegistryReference(r.image)) === nameOf(t.ref),
      );
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
    username: raw('username'),
    password: raw('password'),
    'github-token': raw('github-token'),
    'insecure-registries': parseList(raw('insecure-registries'), { commas: true }),
  };
  if (inputs.username && !inputs.password) check.add('password', 'is required with username');
  if (inputs.password && !inputs.username) check.add('username', 'is required with password');
  check.throwIfAny();
  return inputs;
}
