/**
 * The one error base class of release-actions. Every error carries a stable `code` that tests and
 * callers branch on (never the wording), and the underlying `cause` when there is one.
 */
export class ReleaseError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A response whose status the caller did not expect, after any retries. */
export class HTTPError extends ReleaseError<'HTTP_ERROR'> {
  readonly statusCode: number;
  readonly method: string;
  readonly url: string;
  /** The first bytes of the response body, for diagnostics (never sent by us, so never a secret of ours). */
  readonly body: string;

  constructor(
    init: { statusCode: number; method: string; url: string; body?: string },
    options?: { cause?: unknown },
  ) {
    const snippet = init.body ? `: ${init.body.slice(0, 300)}` : '';
    super(
      'HTTP_ERROR',
      `${init.method} ${redactUrl(init.url)} answered ${init.statusCode}${snippet}`,
      options,
    );
    this.statusCode = init.statusCode;
    this.method = init.method;
    this.url = redactUrl(init.url);
    this.body = init.body ?? '';
  }
}

/** Strips credentials and query values that could carry a token (upload session state, signatures) from a URL shown to people. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) {
      if (/token|sig|signature|credential|auth|key|_state/i.test(key)) u.searchParams.set(key, 'REDACTED');
    }
    return u.toString();
  } catch {
    return String(url);
  }
}

/** The message of anything thrown, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
