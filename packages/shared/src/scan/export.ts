/**
 * An OSV export directory, for offline and air-gapped scans and for tests: OSV's per-ecosystem
 * zip exports unpacked (`<dir>/<Ecosystem>/<ID>.json`) or a flat directory of `<ID>.json`. It is
 * read once and indexed in memory by (base ecosystem, normalised name).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.ts';
import { concurrencyLimit } from '../limit.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { baseEcosystem, normalizeName } from './ecosystems.ts';
import { ScanError } from './errors.ts';
import { parseOsvRecord, type OsvRecord } from './osv.ts';
import type { VulnerabilitySource } from './source.ts';
import type { OsvPackageRef } from './types.ts';

export interface OsvExportOptions {
  logger?: Logger;
  /** Files read at once. Default 32. */
  concurrency?: number;
  /** How the source is named in logs and summaries; default `OSV export <dir>`. */
  description?: string;
}

const keyOf = (ecosystem: string, name: string) =>
  `${baseEcosystem(ecosystem)}\u0000${normalizeName(ecosystem, name)}`;

/** An in-memory index of an OSV export directory. Build it with {@link OsvExport.load}. */
export class OsvExport implements VulnerabilitySource {
  readonly matchesVersions = false;
  readonly description: string;
  /** Records read. */
  readonly size: number;
  private readonly index: Map<string, OsvRecord[]>;

  private constructor(description: string, index: Map<string, OsvRecord[]>, size: number) {
    this.description = description;
    this.index = index;
    this.size = size;
  }

  /** Builds an index from records already in memory (tests, or records fetched elsewhere). */
  static fromRecords(records: readonly OsvRecord[], description = 'OSV records'): OsvExport {
    const index = new Map<string, OsvRecord[]>();
    for (const record of records) {
      const keys = new Set(
        (record.affected ?? []).flatMap((a) =>
          a.package ? [keyOf(a.package.ecosystem, a.package.name)] : [],
        ),
      );
      for (const key of keys) {
        const list = index.get(key);
        if (list) list.push(record);
        else index.set(key, [record]);
      }
    }
    return new OsvExport(`${description} (${records.length} records)`, index, records.length);
  }

  /**
   * Reads every `*.json` in `dir` and in its immediate subdirectories (one per ecosystem); with
   * several directories (one unpacked export per ecosystem, say), all of them, a record found in
   * more than one (an advisory of two ecosystems) kept once. Throws `ScanError`
   * `VULN_SOURCE_UNAVAILABLE` naming `osv-db` if a directory or one of its files cannot be read,
   * and `INVALID_OSV_RECORD` naming the file if a record is malformed.
   */
  static async load(dir: string | readonly string[], options: OsvExportOptions = {}): Promise<OsvExport> {
    const logger = options.logger ?? silentLogger;
    const dirs = typeof dir === 'string' ? [dir] : dir;
    const limit = concurrencyLimit(options.concurrency ?? 32);
    const byId = new Map<string, OsvRecord>();
    for (const one of dirs) {
      for (const record of await loadDirectory(one, limit))
        if (!byId.has(record.id)) byId.set(record.id, record);
    }
    const records = [...byId.values()];
    const description = options.description ?? `OSV export ${dirs.join(', ')}`;
    logger.debug(`${description}: ${records.length} records`);
    return OsvExport.fromRecords(records, description);
  }

  /** Records naming the package's ecosystem (any release) and name. */
  async lookup(packages: readonly OsvPackageRef[]): Promise<OsvRecord[][]> {
    return packages.map((p) => this.index.get(keyOf(p.ecosystem, p.name)) ?? []);
  }
}

async function loadDirectory(dir: string, limit: ReturnType<typeof concurrencyLimit>): Promise<OsvRecord[]> {
  const unreadable = (what: string, err: unknown) =>
    new ScanError(
      'VULN_SOURCE_UNAVAILABLE',
      `osv-db ${dir} is unreadable: ${what}: ${errorMessage(err)}. Fix: give osv-db a directory of OSV JSON records the runner can read (an unpacked OSV export, <dir>/<Ecosystem>/<ID>.json), or leave it empty to query osv-url`,
      { cause: err },
    );
  let files: string[];
  try {
    files = await listJson(dir);
  } catch (err) {
    throw unreadable('cannot list it', err);
  }
  return Promise.all(
    files.map((file) =>
      limit(async () => {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (err) {
          throw unreadable(`cannot read ${file}`, err);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (err) {
          throw new ScanError(
            'INVALID_OSV_RECORD',
            `osv-db ${dir}: ${file} is not JSON: ${errorMessage(err)}`,
            { cause: err },
          );
        }
        return parseOsvRecord(json, `osv-db ${dir}: ${file}`);
      }),
    ),
  );
}

async function listJson(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.json')) files.push(path);
    else if (entry.isDirectory()) {
      for (const sub of await readdir(path, { withFileTypes: true }))
        if (sub.isFile() && sub.name.endsWith('.json')) files.push(join(path, sub.name));
    }
  }
  return files.sort();
}
