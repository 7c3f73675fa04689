/**
 * A loopback stand-in for a private Sigstore instance, built from `@sigstore/mock`'s handlers
 * (Fulcio with a CT log, Rekor, an RFC 3161 timestamp authority) behind a real HTTP server, with
 * the trusted root that describes its keys; and a stand-in for the GitHub Actions OIDC token
 * service. Both listen on 127.0.0.1 with a free port and stop when asked.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock';
import { HashAlgorithm, PublicKeyDetails, type TrustedRoot } from '@sigstore/protobuf-specs';

const ecKeys = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const bytes = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * `@sigstore/mock`'s Rekor logs a proposed entry as it came; real Rekor stores a `dsse` entry in
 * its canonical form (envelope and payload hashes, signatures with their verifiers), which is what
 * verifiers compare bundles against. Do that conversion here, so the stand-in behaves like Rekor.
 */
function asRekorStores(path: string, text: string): string {
  if (path !== '/api/v1/log/entries') return text;
  const entry = JSON.parse(text) as {
    kind?: string;
    apiVersion?: string;
    spec?: { proposedContent?: { envelope: string; verifiers: string[] } };
  };
  const proposed = entry.spec?.proposedContent;
  if (entry.kind !== 'dsse' || !proposed) return text;
  const envelope = JSON.parse(proposed.envelope) as { payload: string; signatures: Array<{ sig: string }> };
  const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
  return JSON.stringify({
    apiVersion: entry.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(proposed.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((sig, i) => ({
        signature: sig.sig,
        verifier: proposed.verifiers[i] ?? proposed.verifiers[0],
      })),
    },
  });
}

export interface SigstoreStandIn {
  url: string;
  fulcioUrl: string;
  rekorUrl: string;
  tsaUrl: string;
  trustedRoot: TrustedRoot;
  /** `METHOD path` of every request served. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startSigstoreStandIn(): Promise<SigstoreStandIn> {
  const server = createServer();
  const url = await listen(server);
  const ctlog = await initializeCTLog(ecKeys());
  const ca = await initializeCA(ecKeys(), ctlog);
  const tlog = await initializeTLog(url, ecKeys());
  const tsa = await initializeTSA(ecKeys());
  // @sigstore/core reads a GeneralizedTime only with exactly three fraction digits, but DER drops
  // trailing zeros (…12.120Z is written …12.12Z), so a timestamp taken in a millisecond ending in 0
  // fails to parse: one signature in ten. Real timestamp authorities hit the same (verifyImage
  // copes); here the stand-in's clock skips those milliseconds so the tests are deterministic.
  (tsa as unknown as { getCurrentTime: () => Date }).getCurrentTime = () => {
    const now = new Date();
    if (now.getMilliseconds() % 10 === 0) now.setMilliseconds(now.getMilliseconds() + 1);
    return now;
  };
  const handlers = [fulcioHandler(ca), rekorHandler(tlog), tsaHandler(tsa)];
  const requests: string[] = [];
  server.on('request', (req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', url).pathname;
      requests.push(`${req.method} ${path}`);
      const handler = handlers.find((h) => h.path === path);
      if (req.method !== 'POST' || !handler) {
        res.writeHead(404).end();
        return;
      }
      const { statusCode, response, contentType } = await handler.fn(asRekorStores(path, await body(req)));
      res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
      res.end(typeof response === 'string' ? response : bytes(response));
    })().catch(() => res.writeHead(500).end());
  });

  const since = { start: new Date(Date.now() - 3_600_000) };
  const trustedRoot: TrustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: bytes(ca.rootCertificate) }] },
        validFor: since,
        operator: 'release-actions tests',
      },
    ],
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: HashAlgorithm.SHA2_256,
        publicKey: {
          rawBytes: tlog.publicKey,
          keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
          validFor: since,
        },
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest() },
        checkpointKeyId: undefined,
        operator: 'release-actions tests',
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: HashAlgorithm.SHA2_256,
        publicKey: {
          rawBytes: ctlog.publicKey,
          keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
          validFor: since,
        },
        logId: { keyId: bytes(ctlog.logID) },
        checkpointKeyId: undefined,
        operator: 'release-actions tests',
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: url,
        certChain: {
          certificates: [{ rawBytes: bytes(tsa.intCertificate) }, { rawBytes: bytes(tsa.rootCertificate) }],
        },
        validFor: since,
        operator: 'release-actions tests',
      },
    ],
  };
  return {
    url,
    fulcioUrl: url,
    rekorUrl: url,
    tsaUrl: url,
    trustedRoot,
    requests,
    stop: () => close(server),
  };
}

/** An unsigned-looking JWT with these claims (the stand-in Fulcio reads claims without verifying). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${Buffer.from('signature').toString('base64url')}`;
}

export interface OidcStandIn {
  /** For ACTIONS_ID_TOKEN_REQUEST_URL (carries `?api-version=2.0`, as GitHub's does). */
  requestUrl: string;
  requestToken: string;
  /** The audiences asked for, in order. */
  audiences: Array<string | null>;
  stop(): Promise<void>;
}

