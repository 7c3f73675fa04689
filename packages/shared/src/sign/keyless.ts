/**
 * Keyless signing through sigstore-js: an ephemeral ECDSA P-256 key, a short-lived Fulcio
 * certificate binding it to the OIDC identity (for GitHub: the workflow), and Rekor (and
 * optionally an RFC 3161 timestamp authority) witnessing every signature.
 *
 * One certificate serves a whole signing session (the legacy signature, the bundle and the
 * provenance of an image), as cosign's caching Fulcio provider does: the first signature asks
 * Fulcio through `FulcioSigner`, later ones reuse the key and certificate while it has at least a
 * minute of validity left.
 *
 * Service URLs are explicit so private Sigstore instances work; {@link SIGSTORE_PUBLIC_GOOD} holds
 * the public-good ones. HTTP to Fulcio, Rekor and the TSA goes through sigstore-js's own fetch
 * (make-fetch-happen, honouring HTTPS_PROXY), since sigstore-js takes no client to inject; only the
 * OIDC token request uses our HttpClient.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { FulcioSigner, type Signature, type Signer } from '@sigstore/sign';
import { SignError } from './errors.ts';
import { decodeJwtClaims, type IdentityProvider } from './oidc.ts';
import {
  bundleSigner,
  certificateIdentity,
  KeySigner,
  witnessesFor,
  type ImageSigner,
  type SignerIdentity,
  type WitnessOptions,
} from './signer.ts';

/** The public-good Sigstore instance. */
export const SIGSTORE_PUBLIC_GOOD = {
  fulcioUrl: 'https://fulcio.sigstore.dev',
  rekorUrl: 'https://rekor.sigstore.dev',
  tsaUrl: 'https://timestamp.sigstore.dev',
} as const;

export interface KeylessOptions extends WitnessOptions {
  /** Where identity tokens come from (see oidc.ts). */
  identityProvider: IdentityProvider;
  /** Fulcio base URL. */
  fulcioUrl: string;
}

/** Renew the certificate when it has less than this left. */
const MIN_VALIDITY_MS = 60_000;

/** A Fulcio-backed signer that reuses its certificate while it is valid (see the module comment). */
class CachingFulcioSigner implements Signer {
  private readonly holder: KeySigner;
  private readonly fulcio: FulcioSigner;
  private certificate: { pem: string; notAfter: number } | undefined;

  constructor(fulcio: (holder: KeySigner) => FulcioSigner) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.holder = new KeySigner({ privateKey, publicKey });
    this.fulcio = fulcio(this.holder);
  }

  get certificatePem(): string | undefined {
    return this.certificate?.pem;
  }

  async sign(data: Buffer): Promise<Signature> {
    if (this.certificate && this.certificate.notAfter - MIN_VALIDITY_MS > Date.now()) {
      const { signature } = await this.holder.sign(data);
      return { signature, key: { $case: 'x509Certificate', certificate: this.certificate.pem } };
    }
    const signed = await this.fulcio.sign(data);
    if (signed.key.$case !== 'x509Certificate')
      throw new SignError('SIGSTORE_ERROR', 'Fulcio returned no certificate for the signing key');
    const pem = signed.key.certificate;
    this.certificate = { pem, notAfter: new X509Certificate(pem).validToDate.getTime() };
    return signed;
  }
}

/**
 * A keyless {@link ImageSigner}. Needs a transparency log or a timestamp authority (a Fulcio
 * certificate lives minutes: without either, nobody could later tell it was valid at signing).
 */
export function createKeylessSigner(options: KeylessOptions): ImageSigner {
  if (!options.fulcioUrl) throw new SignError('SIGSTORE_ERROR', 'keyless signing needs a Fulcio URL');
  if (!options.rekorUrl && !options.tsaUrl)
    throw new SignError('SIGSTORE_ERROR', 'keyless signing needs a Rekor URL or a timestamp authority URL');
  const tokens = new Set<string>();
  const identityProvider: IdentityProvider = {
    getToken: async () => {
      const token = await options.identityProvider.getToken();
      tokens.add(token);
      // sigstore-js puts an unparsable token into its error message: refuse it here first.
      const claims = decodeJwtClaims(token);
      if (typeof claims['sub'] !== 'string' && typeof claims['email'] !== 'string')
        throw new SignError('OIDC_ERROR', 'the identity token has no subject');
      return token;
    },
  };
  const signer = new CachingFulcioSigner(
    (keyHolder) =>
      new FulcioSigner({
        identityProvider,
        keyHolder,
        fulcioBaseURL: options.fulcioUrl,
        timeout: options.timeoutMs ?? 30_000,
        retry: options.retries ?? 2,
      }),
  );
  const scrub = (text: string): string => {
    let out = text;
    for (const token of tokens) out = out.split(token).join('***');
    return out;
  };
  let identity: SignerIdentity | undefined;
  return bundleSigner({
    kind: 'keyless',
    signer,
    witnesses: witnessesFor(options),
    publicKey: undefined,
    scrub,
    identity: () => {
      const pem = signer.certificatePem;
      if (pem && (identity?.kind !== 'certificate' || identity.certificatePem !== pem))
        identity = certificateIdentity(pem);
      return identity;
    },
  });
}
