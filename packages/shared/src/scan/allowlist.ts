/**
 * The allowlist file: accepted vulnerabilities, each with a reason and an expiry date. YAML (so
 * JSON too, JSON being valid YAML here), one top-level key `ignore` holding a list:
 *
 *     ignore:
 *       - id: CVE-2024-1234          # an OSV id, CVE or GHSA; matches the advisory's aliases too
 *         package: openssl           # optional: only for this package (SBOM name or OSV name)
 *         reason: not reachable: we never parse untrusted certificates
 *         expires: 2025-06-30        # YYYY-MM-DD; the entry stops suppressing after this day (UTC)
 *
 * A malformed entry (no reason, no or bad date, unknown field) is an input error naming its line.
 */
import { LineCounter, parseDocument } from 'yaml';
import { ScanError } from './errors.ts';

export interface AllowlistEntry {
  id: string;
  package?: string;
  reason: string;
  /** The last day (UTC, `YYYY-MM-DD`) on which the entry suppresses. */
  expires: string;
  /** 1-based line of the entry in its file. */
  line: number;
}

export interface Allowlist {
  /** Where it was read from, for messages. */
  source: string;
  entries: AllowlistEntry[];
}

const FIELDS = new Set(['id', 'package', 'reason', 'expires']);

function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
}

/**
 * Parses allowlist text. `source` names the file in error messages. Throws `ScanError`
 * `INVALID_ALLOWLIST` listing every problem with its line.
 */
export function parseAllowlist(text: string, source: string): Allowlist {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.2', schema: 'core' });
  const problems: string[] = [];
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? 0 : lineCounter.linePos(offset).line;
  for (const err of doc.errors) problems.push(`line ${lineOf(err.pos[0])}: ${err.message.split('\n')[0]}`);
  if (problems.length) fail(source, problems);
  const root = doc.contents;
  const entries: AllowlistEntry[] = [];
  if (root === null) return { source, entries };
  const json = doc.toJS() as unknown;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('ignore' in json))
    fail(source, [`line ${lineOf(root.range?.[0])}: expected a mapping with an "ignore" list`]);
  const list = doc.get('ignore', true) as { items?: Array<{ range?: [number, number, number] }> } | undefined;
  const items = (json as { ignore: unknown }).ignore;
  if (!Array.isArray(items))
    fail(source, [`line ${lineOf(root.range?.[0])}: "ignore" must be a list of entries`]);
  for (const [i, raw] of (items as unknown[]).entries()) {
    const line = lineOf(list?.items?.[i]?.range?.[0]);
    const where = `line ${line}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`${where}: an entry must be a mapping with id, reason and expires`);
      continue;
    }
    const e = raw as Record<string, unknown>;
    for (const key of Object.keys(e))
      if (!FIELDS.has(key))
        problems.push(`${where}: unknown field "${key}" (use id, package, reason, expires)`);
    const id = typeof e.id === 'string' ? e.id.trim() : '';
    if (!id) problems.push(`${where}: "id" is required (an OSV id, CVE or GHSA)`);
    const reason = typeof e.reason === 'string' ? e.reason.trim() : '';
    if (!reason)
      problems.push(`${where}: entry ${id || '(no id)'} needs a "reason" saying why it is accepted`);
    const expires =
      e.expires instanceof Date ? e.expires.toISOString().slice(0, 10) : String(e.expires ?? '').trim();
    if (!expires) problems.push(`${where}: entry ${id || '(no id)'} needs an "expires" date (YYYY-MM-DD)`);
    else if (!isDate(expires))
      problems.push(`${where}: entry ${id || '(no id)'}: "${expires}" is not a date; write YYYY-MM-DD`);
    if (e.package !== undefined && (typeof e.package !== 'string' || !e.package.trim()))
      problems.push(`${where}: "package" must be a package name`);
    entries.push({
      id,
      reason,
      expires,
      line,
      ...(typeof e.package === 'string' ? { package: e.package.trim() } : {}),
    });
  }
  if (problems.length) fail(source, problems);
  return { source, entries };
}

function fail(source: string, problems: string[]): never {
  throw new ScanError('INVALID_ALLOWLIST', `allowlist ${source}:\n- ${problems.join('\n- ')}`);
}

/** Whether the entry has expired on `now` (it suppresses through its `expires` day, UTC). */
export function isExpired(entry: AllowlistEntry, now: Date): boolean {
  return now.toISOString().slice(0, 10) > entry.expires;
}
