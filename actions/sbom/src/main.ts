/**
 * actions/sbom: generate SPDX and CycloneDX SBOMs of an image or a directory in one pass, attest
 * them on the image, submit them to the dependency graph, scan the packages against OSV (the API,
 * or its exports kept in the runner's tool cache), upload the files as an artifact, write outputs
 * and a job summary, and fail on the severity gate.
 *
 * The SBOM is never lost: its files are written before the scan, and when the vulnerability source
 * fails the files, outputs, artifact and summary are still written before the step fails.
 */
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createRegistryClient, type ActionRun } from '@release-actions/action-kit';
import { loadOsvExports } from '@release-actions/action-kit/osv';
import { HttpClient } from '@release-actions/shared';
import { attestSbom, generateSbom, type SbomAttestation } from '@release-actions/shared/sbom';
import {
  evaluateGate,
  openVulnerabilitySource,
  OSV_DB_DOWNLOAD,
  osvEcosystems,
  scanPackages,
  summarize,
  toSarif,
  type ScanResult,
} from '@release-actions/shared/scan';
import { defaultArtifactName, uploadFiles } from './artifact.ts';
import { fileBase, type Inputs } from './context.ts';
import { writeSummary, type Report } from './report.ts';
import { makeSigner, writeFiles } from './setup.ts';
import { submitDependencySnapshot, type SnapshotOutcome } from './snapshot.ts';

export async function main(inputs: Inputs, run: ActionRun): Promise<void> {
  const { logger } = run;
  const http = new HttpClient({ logger });
  run.defer(() => http.close());
  const signer = inputs.attest
    ? await run.phase('Loading the signer', () => makeSigner(inputs, http))
    : undefined;
  const subject = inputs.image?.text ?? inputs.path!;
  const ref = inputs.image?.ref;
  const client = createRegistryClient({
    credentials:
      inputs.username && ref?.kind === 'registry'
        ? [{ registry: ref.registry, username: inputs.username, password: inputs.password }]
        : [],
    githubToken: inputs['github-token'],
    insecureRegistries: inputs['insecure-registries'],
    http,
    logger,
  });
  const sbom = await run.phase(`Cataloging ${subject}${inputs.platform ? ` (${inputs.platform})` : ''}`, () =>
    generateSbom({
      ...(inputs.image ? { image: inputs.image.text, client } : { path: inputs.path! }),
      ...(inputs.platform && { platform: inputs.platform }),
      logger,
    }),
  );
  const digest = sbom.inventory.source.digest;
  const artifactName = inputs['artifact-name'] || defaultArtifactName(inputs, process.env);
  const dir = inputs['output-dir'] || join(process.env.RUNNER_TEMP || tmpdir(), artifactName);
  const base = fileBase(inputs);
  const files = await run.phase('Writing the SBOM files', async () =>
    writeFiles(dir, base, logger, {
      ...(inputs.format.includes('spdx-json') && { spdx: sbom.spdx }),
      ...(inputs.format.includes('cyclonedx-json') && { cyclonedx: sbom.cyclonedx }),
    }),
  );

  let attestations: SbomAttestation[] = [];
  if (signer && sbom.subject) {
    const attested = sbom.subject;
    attestations = await run.phase(`Attesting the SBOM on ${attested.name}@${attested.digest}`, () =>
      attestSbom({
        ...attested,
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

  // Optional: a refused or failed submission is a warning and a line in the summary.
  const snapshot: SnapshotOutcome = inputs['dependency-snapshot']
    ? await run.phase('Submitting the dependency snapshot', () =>
        submitDependencySnapshot(inputs, sbom, logger),
      )
    : { status: 'skipped', reason: 'dependency-snapshot is false' };

  // The scan comes after the SBOM is safe on disk; a failed vulnerability source fails the step last.
  let scan: ScanResult | undefined;
  let scanError: unknown;
  if (inputs.scan) {
    try {
      scan = await run.phase(`Scanning ${sbom.packages.length} packages`, async () => {
        const packages = sbom.packages.flatMap((p) =>
          p.purl ? [{ name: p.name, version: p.version, purl: p.purl, type: p.type }] : [],
        );
        const source =
          inputs['osv-db'] === OSV_DB_DOWNLOAD
            ? (
                await loadOsvExports(osvEcosystems(packages), {
                  exportUrl: inputs['osv-export-url'],
                  http,
                  logger,
                })
              ).source
            : await openVulnerabilitySource(inputs, { http, logger });
        logger.info(`vulnerability source: ${source.description}`);
        return scanPackages(packages, { source, logger });
      });
    } catch (err) {
      scanError = err;
    }
  }
  const gate = scan
    ? evaluateGate(scan.findings, {
        failOn: inputs['fail-on-severity'],
        ignoreUnfixed: inputs['ignore-unfixed'],
        ...(inputs.allowlist && { allowlist: inputs.allowlist }),
      })
    : undefined;
  if (scan) {
    // The image as attested: what the tag resolved to, once (an index stays an index).
    const artifactUri = sbom.subject
      ? `${sbom.subject.name}@${sbom.subject.digest}`
      : relative(process.env.GITHUB_WORKSPACE || process.cwd(), inputs.path!) || '.';
    const sarif = toSarif(scan.findings, { artifactUri, toolName: 'release-actions/sbom', gate });
    Object.assign(files, writeFiles(dir, base, logger, { sarif }));
  }

  const upload = await run.phase('Uploading the artifact', () =>
    uploadFiles(
      Object.values(files),
      { enabled: inputs['upload-artifact'], name: artifactName, retentionDays: inputs['retention-days'] },
      async () => new (await import('@actions/artifact')).DefaultArtifactClient(),
    ),
  );

  const counts = scan ? summarize(scan.findings).bySeverity : undefined;
  run.output('digest', digest ?? '');
  run.output('packages', sbom.packages.length);
  run.output('spdx', files.spdx ?? '');
  run.output('cyclonedx', files.cyclonedx ?? '');
  run.output('sarif', files.sarif ?? '');
  for (const level of ['critical', 'high', 'medium', 'low'] as const)
    run.output(level, String(counts?.[level] ?? ''));
  run.output('vulnerabilities', scan ? JSON.stringify({ total: scan.findings.length, ...counts }) : '');
  run.output(
    'gate',
    gate
      ? inputs['fail-on-severity'] === 'off'
        ? 'off'
        : gate.passed
          ? 'passed'
          : 'failed'
      : scanError
        ? 'failed'
        : 'skipped',
  );
  run.output('artifact-name', upload.status === 'uploaded' ? upload.name : '');
  run.output(
    'attestations',
    attestations.flatMap((a) => [a.legacy?.location, a.bundle?.location].filter(Boolean)).join('\n'),
  );

  const report: Report = {
    inputs,
    subject,
    sbom,
    files,
    scan,
    scanError,
    gate,
    attestations,
    upload,
    signer,
    snapshot,
  };
  await run.summary(() => writeSummary(report));
  if (scanError) throw scanError;
  for (const message of gate?.messages.slice(1) ?? []) logger.warning(message);
  if (gate && !gate.passed) run.fail(gate.messages[0]!);
  else if (gate) logger.info(gate.messages[0]!);
}
