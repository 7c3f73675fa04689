/**
 * actions/sbom: generate SPDX and CycloneDX SBOMs of an image or a directory in one pass, scan the
 * packages against OSV, attest the SBOMs on the image, upload them as an artifact, write outputs
 * and a job summary, and fail on the severity gate.
 */
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as core from '@actions/core';
import { errorMessage, HttpClient } from '@release-actions/shared';
import { LayoutStore, type ImageStore } from '@release-actions/shared/oci';
import {
  attestSbom,
  generateSbom,
  type SbomAttestation,
  type SbomResult,
} from '@release-actions/shared/sbom';
import { evaluateGate, scanPackages, summarize, toSarif } from '@release-actions/shared/scan';
import { defaultArtifactName, uploadFiles, type ArtifactUploader } from './artifact.ts';
import { fileBase, getInputs, type Inputs } from './context.ts';
import { writeSummary, type Report } from './report.ts';
import { logger, makeSigner, registryClient, vulnerabilitySource, writeFiles } from './setup.ts';

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
