/**
 * cosign v3 and v2, as the interop suites run them: the flags each version needs to sign and
 * verify by key without a transparency log against a loopback registry (docs/signing.md,
 * "Checking with cosign"), in either storage format, with its TUF cache and docker config in a
 * temporary directory so that nothing on the machine (or the network) is consulted.
 *
 * - v3 (3.1) signs and attests as Sigstore bundle referrers by default (`--new-bundle-format`
 *   true); `--new-bundle-format=false` writes the legacy `.sig`/`.att` tags. Key signing without
 *   a log needs `--use-signing-config=false --tlog-upload=false` (the default signing config
 *   comes from TUF, and names Rekor). `verify` and `verify-attestation` look for bundles first and
 *   fall back to the legacy tags when the image has none; `--new-bundle-format=false` reads only
 *   the legacy tags.
 * - v2 (2.6) writes the legacy format by default; `--new-bundle-format` writes bundles. Its
 *   verify reads bundles whenever the image has one (`--new-bundle-format=false` does not stop it),
 *   else the legacy tags; reading bundles it demands a trusted root even to verify by key ("trusted
 *   root is required when using new bundle format") and fetches the public one through TUF without
 *   `--trusted-root`, so it is given an empty one (no CA, log or TSA: the key is the only trust).
 * - Both: `--insecure-ignore-tlog` to verify a key signature that no log holds; `-y` to skip the
 *   prompt; a registry on 127.0.0.1 or localhost is spoken to over plain HTTP without a flag (as
 *   go-containerregistry does), any other needs `--allow-http-registry`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tool, type Tool, type ToolRun } from './tools.ts';
import type { TarEntry } from '../images.ts';

/** The small image whose SBOMs the interop suites attest: Debian 12 with one package, hello 2.10-3. */
export const SBOM_SOURCE_LAYERS: TarEntry[][] = [
  [
    { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    {
      name: 'var/lib/dpkg/status',
      content: 'Package: hello\nStatus: install ok installed\nVersion: 2.10-3\nArchitecture: amd64\n\n',
    },
  ],
];

export type CosignFormat = 'legacy' | 'bundle';

export interface Cosign {
  /** `cosign v3` or `cosign v2`, for test names. */
  label: string;
  major: 2 | 3;
  tool: Tool;
}

/** The cosigns under test: the latest v3 and the last v2 (scripts/tools.sh pins them). */
export const COSIGNS: readonly Cosign[] = [
  { label: 'cosign v3', major: 3, tool: tool('cosign') },
  { label: 'cosign v2', major: 2, tool: tool('cosign-v2') },
];

/** The flag that picks the storage format, for this version (its default left implicit). */
function formatFlag(cosign: Cosign, format: CosignFormat | undefined): string[] {
  if (!format) return [];
  return [`--new-bundle-format=${format === 'bundle'}`];
}

/** A temporary home for one suite's cosign runs: TUF cache, docker config, key files. */
export interface CosignHome {
  dir: string;
  /** A trusted root that trusts nothing (for cosign v2, which wants one to read bundles by key). */
  emptyTrustedRoot: string;
  env(password?: string): Record<string, string>;
  dispose(): Promise<void>;
}

export async function cosignHome(): Promise<CosignHome> {
  const dir = await mkdtemp(join(tmpdir(), 'cosign-interop-'));
  const emptyTrustedRoot = join(dir, 'empty-trusted-root.json');
  await writeFile(
    emptyTrustedRoot,
    JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }),
  );
  return {
    dir,
    emptyTrustedRoot,
    env: (password = '') => ({
      COSIGN_PASSWORD: password,
      TUF_ROOT: join(dir, 'tuf'),
      DOCKER_CONFIG: join(dir, 'docker'),
      HOME: dir,
      // never prompt, never ask about the public instance
      COSIGN_YES: 'true',
    }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `cosign verify --key` by key, without a log; `format` forces one storage format (else cosign's default). */
export function verifyArgs(
  cosign: Cosign,
  home: CosignHome,
  key: string,
  ref: string,
  format?: CosignFormat,
): string[] {
  return [
    'verify',
    '--key',
    key,
    '--insecure-ignore-tlog',
    ...trust(cosign, home),
    ...formatFlag(cosign, format),
    ref,
  ];
}

/** cosign v2's bundle path wants a trusted root; by key an empty one, so TUF is never asked. */
function trust(cosign: Cosign, home: CosignHome): string[] {
  return cosign.major === 2 ? ['--trusted-root', home.emptyTrustedRoot] : [];
}

/** `cosign verify-attestation --key --type <type>`, without a log. */
export function verifyAttestationArgs(
  cosign: Cosign,
  home: CosignHome,
  key: string,
  type: string,
  ref: string,
  format?: CosignFormat,
): string[] {
  return [
    'verify-attestation',
    '--key',
    key,
    '--insecure-ignore-tlog',
    ...trust(cosign, home),
    '--type',
    type,
    ...formatFlag(cosign, format),
    ref,
  ];
}

/** The flags that sign by key without a transparency log. */
function noLog(cosign: Cosign): string[] {
  return cosign.major === 3 ? ['--use-signing-config=false', '--tlog-upload=false'] : ['--tlog-upload=false'];
}

/** `cosign sign --key` by key, no log, in `format`. */
export function signArgs(cosign: Cosign, key: string, ref: string, format: CosignFormat): string[] {
  return ['sign', '--key', key, ...noLog(cosign), '-y', `--new-bundle-format=${format === 'bundle'}`, ref];
}

/** `cosign attest --key --predicate <file> --type <type>`, no log, in `format`. */
export function attestArgs(
  cosign: Cosign,
  key: string,
  predicate: string,
  type: string,
  ref: string,
  format: CosignFormat,
): string[] {
  return [
    'attest',
    '--key',
    key,
    ...noLog(cosign),
    '-y',
    `--new-bundle-format=${format === 'bundle'}`,
    '--predicate',
    predicate,
    '--type',
    type,
    ref,
  ];
}

/** The in-toto statements `cosign verify-attestation` printed (one DSSE envelope per line). */
export function printedStatements(
  run: ToolRun,
): Array<{ predicateType: string; predicate: unknown; subject: unknown }> {
  return run.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((line) => {
      const envelope = JSON.parse(line) as { payloadType: string; payload: string };
      return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
        predicateType: string;
        predicate: unknown;
        subject: unknown;
      };
    });
}

/** What `cosign verify` printed: the verified payloads (simple-signing JSON documents), one per line or as one JSON array. */
export function printedPayloads(
  run: ToolRun,
): Array<{ critical: { image: { 'docker-manifest-digest': string } } }> {
  const text = run.stdout.trim();
  const docs = text.startsWith('[')
    ? (JSON.parse(text) as unknown[])
    : text
        .split('\n')
        .filter((l) => l.trim().startsWith('{') || l.trim().startsWith('['))
        .flatMap((l) => {
          const v = JSON.parse(l) as unknown;
          return Array.isArray(v) ? v : [v];
        });
  return docs as Array<{ critical: { image: { 'docker-manifest-digest': string } } }>;
}