/** GitHub's OIDC token service: answers `{"value": token}` to a GET with the right bearer token. */
export async function startOidcStandIn(token: string): Promise<OidcStandIn> {
  const requestToken = `request-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
  const audiences: Array<string | null> = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization !== `bearer ${requestToken}`) {
      res.writeHead(401).end();
      return;
    }
    audiences.push(u.searchParams.get('audience'));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ count: 1, value: token }));
  });
  const url = await listen(server);
  return { requestUrl: `${url}/token?api-version=2.0`, requestToken, audiences, stop: () => close(server) };
}

/** A GitHub Actions OIDC identity for keyless tests: the workflow, its certificate SAN and issuer, and token claims. */
export const GITHUB_WORKFLOW = 'acme/app/.github/workflows/release.yml@refs/heads/main';
export const GITHUB_IDENTITY = `https://github.com/${GITHUB_WORKFLOW}`;
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export function githubClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: GITHUB_ISSUER,
    aud: 'sigstore',
    sub: GITHUB_IDENTITY,
    exp: Math.floor(Date.now() / 1000) + 600,
    repository: 'acme/app',
    repository_id: '11',
    repository_owner_id: '22',
    workflow_ref: GITHUB_WORKFLOW,
    job_workflow_ref: GITHUB_WORKFLOW,
    ref: 'refs/heads/main',
    sha: 'c27d339ee6075c1f744c5d4b200f7901aad2c369',
    event_name: 'push',
    run_id: '314',
    run_attempt: '1',
    runner_environment: 'github-hosted',
    ...overrides,
  };
}

/**
 * Both stand-ins, ready for a keyless run of an action's dist: the Sigstore stand-in, a GitHub
 * OIDC token service issuing one token with {@link githubClaims} (and `overrides`), the action
 * inputs that point keyless signing at the stand-in, and the runner environment a job with
 * `permissions: id-token: write` has. `idToken` and `oidc.requestToken` are the secrets.
 */
export interface GithubKeylessStandIns {
  sigstore: SigstoreStandIn;
  oidc: OidcStandIn;
  /** The ID token the OIDC stand-in hands out. */
  idToken: string;
  /** The certificate SAN Fulcio issues for it, and the issuer. */
  identity: string;
  issuer: string;
  /** `fulcio-url`, `rekor-url` and `tsa-url` inputs. */
  inputs: Record<string, string>;
  /** `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startGithubKeylessStandIns(
  overrides: Record<string, unknown> = {},
): Promise<GithubKeylessStandIns> {
  const claims = githubClaims(overrides);
  const idToken = fakeJwt(claims);
  const sigstore = await startSigstoreStandIn();
  const oidc = await startOidcStandIn(idToken).catch(async (err: unknown) => {
    await sigstore.stop();
    throw err;
  });
  return {
    sigstore,
    oidc,
    idToken,
    identity: String(claims['sub']),
    issuer: String(claims['iss']),
    inputs: { 'fulcio-url': sigstore.fulcioUrl, 'rekor-url': sigstore.rekorUrl, 'tsa-url': sigstore.tsaUrl },
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken },
    stop: async () => {
      await oidc.stop();
      await sigstore.stop();
    },
  };
}
