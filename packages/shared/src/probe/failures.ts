/**
 * Turns whatever an attempt threw (undici and socket errors, aborts) into a {@link ProbeError} with
 * a failure code, and says whether another attempt could see something different.
 */
import { ProbeError, type ProbeFailureCode } from './errors.ts';

const CODE_OF: Record<string, ProbeFailureCode> = {
  ECONNREFUSED: 'CONNECTION_REFUSED',
  ECONNRESET: 'CONNECTION_RESET',
  EPIPE: 'CONNECTION_RESET',
  UND_ERR_SOCKET: 'CONNECTION_RESET',
  UND_ERR_CLOSED: 'CONNECTION_RESET',
  ETIMEDOUT: 'TIMEOUT',
  UND_ERR_CONNECT_TIMEOUT: 'TIMEOUT',
  UND_ERR_HEADERS_TIMEOUT: 'TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'TIMEOUT',
  ENOTFOUND: 'DNS_ERROR',
  EAI_AGAIN: 'DNS_ERROR',
  EAI_NONAME: 'DNS_ERROR',
};

/** Certificate verification failures: a later attempt would meet the same certificate. */
const CERTIFICATE_CODE =
  /^(CERT_|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE|DECRYPT_CERT)|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|CERT_UNTRUSTED|CERT_REJECTED)/;

function codesOf(err: unknown): Array<{ code?: string; name?: string; message: string }> {
  const chain: Array<{ code?: string; name?: string; message: string }> = [];
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    chain.push({
      code: typeof code === 'string' ? code : undefined,
      name: typeof name === 'string' ? name : undefined,
      message: typeof message === 'string' ? message : String(e),
    });
  }
  return chain;
}

export interface AbortContext {
  /** The probe's deadline passed during the attempt. */
  deadline: boolean;
  /** The caller cancelled (the job is being stopped). */
  cancelled: boolean;
  /** The attempt's own timeout fired. */
  timedOut: boolean;
  timeoutMs: number;
  deadlineMs: number | undefined;
}

/** A failure and whether it is worth another attempt. */
export interface ClassifiedFailure {
  error: ProbeError;
  retryable: boolean;
}

/** Classifies an error thrown while sending a request or reading its response. */
export function classifyError(err: unknown, abort: AbortContext): ClassifiedFailure {
  if (abort.cancelled)
    return { error: new ProbeError('CANCELLED', 'cancelled', { cause: err }), retryable: false };
  if (abort.deadline) {
    return {
      error: new ProbeError(
        'DEADLINE_EXCEEDED',
        `deadline of ${abort.deadlineMs} ms reached during the request`,
        {
          cause: err,
        },
      ),
      retryable: false,
    };
  }
  if (abort.timedOut) return timeout(err, abort.timeoutMs);
  const chain = codesOf(err);
  for (const { code } of chain) {
    if (code && CERTIFICATE_CODE.test(code)) {
      const detail = chain.find((c) => c.code === code)?.message ?? code;
      return {
        error: new ProbeError(
          'TLS_ERROR',
          `TLS certificate not trusted (${code}: ${detail}); if a private CA signed it, add that CA to the trusted ones`,
          { cause: err },
        ),
        retryable: false,
      };
    }
  }
  for (const { code, message } of chain) {
    const mapped = code ? CODE_OF[code] : undefined;
    if (mapped === 'TIMEOUT') return timeout(err, abort.timeoutMs);
    if (mapped)
      return {
        error: new ProbeError(mapped, `${describe(mapped)}: ${message}`, { cause: err }),
        retryable: true,
      };
  }
  if (chain.some((c) => c.name === 'TimeoutError' || c.name === 'AbortError' || c.code === 'UND_ERR_ABORTED'))
    return timeout(err, abort.timeoutMs);
  const tls = chain.find(
    (c) => c.code?.startsWith('ERR_SSL_') || c.code === 'EPROTO' || c.code?.startsWith('ERR_TLS_'),
  );
  if (tls)
    return {
      error: new ProbeError('TLS_ERROR', `TLS handshake failed (${tls.code}: ${tls.message})`, {
        cause: err,
      }),
      retryable: true,
    };
  const first = chain[0];
  return {
    error: new ProbeError(
      'NETWORK_ERROR',
      first?.code ? `${first.code}: ${first.message}` : (first?.message ?? String(err)),
      {
        cause: err,
      },
    ),
    retryable: true,
  };
}

function timeout(err: unknown, timeoutMs: number): ClassifiedFailure {
  return {
    error: new ProbeError('TIMEOUT', `no complete response within ${timeoutMs} ms`, { cause: err }),
    retryable: true,
  };
}

function describe(code: ProbeFailureCode): string {
  switch (code) {
    case 'CONNECTION_REFUSED':
      return 'connection refused';
    case 'CONNECTION_RESET':
      return 'connection reset';
    case 'DNS_ERROR':
      return 'host name not resolved';
    default:
      return code.toLowerCase().replaceAll('_', ' ');
  }
}
