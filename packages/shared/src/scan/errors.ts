import { ReleaseError } from '../errors.ts';

/** What went wrong in a scan, for callers and tests to branch on. */
export type ScanErrorCode =
  /** A package's purl does not parse. */
  | 'INVALID_PURL'
  /** An OSV record (file or API answer) is not valid JSON or lacks required fields. */
  | 'INVALID_OSV_RECORD'
  /**
   * The vulnerability source cannot be used: the OSV API (`osv-url`) is unreachable or refused
   * the query after retries, or the OSV export directory (`osv-db`) cannot be read. The message
   * names the input and the fix; `cause` is the network, HTTP or file-system error.
   */
  | 'VULN_SOURCE_UNAVAILABLE'
  /** The OSV API answered something other than what its documentation describes. */
  | 'OSV_API_ERROR'
  /** The allowlist file is malformed: a missing reason, a bad date, an unknown field. */
  | 'INVALID_ALLOWLIST'
  /** A CVSS vector is malformed. */
  | 'INVALID_CVSS';

/** An error of the vulnerability scan, with a stable code and the underlying cause. */
export class ScanError extends ReleaseError<ScanErrorCode> {}
