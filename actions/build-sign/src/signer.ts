/**
 * The signer the inputs ask for, set up before anything is built so a wrong password, a missing
 * `id-token: write` or a run without GitHub context fails first, naming the input to fix.
 */
import { maskSecret } from '@release-actions/action-kit';
import type { HttpClient } from '@release-actions/shared';
import { InputError } from '@release-actions/shared/github';
import {
  createKeylessSigner,
  createKeySigner,
  decodeJwtClaims,
  githubContextFromClaims,
  githubContextFromEnv,
  githubOidcFromEnv,
  loadSigningKeyInput,
  SignError,
  type GitHubBuildContext,
  type ImageSigner,
} from '@release-actions/shared/sign';
import type { Inputs } from './context.ts';

export interface SigningSetup {
  signer: ImageSigner;
  /** The provenance context (key: from the environment now; keyless: from the OIDC token when signing). */
  provenanceContext: (() => Promise<GitHubBuildContext>) | undefined;
  describe: string;
}

export async function setUpSigning(
  inputs: Inputs,
  http: HttpClient,
  env = process.env,
): Promise<SigningSetup> {
  const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com';
  if (inputs.signing === 'key') {
    // Decrypted here, before anything is built: a wrong cosign-password fails the step first.
    const key = await loadSigningKeyInput(inputs['cosign-key']!, inputs['cosign-password'], {
      keyInput: 'cosign-key',
      passwordInput: 'cosign-password',
    });
    const context = inputs.provenance ? withProvenanceHint(() => githubContextFromEnv(env)) : undefined;
    const signer = createKeySigner(key);
    const id = signer.identity();
    return {
      signer,
      provenanceContext: context && (async () => context),
      describe: id?.kind === 'key' ? `key ${id.fingerprint}` : 'key',
    };
  }
  const identityProvider = githubOidcFromEnv(env, { http, onSecret: maskSecret });
  const signer = createKeylessSigner({
    identityProvider,
    fulcioUrl: inputs['fulcio-url'],
    rekorUrl: inputs['rekor-url'],
    ...(inputs['tsa-url'] && { tsaUrl: inputs['tsa-url'] }),
  });
  return {
    signer,
    provenanceContext: inputs.provenance
      ? async () => {
          const claims = decodeJwtClaims(await identityProvider.getToken());
          return withProvenanceHint(() => githubContextFromClaims(claims, serverUrl));
        }
      : undefined,
    describe: `keyless (Fulcio ${inputs['fulcio-url']}, Rekor ${inputs['rekor-url']}${inputs['tsa-url'] ? `, TSA ${inputs['tsa-url']}` : ''})`,
  };
}

function withProvenanceHint<T>(get: () => T): T {
  try {
    return get();
  } catch (err) {
    if (err instanceof SignError && err.code === 'PROVENANCE_CONTEXT')
      throw new InputError([
        { input: 'provenance', message: `${err.message}; set provenance: false to sign without it` },
      ]);
    throw err;
  }
}
