/**
 * Authentication to one registry, as go-containerregistry's transport does it: ping `/v2/` once to
 * learn the scheme, then anonymous, HTTP Basic, or the bearer token flow (`WWW-Authenticate`
 * realm/service/scope → token endpoint), with tokens cached per set of scopes and widened when the
 * registry answers `insufficient_scope`.
 */
import { HTTPError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import type { Logger } from '../logger.ts';
import { parseWwwAuthenticate, type Challenge } from './challenge.ts';
import type { Credential } from './credentials.ts';
import { OciError } from './errors.ts';

/** Where credentials come from: see `CredentialResolver`. */
export interface CredentialSource {
  resolve(registry: string): Promise<Credential | undefined>;
}

type Scheme = { kind: 'anonymous' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** Seconds a token lives when the issuer does not say (the distribution token spec's default). */
const DEFAULT_TOKEN_LIFETIME_S = 60;

export class RegistryAuth {
  private scheme: Promise<Scheme> | undefined;
  private credential: Promise<Credential | undefined> | undefined;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  /** Every scope a token was asked for on this registry, so a new token also covers what earlier ones did. */
  private readonly knownScopes = new Set<string>();

  readonly registry: string;
  readonly baseUrl: string;
  private readonly http: HttpClient;
  private readonly credentials: CredentialSource | undefined;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(init: {
    registry: string;
    baseUrl: string;
    http: HttpClient;
    credentials?: CredentialSource;
    logger: Logger;
    now?: () => number;
  }) {
    this.registry = init.registry;
    this.baseUrl = init.baseUrl;
    this.http = init.http;
    this.credentials = init.credentials;
    this.logger = init.logger;
    this.now = init.now ?? Date.now;
  }

  /** The `Authorization` header value for requests needing `scopes`, or undefined when anonymous. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    const scheme = await this.ping();
    if (scheme.kind === 'anonymous') return undefined;
    const credential = await this.getCredential();
    if (scheme.kind === 'basic') {
      if (!credential || !('username' in credential)) {
        throw new OciError(
          'UNAUTHORIZED',
          `${this.registry} requires a username and password: pass them to the action (username/password inputs) or run docker login`,
        );
      }
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    }
    if (credential && 'registryToken' in credential) return `Bearer ${credential.registryToken}`;
    for (const s of scopes) this.knownScopes.add(s);
    const all = [...this.knownScopes].sort();
    const key = all.join(' ');
    const cached = this.tokens.get(key);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresAt > this.now()) return token.header;
    }
    const pending = this.fetchToken(scheme, all, credential);
    this.tokens.set(key, pending);
    pending.catch(() => this.tokens.delete(key));
    return (await pending).header;
  }

  /**
   * Learns from a 401 answer what the registry wants. Returns true when asking again with a new
   * token may succeed (a bearer challenge, with any scope it names added to what we ask for).
   */
  challenged(wwwAuthenticate: string | null): boolean {
    if (!wwwAuthenticate) return false;
    const bearer = parseWwwAuthenticate(wwwAuthenticate).find((c) => c.scheme === 'bearer');
    if (!bearer) return false;
    const scope = bearer.params.scope;
    let added = false;
    for (const s of scope ? scope.split(' ') : []) {
      if (!this.knownScopes.has(s)) {
        this.knownScopes.add(s);
        added = true;
      }
    }
    // Without a new scope the same request would fail the same way, unless our token just expired.
    this.tokens.clear();
    return added || bearer.params.error === 'invalid_token' || scope === undefined;
  }

  /** The auth scheme of the registry, from one `/v2/` ping (cached). */
  ping(): Promise<Scheme> {
    this.scheme ??= this.doPing();
    this.scheme.catch(() => (this.scheme = undefined));
    return this.scheme;
  }

  private getCredential(): Promise<Credential | undefined> {
    this.credential ??= this.credentials?.resolve(this.registry) ?? Promise.resolve(undefined);
    return this.credential;
  }

  private async doPing(): Promise<Scheme> {
    let res;
    try {
      res = await this.http.request({ method: 'GET', url: `${this.baseUrl}/v2/` });
    } catch (err) {
      throw new OciError(
        'REGISTRY_ERROR',
        `cannot reach registry ${this.registry} at ${this.baseUrl}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    await res.body.dump().catch(() => undefined);
    if (res.status === 200) return { kind: 'anonymous' };
    if (res.status !== 401) {
      throw new OciError(
        'REGISTRY_ERROR',
        `${this.baseUrl}/v2/ answered ${res.status}: is ${this.registry} an OCI registry?`,
      );
    }
    const challenges = parseWwwAuthenticate(res.headers.get('www-authenticate') ?? '');
    return schemeOf(challenges, this.registry);
  }

  private async fetchToken(
    scheme: Extract<Scheme, { kind: 'bearer' }>,
    scopes: string[],
    credential: Credential | undefined,
  ): Promise<CachedToken> {
    const url = new URL(scheme.realm);
    const started = this.now();
    let res;
    if (credential && 'identityToken' in credential) {
      // An identity token is an OAuth2 refresh token (docker login to some registries stores one).
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        client_id: 'release-actions',
        ...(scheme.service && { service: scheme.service }),
      });
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await this.http.request({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } else {
      if (scheme.service) url.searchParams.set('service', scheme.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (credential && 'username' in credential) {
        headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
      }
      res = await this.http.request({ method: 'GET', url, headers });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body.dump().catch(() => undefined);
      throw new OciError(
        'UNAUTHORIZED',
        credential
          ? `the token service of ${this.registry} refused our credentials for ${scopes.join(', ')}: check the username and password or token, and that it may ${scopes.some((s) => s.endsWith('push')) ? 'push to' : 'pull from'} this repository`
          : `${this.registry} needs credentials for ${scopes.join(', ')}: log in (docker login) or pass username/password`,
      );
    }
    if (res.status !== 200) {
      const body = await res.body.text().catch(() => '');
      throw new OciError('REGISTRY_ERROR', `the token service of ${this.registry} failed`, {
        cause: new HTTPError({ statusCode: res.status, method: 'GET', url: url.origin + url.pathname, body }),
      });
    }
    const doc = (await res.body.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = doc.token ?? doc.access_token;
    if (!token)
      throw new OciError('REGISTRY_ERROR', `the token service of ${this.registry} answered without a token`);
    const lifetime = (doc.expires_in ?? DEFAULT_TOKEN_LIFETIME_S) * 1000;
    this.logger.debug(
      `token for ${this.registry} (${scopes.join(' ')}) valid ${Math.round(lifetime / 1000)} s`,
    );
    // Refresh a little early, so a token never expires between our check and the registry's.
    return { header: `Bearer ${token}`, expiresAt: started + lifetime * 0.9 };
  }
}

function schemeOf(challenges: Challenge[], registry: string): Scheme {
  const bearer = challenges.find((c) => c.scheme === 'bearer');
  if (bearer) {
    const realm = bearer.params.realm;
    if (!realm) throw new OciError('REGISTRY_ERROR', `${registry} sent a Bearer challenge without a realm`);
    return {
      kind: 'bearer',
      realm,
      ...(bearer.params.service !== undefined && { service: bearer.params.service }),
    };
  }
  if (challenges.some((c) => c.scheme === 'basic')) return { kind: 'basic' };
  throw new OciError(
    'UNSUPPORTED',
    `${registry} asks for an authentication scheme we do not speak: ${challenges.map((c) => c.scheme).join(', ') || 'none given'}`,
  );
}

/** The scope to read a repository, and to write it. */
export const pullScope = (repository: string) => `repository:${repository}:pull`;
export const pushScope = (repository: string) => `repository:${repository}:pull,push`;
