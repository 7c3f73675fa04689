/**
 * A loopback token issuer for distribution's `token` auth (the Docker registry token protocol),
 * so tests exercise the Bearer challenge → token → retry flow of a real registry.
 *
 * What distribution 2.8 checks (registry/auth/token/token.go and accesscontroller.go at v2.8.2):
 * - the JWT is `header.claims.signature`, each part base64url without padding;
 * - claims: `iss` must equal `auth.token.issuer`, `aud` must equal `auth.token.service` and is a
 *   single string in 2.8 (an array fails to decode and the token is "malformed"), `exp`/`nbf` are
 *   checked with 60 s leeway, `sub` becomes the user name, `access` is
 *   `[{ type, name, actions }]` and every action a request needs must be listed (or `*`);
 * - the signing key is found from the header, in this order: `x5c` (base64 DER certificates,
 *   leaf first, verified up to a certificate of `rootcertbundle`), `jwk` (with its own x5c or a
 *   trusted key id), or `kid` (a libtrust fingerprint of one of the root certificates' keys);
 * - an ES256 signature is the JOSE one: r‖s, 32 bytes each (not DER).
 *
 * The issuer answers `GET /token?service=…&scope=…&scope=…` with HTTP Basic credentials of the
 * configured users or anonymously, and `POST /token` with an OAuth2 password grant
 * (`grant_type=password&username=…&password=…&scope=…`), as docker and containerd use.
 */
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requireExecutable, run } from './process.ts';

/** One entry of a token's `access` claim. */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

/** A requested scope, parsed: `repository:team/app:pull,push` → { type, name, actions }. */
export type ScopeRequest = TokenAccess;

/**
 * Decides which of the requested actions a caller gets on one resource. `user` is undefined for
 * an anonymous request. The default grants every requested action to a configured user and,
 * when `anonymousPull` is set, `pull` on repositories to anonymous callers.
 */
export type GrantFunction = (request: { user: string | undefined } & ScopeRequest) => string[];

export interface TokenIssuerOptions {
  /** user name → password, accepted as HTTP Basic credentials (or a password grant). */
  users?: Record<string, string>;
  /** Anonymous callers get `pull` on any repository (without it they get a token with no access). */
  anonymousPull?: boolean;
  /** The `service` (token audience); default "release-actions-test-registry". */
  service?: string;
  /** The `iss` claim; default "release-actions-test-issuer". */
  issuer?: string;
  /** Token lifetime in seconds; default 300. */
  expiresIn?: number;
  /** Per-resource policy; see GrantFunction. */
  grant?: GrantFunction;
  /**
   * How the token names its signing key: `x5c` (the certificate in the header; default) or
   * `kid` (the libtrust fingerprint of the key, which 2.8 also accepts for root certificates).
   */
  keyHeader?: 'x5c' | 'kid';
}

/** What the issuer saw and answered, one per token request. */
export interface TokenRequestRecord {
  method: string;
  /** The authenticated user, or undefined for an anonymous request (or one that failed to authenticate). */
  user: string | undefined;
  /** The `service` parameter as sent. */
  service: string | undefined;
  /** Each requested scope, as sent (several `scope` parameters and space-separated lists are split). */
  scopes: string[];
  /** The access the issued token carries (empty when nothing was granted or no token was issued). */
  granted: TokenAccess[];
  /** The HTTP status answered: 200 with a token, 401 for bad credentials, 400 for a bad request. */
  status: number;
}

export interface TokenIssuer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The token endpoint, as configured in the registry's `auth.token.realm`. */
  realm: string;
  service: string;
  issuer: string;
  /** The PEM root certificate the registry trusts (`auth.token.rootcertbundle`). */
  rootCertFile: string;
  /** Every token request so far, oldest first. */
  requests: TokenRequestRecord[];
  /** Mints a token directly, without an HTTP round trip and without recording it. */
  issueToken(claims: { user?: string; access: TokenAccess[]; expiresIn?: number }): string;
  stop(): Promise<void>;
}

/** Parses `type:name:actions`; the name may contain colons (`repository:host:5000/app:pull`). */
export function parseScope(scope: string): ScopeRequest | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(data: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The libtrust key id of a public key: SHA-256 of its DER SubjectPublicKeyInfo, truncated to
 * 240 bits, base32 without padding, in 12 colon-separated groups of 4.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const digest = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest()
    .subarray(0, 30);
  return base32(digest)
    .match(/.{1,4}/g)!
    .join(':');
}

