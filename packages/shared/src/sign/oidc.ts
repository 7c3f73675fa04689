/**
 * OIDC identity tokens for keyless signing. On GitHub Actions the job asks the runner's token
 * service (`ACTIONS_ID_TOKEN_REQUEST_URL`, authorised by `ACTIONS_ID_TOKEN_REQUEST_TOKEN`) for a
 * token with audience `sigstore`; those variables exist only when the job has
 * `permissions: id-token: write`.
 *
 * Tokens are secrets: `onSecret` lets the caller mask each one (`core.setSecret`) the moment it
 * arrives, and no error or log line of ours contains one.
 */
import { errorMessage } from '../errors.ts';
import { HttpClient } from '../http.ts';
import { SignError } from './errors.ts';

/** What sigstore-js's Fulcio signer asks for a token (the `IdentityProvider` of `@sigstore/sign`). */
export interface IdentityProvider {
  getToken(): Promise<string>;
}

export const SIGSTORE_AUDIENCE = 'sigstore';

/**
 * The claims of a JWT, without verifying it (Fulcio verifies; we only read what the token says
 * about the run, e.g. for provenance). OIDC_ERROR when it is not a JWT.
 */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) throw new SignError('OIDC_ERROR', 'the identity token is not a JWT');
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!claims || typeof claims !== 'object' || Array.isArray(claims))
      throw new Error('claims are not an object');
    return claims as Record<string, unknown>;
  } catch (err) {
    throw new SignError('OIDC_ERROR', `the identity token's claims do not parse: ${errorMessage(err)}`);
  }
}

/** A provider that hands out a token obtained elsewhere. */
export function staticIdentityProvider(token: string): IdentityProvider {
  return { getToken: async () => token };
}

export interface GitHubOidcOptions {
  /** `ACTIONS_ID_TOKEN_REQUEST_URL`. */
  requestUrl: string;
  /** `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (a secret). */
  requestToken: string;
  /** Default `sigstore`. */
  audience?: string;
  http?: HttpClient;
  /** Called with every secret as soon as it is known (the request token, each identity token), to mask it. */
  onSecret?: (secret: string) => void;
  /** Reuse a token until this many seconds before it expires. Default 60. */
  refreshBeforeSeconds?: number;
}

const PERMISSION_HINT =
  'add "permissions: id-token: write" to the job (or the workflow) so GitHub Actions can issue an OIDC token for keyless signing';

/**
 * GitHub's OIDC token service as an {@link IdentityProvider}, from the runner's environment.
 * OIDC_PERMISSION when the variables are missing, which means the job lacks `id-token: write`.
 */
export function githubOidcFromEnv(
  env: Record<string, string | undefined>,
  options: Omit<GitHubOidcOptions, 'requestUrl' | 'requestToken'> = {},
): GitHubOidcProvider {
  const requestUrl = env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const requestToken = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (!requestUrl || !requestToken) {
    throw new SignError(
      'OIDC_PERMISSION',
      `keyless signing needs an OIDC token, but ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: ${PERMISSION_HINT}`,
    );
  }
  return new GitHubOidcProvider({ ...options, requestUrl, requestToken });
}

/** Fetches (and caches while fresh) GitHub Actions OIDC tokens for one audience. */
export class GitHubOidcProvider implements IdentityProvider {
  private readonly options: GitHubOidcOptions;
  private readonly http: HttpClient;
  private cached: { token: string; expiresAt: number } | undefined;

  constructor(options: GitHubOidcOptions) {
    this.options = options;
    this.http = options.http ?? new HttpClient();
    options.onSecret?.(options.requestToken);
  }

  async getToken(): Promise<string> {
    const refresh = (this.options.refreshBeforeSeconds ?? 60) * 1000;
    if (this.cached && this.cached.expiresAt - refresh > Date.now()) return this.cached.token;
    const url = new URL(this.options.requestUrl);
    url.searchParams.set('audience', this.options.audience ?? SIGSTORE_AUDIENCE);
    let res;
    try {
      res = await this.http.request({
        method: 'GET',
        url,
        headers: { authorization: `bearer ${this.options.requestToken}`, accept: 'application/json' },
        timeoutMs: 30_000,
      });
    } catch (err) {
      throw new SignError(
        'OIDC_ERROR',
        `could not reach the GitHub OIDC token service: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    if (res.status === 401 || res.status === 403) {
      await res.body.dump().catch(() => undefined);
      throw new SignError(
        'OIDC_PERMISSION',
        `the GitHub OIDC token service refused the request (${res.status}): ${PERMISSION_HINT}`,
      );
    }
    if (res.status !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new SignError('OIDC_ERROR', `the GitHub OIDC token service answered ${res.status}`);
    }
    let token: unknown;
    try {
      token = ((await res.body.json()) as { value?: unknown }).value;
    } catch (err) {
      throw new SignError('OIDC_ERROR', 'the GitHub OIDC token service answered something that is not JSON', {
        cause: err,
      });
    }
    if (typeof token !== 'string' || token === '')
      throw new SignError('OIDC_ERROR', 'the GitHub OIDC token service returned no token');
    this.options.onSecret?.(token);
    const claims = decodeJwtClaims(token);
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : Date.now() + 5 * 60_000;
    this.cached = { token, expiresAt: exp };
    return token;
  }
}
