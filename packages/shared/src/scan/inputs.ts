/**
 * The vulnerability-gate inputs every scanning action shares (sbom, verify-image), with the same
 * names and rules everywhere, and the vulnerability source they choose. No runner access: the
 * action passes a getter (`core.getInput`) and an {@link InputChecker}, which collects every
 * problem against the input at fault. Each action keeps its own `scan` switch and its own default
 * threshold (the sbom action fails on `critical`, verify-image, a deploy gate, on `high`).
 *
 * | input              | meaning                                                                           |
 * | ------------------ | --------------------------------------------------------------------------------- |
 * | `fail-on-severity` | `critical`, `high`, `medium`, `low`, or `off` to report only                      |
 * | `ignore-unfixed`   | `true`: findings with no fixed version leave the gate (still reported)             |
 * | `allowlist`        | path of a YAML allowlist (docs/scan.md): id, reason and expiry per entry          |
 * | `osv-url`          | the OSV API (querybatch); default https://api.osv.dev                             |
 * | `osv-db`           | an OSV export directory (offline runners), or `download`; wins over `osv-url`     |
 * | `osv-export-url`   | with `osv-db: download`: OSV's export bucket, `<url>/<Ecosystem>/all.zip`         |
 *
 *     const check = new InputChecker();
 *     const gate = parseScanInputs((name) => core.getInput(name), check, { failOn: 'high' });
 *     check.throwIfAny();
 *     const source = await openVulnerabilitySource(gate, { http, logger }); // open.ts
 *
 * `osv-db: download` ({@link OSV_DB_DOWNLOAD}) is the word, not a directory of that name (write
 * `./download` for one): OSV's export of each ecosystem the scanned packages have, fetched from
 * `osv-export-url` once the packages are known. The download is the runner's (the action kit's
 * `loadOsvExports`, kept in the tool cache), so `openVulnerabilitySource` does not open it.
 *
 * Also exported alone as `@release-actions/shared/scan/inputs`, so an action that scans only
 * when asked (verify-image) parses these inputs without loading the scanner at start-up.
 */
import { readFileSync } from 'node:fs';
import type { InputChecker } from '../github/errors.ts';
import { parseBoolean, parseChoice, parseDirectory, parseHttpUrl } from '../github/inputs.ts';
import { parseAllowlist, type Allowlist } from './allowlist.ts';
import { DEFAULT_OSV_URL } from './api.ts';
import { FAIL_ON_CHOICES, type FailOn } from './gate.ts';

/** The names of the gate inputs, as action.yml spells them. */
export const SCAN_INPUTS = [
  'fail-on-severity',
  'ignore-unfixed',
  'allowlist',
  'osv-url',
  'osv-db',
  'osv-export-url',
] as const;

/** The `osv-db` value that asks for OSV's exports to be downloaded (any other value is a directory). */
export const OSV_DB_DOWNLOAD = 'download';

/** Where OSV publishes its exports, `<url>/<Ecosystem>/all.zip` (`gs://osv-vulnerabilities` over HTTPS). */
export const OSV_EXPORT_URL = 'https://osv-vulnerabilities.storage.googleapis.com';

/** The gate inputs, keyed by their action.yml names. */
export interface ScanInputs {
  'fail-on-severity': FailOn;
  'ignore-unfixed': boolean;
  allowlist: Allowlist | undefined;
  /** Without trailing slashes. */
  'osv-url': string;
  /** An absolute directory, or {@link OSV_DB_DOWNLOAD}; undefined when not given. */
  'osv-db': string | undefined;
  /** With `osv-db: download`: where OSV's exports are (`<url>/<Ecosystem>/all.zip`), no trailing slash. */
  'osv-export-url': string;
}

/** Reads an allowlist file (see docs/scan.md); the error names the file and each bad line. */
export function readAllowlistFile(path: string): Allowlist {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new Error(
      `cannot read the file "${path}" (${code}): give the path of a YAML allowlist (see docs/scan.md)`,
      { cause: err },
    );
  }
  return parseAllowlist(text, path);
}

/**
 * Reads and validates the gate inputs (see the module comment). Problems go to `check`; on any,
 * the value is a placeholder and `check.throwIfAny()` must be called before using it.
 */
export function parseScanInputs(
  get: (name: string) => string,
  check: InputChecker,
  defaults: { failOn: FailOn },
): ScanInputs {
  const raw = (name: string) => (get(name) ?? '').trim();
  const osvDb = raw('osv-db');
  return {
    'fail-on-severity': check.field(
      'fail-on-severity',
      () => parseChoice(raw('fail-on-severity') || defaults.failOn, FAIL_ON_CHOICES),
      defaults.failOn,
    ),
    'ignore-unfixed': check.field(
      'ignore-unfixed',
      () => parseBoolean(raw('ignore-unfixed') || 'false'),
      false,
    ),
    allowlist: raw('allowlist')
      ? check.field('allowlist', () => readAllowlistFile(raw('allowlist')), undefined)
      : undefined,
    'osv-url': check.field('osv-url', () => parseHttpUrl(raw('osv-url') || DEFAULT_OSV_URL), DEFAULT_OSV_URL),
    'osv-db':
      osvDb === OSV_DB_DOWNLOAD
        ? OSV_DB_DOWNLOAD
        : osvDb
          ? check.field('osv-db', () => parseDirectory(osvDb), undefined)
          : undefined,
    'osv-export-url': check.field(
      'osv-export-url',
      () => parseHttpUrl(raw('osv-export-url') || OSV_EXPORT_URL),
      OSV_EXPORT_URL,
    ),
  };
}
