/**
 * The OSV record format (ossf/osv-schema `docs/schema.md`), the parts a scanner reads, and a
 * reader that checks the fields matching depends on.
 */
import { ScanError } from './errors.ts';

/** `severity[]` entry: `CVSS_V2`, `CVSS_V3`, `CVSS_V4` vectors, or `Ubuntu` priorities. */
export interface OsvSeverity {
  type: string;
  score: string;
}

/** One event of a range: exactly one of the four fields is set. */
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  /** `SEMVER`, `ECOSYSTEM` or `GIT`. */
  type: string;
  repo?: string;
  events: OsvEvent[];
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvReference {
  type: string;
  url: string;
}

/** An OSV vulnerability record. */
export interface OsvRecord {
  id: string;
  modified?: string;
  published?: string;
  withdrawn?: string;
  schema_version?: string;
  aliases?: string[];
  upstream?: string[];
  related?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: OsvReference[];
  database_specific?: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that a parsed JSON value is an OSV record as far as matching needs (an `id`, arrays where
 * arrays belong, events with one field each) and returns it typed. `where` names the file or URL
 * for the error message. Throws `ScanError` `INVALID_OSV_RECORD`.
 */
export function parseOsvRecord(value: unknown, where: string): OsvRecord {
  const fail = (what: string): never => {
    throw new ScanError('INVALID_OSV_RECORD', `${where}: not an OSV record: ${what}`);
  };
  if (!isObject(value)) return fail('the JSON is not an object');
  if (typeof value.id !== 'string' || value.id === '') return fail('"id" is missing');
  for (const key of ['aliases', 'affected', 'severity', 'references', 'upstream'] as const) {
    if (value[key] !== undefined && !Array.isArray(value[key])) fail(`"${key}" is not an array`);
  }
  for (const [i, affected] of ((value.affected as unknown[] | undefined) ?? []).entries()) {
    if (!isObject(affected)) fail(`affected[${i}] is not an object`);
    const a = affected as Record<string, unknown>;
    if (a.package !== undefined) {
      const p = a.package as Record<string, unknown>;
      if (!isObject(p) || typeof p.ecosystem !== 'string' || typeof p.name !== 'string')
        fail(`affected[${i}].package needs "ecosystem" and "name" strings`);
    }
    if (a.versions !== undefined && !Array.isArray(a.versions))
      fail(`affected[${i}].versions is not an array`);
    if (a.ranges !== undefined && !Array.isArray(a.ranges)) fail(`affected[${i}].ranges is not an array`);
    for (const [j, range] of ((a.ranges as unknown[] | undefined) ?? []).entries()) {
      const r = range as Record<string, unknown>;
      if (!isObject(r) || typeof r.type !== 'string' || !Array.isArray(r.events))
        fail(`affected[${i}].ranges[${j}] needs "type" and "events"`);
      for (const [k, event] of (r.events as unknown[]).entries()) {
        const keys = isObject(event) ? Object.keys(event).filter((key) => EVENT_KEYS.has(key)) : [];
        if (keys.length !== 1 || typeof (event as Record<string, unknown>)[keys[0]!] !== 'string')
          fail(
            `affected[${i}].ranges[${j}].events[${k}] must have exactly one of ${[...EVENT_KEYS].join(', ')}`,
          );
      }
    }
  }
  return value as unknown as OsvRecord;
}

const EVENT_KEYS = new Set(['introduced', 'fixed', 'last_affected', 'limit']);

/** The record's id and aliases (and upstream ids), for allowlists that name any of them. */
export function recordIds(record: OsvRecord): string[] {
  return [record.id, ...(record.aliases ?? []), ...(record.upstream ?? [])];
}