function mergeAccess(entries: TokenAccess[]): TokenAccess[] {
  const merged = new Map<string, TokenAccess>();
  for (const entry of entries) {
    if (entry.actions.length === 0) continue;
    const id = `${entry.type}\u0000${entry.name}`;
    const current = merged.get(id);
    if (current) {
      for (const action of entry.actions) if (!current.actions.includes(action)) current.actions.push(action);
    } else {
      merged.set(id, { type: entry.type, name: entry.name, actions: [...new Set(entry.actions)] });
    }
  }
  return [...merged.values()];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

/**
 * Generates an ECDSA P-256 key and a self-signed certificate in `dir` (with the openssl CLI) and
 * starts the issuer on a free loopback port.
 */
export async function startTokenIssuer(dir: string, options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
  const openssl = requireExecutable('openssl', 'openssl');
  const keyFile = join(dir, 'token-signing-key.pem');
  const certFile = join(dir, 'token-signing-cert.pem');
  await run(openssl, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=release-actions test token issuer',
  ]);
  const privateKey = createPrivateKey(await readFile(keyFile));
  const certificate = new X509Certificate(await readFile(certFile));

  const service = options.service ?? 'release-actions-test-registry';
  const issuer = options.issuer ?? 'release-actions-test-issuer';
  const expiresIn = options.expiresIn ?? 300;
  const users = options.users ?? {};
  const header =
    options.keyHeader === 'kid'
      ? { typ: 'JWT', alg: 'ES256', kid: libtrustKeyId(certificate.publicKey) }
      : { typ: 'JWT', alg: 'ES256', x5c: [certificate.raw.toString('base64')] };
  const grant: GrantFunction =
    options.grant ??
    (({ user, type, actions }) => {
      if (user !== undefined) return actions;
      return options.anonymousPull && type === 'repository' ? actions.filter((a) => a === 'pull') : [];
    });

  function issueToken(claims: { user?: string; access: TokenAccess[]; expiresIn?: number }): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: issuer,
      sub: claims.user ?? '',
      aud: service,
      exp: now + (claims.expiresIn ?? expiresIn),
      nbf: now,
      iat: now,
      jti: randomUUID(),
      access: claims.access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${signingInput}.${base64url(signature)}`;
  }

  const requests: TokenRequestRecord[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: TokenRequestRecord = {
      method: req.method ?? 'GET',
      user: undefined,
      service: undefined,
      scopes: [],
      granted: [],
      status: 0,
    };
    const answer = (status: number, body: unknown, headers?: Record<string, string>): void => {
      record.status = status;
      requests.push(record);
      sendJson(res, status, body, headers);
    };
    if (url.pathname !== '/token') {
      answer(404, { errors: [{ code: 'NOT_FOUND', message: `no such endpoint ${url.pathname}` }] });
      return;
    }

    let params: URLSearchParams;
    let username: string | undefined;
    let password: string | undefined;
    if (req.method === 'GET') {
      params = url.searchParams;
      const authorization = req.headers.authorization ?? '';
      if (/^basic /i.test(authorization)) {
        const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        username = colon < 0 ? decoded : decoded.slice(0, colon);
        password = colon < 0 ? '' : decoded.slice(colon + 1);
      }
    } else if (req.method === 'POST') {
      params = new URLSearchParams(await readBody(req));
      const grantType = params.get('grant_type');
      if (grantType !== 'password') {
        answer(400, {
          error: 'unsupported_grant_type',
          error_description: `grant_type ${grantType ?? '(none)'}`,
        });
        return;
      }
      username = params.get('username') ?? '';
      password = params.get('password') ?? '';
    } else {
      answer(405, { errors: [{ code: 'UNSUPPORTED', message: `method ${req.method}` }] });
      return;
    }

    record.service = params.get('service') ?? undefined;
    // Copied first: getAll's array comes from Node's realm, which under jest is not the test
    // file's, and assert.deepStrictEqual would find it unlike an array literal of the test.
    record.scopes = [...params.getAll('scope')].flatMap((s) => s.split(' ').filter(Boolean));
    if (username !== undefined) {
      if (!Object.hasOwn(users, username) || users[username] !== password) {
        answer(
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] },
          { 'www-authenticate': `Basic realm="${service}"` },
        );
        return;
      }
      record.user = username;
    }
    if (record.service !== undefined && record.service !== service) {
      answer(400, {
        errors: [{ code: 'INVALID_SERVICE', message: `service ${record.service} is not ${service}` }],
      });
      return;
    }
    const requested: ScopeRequest[] = [];
    for (const scope of record.scopes) {
      const parsed = parseScope(scope);
      if (!parsed) {
        answer(400, { errors: [{ code: 'INVALID_SCOPE', message: `malformed scope ${scope}` }] });
        return;
      }
      requested.push(parsed);
    }
    record.granted = mergeAccess(
      requested.map((r) => ({
        ...r,
        actions: grant({ user: record.user, ...r }).filter((a) => a.length > 0),
      })),
    );
    const token = issueToken({ user: record.user, access: record.granted });
    answer(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: String(err) }] });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Clients keep the event loop alive while they wait for a token; the server alone must not.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  let stopping: Promise<void> | undefined;
  return {
    url,
    realm: `${url}/token`,
    service,
    issuer,
    rootCertFile: certFile,
    requests,
    issueToken,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
