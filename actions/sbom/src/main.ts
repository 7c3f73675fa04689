/**
 * actions/sbom: generate SPDX and CycloneDX SBOMs of an image or a directory in one pass, scan the
 * packages against OSV, attest the SBOMs on the image, upload them as an artifact, write outputs
 * and a job summary, and fail on the severity gate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as core from '@actions/core';
import { errorMessage, HttpClient, type Logger } from '@release-actions/shared';
import {
  CredentialResolver,
  LayoutStore,
  RegistryClient,
  type ImageStore,
} from '@release-actions/shared/oci';
import {
  attestSbom,
  generateSbom,
  type SbomAttestation,
  type SbomResult,
} from '@release-actions/shared/sbom';
import {
  evaluateGate,
  OsvApiClient,
  OsvExport,
  scanPackages,
  summarize,
  toSarif,
  type VulnerabilitySource,
} from '@release-actions/shared/scan';
import {
  createKeylessSigner,
  createKeySigner,
  githubOidcFromEnv,
  loadPrivateKey,
  SIGSTORE_PUBLIC_GOOD,
  type ImageSigner,
} from '@release-actions/shared/sign';
import { defaultArtifactName, uploadFiles, type ArtifactUploader } from './artifact.ts';
import { fileBase, getInputs, type Inputs } from './context.ts';
import { writeSummary, type Report } from './report.ts';

const logger: Logger = { debug: core.debug, info: core.info, warning: core.warning };

async function makeSigner(inputs: Inputs, http: HttpClient): Promise<ImageSigner> {
  const witnesses = {
    ...(inputs['rekor-url'] && { rekorUrl: inputs['rekor-url'] }),
    ...(inputs['tsa-url'] && { tsaUrl: inputs['tsa-url'] }),
  };
  if (inputs['cosign-key']) {
    const key = await loadPrivateKey(inputs['cosign-key'], inputs['cosign-password']);
    return createKeySigner(key, witnesses);
  }
  return createKeylessSigner({
    identityProvider: githubOidcFromEnv(process.env, { http, onSecret: (s) => core.setSecret(s) }),
    fulcioUrl: inputs['fulcio-url'] || SIGSTORE_PUBLIC_GOOD.fulcioUrl,
    rekorUrl: inputs['rekor-url'] || SIGSTORE_PUBLIC_GOOD.rekorUrl,
    ...(inputs['tsa-url'] && { tsaUrl: inputs['tsa-url'] }),
  });
}

function registryClient(inputs: Inputs, http: HttpClient): RegistryClient {
  const ref = inputs.image?.ref;
  const explicit =
    inputs.username && ref?.kind === 'registry'
      ? [{ registry: ref.registry, username: inputs.username, password: inputs.password }]
      : [];
  const env = { ...process.env, ...(inputs['github-token'] && { GITHUB_TOKEN: inputs['github-token'] }) };
  const credentials = new CredentialResolver({ explicit, env, logger });
  return new RegistryClient({ http, credentials, insecureRegistries: inputs['insecure-registries'], logger });
}

async function vulnerabilitySource(inputs: Inputs, http: HttpClient): Promise<VulnerabilitySource> {
  if (inputs['osv-db']) return OsvExport.load(inputs['osv-db'], { logger });
  return new OsvApiClient({ http, baseUrl: inputs['osv-url'], logger });
}

/** Writes the documents (and the SARIF log) as `<base>.spdx.json`, `<base>.cdx.json`, `<base>.sarif`. */
function writeFiles(dir: string, base: string, docs: Record<string, unknown>): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const names: Record<string, string> = { spdx: 'spdx.json', cyclonedx: 'cdx.json', sarif: 'sarif' };
  const paths: Record<string, string> = {};
  for (const [key, doc] of Object.entries(docs)) {
    paths[key] = join(dir, `${base}.${names[key]}`);
    writeFileSync(paths[key], `${JSON.stringify(doc, null, 2)}\n`);
    core.info(`wrote ${paths[key]}`);
  }
  return paths;
}

