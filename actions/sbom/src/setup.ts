/**
 * What the run needs before and after the library calls: the signer (key or keyless) and writing
 * the files. (The vulnerability source is the shared openVulnerabilitySource.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskSecret } from '@release-actions/action-kit';
import type { HttpClient, Logger } from '@release-actions/shared';
import {
  createKeylessSigner,
  createKeySigner,
  githubOidcFromEnv,
  loadSigningKeyInput,
  SIGSTORE_PUBLIC_GOOD,
  type ImageSigner,
} from '@release-actions/shared/sign';
import type { Inputs } from './context.ts';

export async function makeSigner(inputs: Inputs, http: HttpClient): Promise<ImageSigner> {
  const witnesses = {
    ...(inputs['rekor-url'] && { rekorUrl: inputs['rekor-url'] }),
    ...(inputs['tsa-url'] && { tsaUrl: inputs['tsa-url'] }),
  };
  if (inputs['cosign-key']) {
    // Decrypted first, before any request: a wrong cosign-password fails the step naming it.
    const key = await loadSigningKeyInput(inputs['cosign-key'], inputs['cosign-password'], {
      keyInput: 'cosign-key',
      passwordInput: 'cosign-password',
    });
    return createKeySigner(key, witnesses);
  }
  return createKeylessSigner({
    identityProvider: githubOidcFromEnv(process.env, { http, onSecret: maskSecret }),
    fulcioUrl: inputs['fulcio-url'] || SIGSTORE_PUBLIC_GOOD.fulcioUrl,
    rekorUrl: inputs['rekor-url'] || SIGSTORE_PUBLIC_GOOD.rekorUrl,
    ...(inputs['tsa-url'] && { tsaUrl: inputs['tsa-url'] }),
  });
}

/** Writes the documents (and the SARIF log) as `<base>.spdx.json`, `<base>.cdx.json`, `<base>.sarif`. */
export function writeFiles(
  dir: string,
  base: string,
  logger: Logger,
  docs: Record<string, unknown>,
): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const names: Record<string, string> = { spdx: 'spdx.json', cyclonedx: 'cdx.json', sarif: 'sarif' };
  const paths: Record<string, string> = {};
  for (const [key, doc] of Object.entries(docs)) {
    paths[key] = join(dir, `${base}.${names[key]}`);
    writeFileSync(paths[key], `${JSON.stringify(doc, null, 2)}\n`);
    logger.info(`wrote ${paths[key]}`);
  }
  return paths;
}
