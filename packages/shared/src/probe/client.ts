/**
 * The HTTP client a probe uses: the shared {@link HttpClient} on an undici agent that opens a fresh
 * connection for every attempt (so each attempt sees what a new client sees: connect, TLS
 * handshake, first byte) and trusts extra CAs on top of the default ones. TLS verification is
 * never turned off.
 */
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { Agent } from 'undici';
import { HttpClient } from '../http.ts';
import type { Logger } from '../logger.ts';
import { ProbeError } from './errors.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates in a PEM bundle, each checked to parse as X.509. Throws INVALID_PROBE_OPTIONS
 * when there is none or one is damaged.
 */
export function parseCaBundle(pem: string): string[] {
  const certificates = pem.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new ProbeError(
      'INVALID_PROBE_OPTIONS',
      'holds no PEM certificate: give the CA certificate itself (-----BEGIN CERTIFICATE----- …) or the path of a file holding it',
    );
  }
  certificates.forEach((cert, i) => {
    try {
      new X509Certificate(cert);
    } catch (err) {
      throw new ProbeError(
        'INVALID_PROBE_OPTIONS',
        `certificate ${i + 1} of ${certificates.length} does not parse as X.509: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  });
  return certificates;
}

/** The CAs Node trusts by default: its bundled roots plus `NODE_EXTRA_CA_CERTS` (and the system store when enabled). */
function defaultCertificates(): string[] {
  const get = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  return get ? get('default') : [...tls.rootCertificates];
}

export interface ProbeClientOptions {
  /** Extra trusted CA certificates (PEM), added to the default ones, never replacing them. */
  caCerts?: readonly string[];
  /** Limit for establishing a connection (TCP and TLS), in milliseconds. Default 10 s. */
  connectTimeoutMs?: number;
  logger?: Logger;
  userAgent?: string;
}

/** An {@link HttpClient} for probes: no connection reuse, no retry of its own (the probe counts attempts). */
export function createProbeClient(options: ProbeClientOptions = {}): HttpClient {
  const ca = options.caCerts?.length ? [...defaultCertificates(), ...options.caCerts] : undefined;
  const dispatcher = new Agent({
    pipelining: 0,
    connect: { timeout: options.connectTimeoutMs ?? 10_000, ...(ca ? { ca } : {}) },
  });
  return new HttpClient({
    dispatcher,
    retry: { attempts: 1, backoff: () => 0, maxDelayMs: 0 },
    logger: options.logger,
    userAgent: options.userAgent ?? 'release-actions-health-check',
  });
}