export async function run(uploader?: () => Promise<ArtifactUploader>): Promise<void> {
  let inputs: Inputs;
  try {
    inputs = getInputs();
  } catch (err) {
    core.setFailed(errorMessage(err));
    return;
  }
  const http = new HttpClient({ logger });
  try {
    const signer = inputs.attest
      ? await core.group('Loading the signer', () => makeSigner(inputs, http))
      : undefined;
    const source = inputs.scan
      ? await core.group('Opening the vulnerability source', () => vulnerabilitySource(inputs, http))
      : undefined;
    const subject = inputs.image?.text ?? inputs.path!;
    const client = inputs.image ? registryClient(inputs, http) : undefined;
    const sbom: SbomResult = await core.group(`Cataloging ${subject} (${inputs.platform})`, () =>
      generateSbom({
        ...(inputs.image ? { image: inputs.image.text, client } : { path: inputs.path! }),
        platform: inputs.platform,
        logger,
      }),
    );
    const digest = sbom.inventory.source.digest;
    const name = defaultArtifactName(inputs, process.env);
    const artifactName = inputs['artifact-name'] || name;
    const dir = inputs['output-dir'] || join(process.env.RUNNER_TEMP || tmpdir(), artifactName);

    const scan = source
      ? await core.group(`Scanning ${sbom.packages.length} packages against ${source.description}`, () =>
          scanPackages(
            sbom.packages.flatMap((p) =>
              p.purl ? [{ name: p.name, version: p.version, purl: p.purl, type: p.type }] : [],
            ),
            { source, logger },
          ),
        )
      : undefined;
    const gate = scan
      ? evaluateGate(scan.findings, {
          failOn: inputs['fail-on-severity'],
          ignoreUnfixed: inputs['ignore-unfixed'],
          ...(inputs.allowlist && { allowlist: inputs.allowlist }),
        })
      : undefined;

    const artifactUri = inputs.image
      ? `${subject.replace(/@sha256:[0-9a-f]{64}$/, '')}${digest ? `@${digest}` : ''}`
      : relative(process.env.GITHUB_WORKSPACE || process.cwd(), inputs.path!) || '.';
    const files = await core.group('Writing the files', async () =>
      writeFiles(dir, fileBase(inputs), {
        ...(inputs.format.includes('spdx-json') && { spdx: sbom.spdx }),
        ...(inputs.format.includes('cyclonedx-json') && { cyclonedx: sbom.cyclonedx }),
        ...(scan && { sarif: toSarif(scan.findings, { artifactUri, toolName: 'release-actions/sbom' }) }),
      }),
    );

    let attestations: SbomAttestation[] = [];
    if (signer && inputs.image) {
      const ref = inputs.image.ref;
      const store: ImageStore =
        ref.kind === 'registry' ? client!.repository(ref) : await LayoutStore.open(ref.path);
      // The digest the user named (an index stays an index), as `cosign attest` does.
      const attested = ref.digest ?? (await store.resolve(ref.tag ?? 'latest'))?.digest ?? digest!;
      const imageName =
        ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : `oci-layout:${ref.path}`;
      attestations = await core.group(`Attesting the SBOM on ${imageName}@${attested}`, () =>
        attestSbom({
          store,
          name: imageName,
          digest: attested,
          signer,
          format: inputs['attestation-format'],
          documents: inputs.format.map((format) => ({
            format,
            document: format === 'spdx-json' ? sbom.spdx : sbom.cyclonedx,
          })),
          logger,
        }),
      );
    }

    const upload = await core.group('Uploading the artifact', () =>
      uploadFiles(
        Object.values(files),
        { enabled: inputs['upload-artifact'], name: artifactName, retentionDays: inputs['retention-days'] },
        uploader ?? (async () => new (await import('@actions/artifact')).DefaultArtifactClient()),
      ),
    );

    const counts = scan ? summarize(scan.findings).bySeverity : undefined;
    setOutput('digest', digest ?? '');
    setOutput('packages', String(sbom.packages.length));
    setOutput('spdx', files.spdx ?? '');
    setOutput('cyclonedx', files.cyclonedx ?? '');
    setOutput('sarif', files.sarif ?? '');
    for (const level of ['critical', 'high', 'medium', 'low'] as const)
      setOutput(level, String(counts?.[level] ?? ''));
    setOutput('vulnerabilities', scan ? JSON.stringify({ total: scan.findings.length, ...counts }) : '');
    setOutput(
      'gate',
      gate ? (inputs['fail-on-severity'] === 'off' ? 'off' : gate.passed ? 'passed' : 'failed') : 'skipped',
    );
    setOutput('artifact-name', upload.status === 'uploaded' ? upload.name : '');
    setOutput(
      'attestations',
      attestations.flatMap((a) => [a.legacy?.location, a.bundle?.location].filter(Boolean)).join('\n'),
    );

    const report: Report = { inputs, subject, sbom, files, scan, gate, attestations, upload, signer };
    await writeSummary(report).catch((err) => core.warning(`job summary not written: ${errorMessage(err)}`));
    for (const message of gate?.messages.slice(1) ?? []) core.warning(message);
    if (gate && !gate.passed) core.setFailed(gate.messages[0]!);
    else if (gate) core.info(gate.messages[0]!);
  } catch (err) {
    core.setFailed(errorMessage(err));
  } finally {
    await http.close().catch(() => undefined);
  }
}

function setOutput(name: string, value: string): void {
  core.setOutput(name, value);
  core.info(`output ${name}: ${value.includes('\n') ? value.replaceAll('\n', ', ') : value}`);
}
