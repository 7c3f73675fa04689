/**
 * The workflow artifact holding the SBOMs and the SARIF file: a name unique per job and matrix leg
 * (anchore/sbom-action's fixed names collide across matrix legs, its most reported problem), and
 * an upload whose failure is a warning the run shows, never a silent pass.
 */
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import * as core from '@actions/core';
import { errorMessage } from '@release-actions/shared';
import type { Inputs } from './context.ts';

/**
 * `sbom-<job>-<8 hex>`: the job id (`GITHUB_JOB`) and a hash of what the step describes (image or
 * path, platform, formats). Matrix legs differ in at least one of these when they scan different
 * things; legs that scan the very same thing should set `artifact-name` (e.g. with
 * `strategy.job-index`).
 */
export function defaultArtifactName(
  inputs: Pick<Inputs, 'image' | 'path' | 'platform' | 'format'>,
  env: NodeJS.ProcessEnv,
): string {
  const subject = inputs.image?.text ?? `path:${inputs.path ?? ''}`;
  const hash = createHash('sha256')
    .update(JSON.stringify([subject, inputs.platform, inputs.format]))
    .digest('hex')
    .slice(0, 8);
  const job = (env.GITHUB_JOB ?? '').replace(/[^A-Za-z0-9_.-]/g, '-') || 'job';
  return `sbom-${job}-${hash}`;
}

/** What `@actions/artifact`'s client does for us: only the upload. */
export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number },
  ): Promise<{ id?: number; size?: number }>;
}

export type UploadOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'uploaded'; name: string; id: number | undefined; size: number | undefined }
  | { status: 'failed'; name: string; message: string };

/**
 * Uploads `files` (all in one directory) unless `upload-artifact` is false. A failure becomes a
 * warning naming the artifact and the cause, and the outcome says `failed`; the step goes on, since
 * the files are on disk and in the outputs.
 */
export async function uploadFiles(
  files: readonly string[],
  options: { enabled: boolean; name: string; retentionDays: number },
  client: () => Promise<ArtifactUploader>,
): Promise<UploadOutcome> {
  if (!options.enabled) return { status: 'skipped', reason: 'upload-artifact is false' };
  if (files.length === 0) return { status: 'skipped', reason: 'no file was written' };
  try {
    const uploader = await client();
    const root = dirname(files[0]!);
    const result = await uploader.uploadArtifact(options.name, [...files], root, {
      retentionDays: options.retentionDays,
    });
    core.info(
      `uploaded artifact ${options.name} (${files.map((f) => basename(f)).join(', ')}), kept ${options.retentionDays} days`,
    );
    return { status: 'uploaded', name: options.name, id: result.id, size: result.size };
  } catch (err) {
    const message = errorMessage(err);
    core.warning(
      `the artifact ${options.name} was not uploaded: ${message}. The files are still in the step's outputs; set upload-artifact: false to skip the upload, or artifact-name to a name not used yet in this run`,
    );
    return { status: 'failed', name: options.name, message };
  }
}
