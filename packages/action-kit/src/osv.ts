/**
 * `osv-db: download`: OSV's per-ecosystem export archives (`<export url>/<Ecosystem>/all.zip`, the
 * `gs://osv-vulnerabilities` bucket over HTTPS by default) fetched for the ecosystems a scan needs,
 * unpacked with `@actions/tool-cache` and kept in the runner's tool cache under `osv-<ecosystem>`,
 * version the UTC day (`YYYY.M.D`). Every job on the runner that day reads the same copy without
 * a request, so a matrix downloads once and a scan re-run that day is offline and sees the same
 * records. The archive comes through the shared HTTP client (its one retry policy: 408/429/5xx
 * and network errors), so a refused download fails at once and a flaky one is retried as every
 * other request of the actions is.
 *
 * Needs RUNNER_TOOL_CACHE and RUNNER_TEMP (set on every runner) and `unzip` (on GitHub's images).
 * The inputs (`osv-db: download`, `osv-export-url`) and their constants (`OSV_DB_DOWNLOAD`,
 * `OSV_EXPORT_URL`) are the shared `parseScanInputs`'s; only the download, which needs the runner's
 * tool cache, is here.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tc from '@actions/tool-cache';
import {
  errorMessage,
  redactUrl,
  type HttpClient,
  type HttpResponse,
  type Logger,
} from '@release-actions/shared';
import { OSV_EXPORT_URL, OsvExport, ScanError } from '@release-actions/shared/scan';

export interface OsvDownloadOptions {
  http: HttpClient;
  logger: Logger;
  /** The export's base URL (`osv-export-url`, no trailing slash): `<url>/<Ecosystem>/all.zip`. Default {@link OSV_EXPORT_URL}. */
  exportUrl?: string;
  /** The day whose copy is used or made, in UTC; default now. */
  now?: Date;
  /** Runner environment (RUNNER_TOOL_CACHE, RUNNER_TEMP); default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** One ecosystem's export, as found in or put into the tool cache. */
export interface OsvExportCopy {
  ecosystem: string;
  /** The directory of its `<ID>.json` records. */
  dir: string;
  /** Where it came from, or would have. */
  url: string;
  /** True when it was already in the tool cache (no request made). */
  cached: boolean;
}

/** The tool-cache version of a day: `YYYY.M.D` in UTC (semver, as the tool cache needs: no leading zeros). */
export function osvExportVersion(day: Date): string {
  return `${day.getUTCFullYear()}.${day.getUTCMonth() + 1}.${day.getUTCDate()}`;
}

/** The tool-cache name of an ecosystem's export: `osv-npm`, `osv-crates.io`, `osv-GitHub-Actions`. */
export function osvExportTool(ecosystem: string): string {
  return `osv-${ecosystem.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
}

function unavailable(message: string, cause?: unknown): ScanError {
  return new ScanError(
    'VULN_SOURCE_UNAVAILABLE',
    `osv-db download: ${message}. Fix: check osv-export-url (a mirror of gs://osv-vulnerabilities serving <Ecosystem>/all.zip) and that the runner can reach it, or give osv-db a directory holding an unpacked OSV export, or leave osv-db empty to query osv-url`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The export of each of `ecosystems` (OSV's base names: `npm`, `Debian`, `PyPI`) for the day, from
 * the tool cache or downloaded into it. Throws ScanError VULN_SOURCE_UNAVAILABLE naming `osv-db`
 * and `osv-export-url` when an archive cannot be fetched or unpacked, or the runner has no tool cache.
 */
export async function downloadOsvExports(
  ecosystems: readonly string[],
  options: OsvDownloadOptions,
): Promise<OsvExportCopy[]> {
  const env = options.env ?? process.env;
  for (const name of ['RUNNER_TOOL_CACHE', 'RUNNER_TEMP'])
    if (!env[name])
      throw unavailable(
        `${name} is not set: the exports are kept in the runner's tool cache, so this runs on a runner only`,
      );
  const base = (options.exportUrl ?? OSV_EXPORT_URL).replace(/\/+$/, '');
  const version = osvExportVersion(options.now ?? new Date());
  const copies: OsvExportCopy[] = [];
  for (const ecosystem of ecosystems) {
    const tool = osvExportTool(ecosystem);
    const url = `${base}/${encodeURIComponent(ecosystem)}/all.zip`;
    const found = tc.find(tool, version);
    if (found) {
      options.logger.info(`OSV export ${ecosystem} of ${version}: in the tool cache (${found})`);
      copies.push({ ecosystem, dir: found, url, cached: true });
      continue;
    }
    const dir = await download(ecosystem, url, tool, version, env.RUNNER_TEMP!, options);
    copies.push({ ecosystem, dir, url, cached: false });
  }
  return copies;
}

async function download(
  ecosystem: string,
  url: string,
  tool: string,
  version: string,
  runnerTemp: string,
  options: OsvDownloadOptions,
): Promise<string> {
  const shown = redactUrl(url);
  const work = await mkdtemp(join(runnerTemp, `${tool}-`));
  try {
    const archive = join(work, 'all.zip');
    let res: HttpResponse;
    try {
      res = await options.http.request({ method: 'GET', url, redirect: 'follow' });
    } catch (err) {
      throw unavailable(`${shown} is unreachable: ${errorMessage(err)}`, err);
    }
    if (res.status !== 200) {
      await res.body.dump().catch(() => undefined);
      throw unavailable(
        `${shown} answered ${res.status}${res.status === 404 ? ` (no export for ${ecosystem} there)` : ''}`,
      );
    }
    try {
      await pipeline(res.body, createWriteStream(archive));
    } catch (err) {
      throw unavailable(`${shown}: the download broke off: ${errorMessage(err)}`, err);
    }
    const unpacked = join(work, 'records');
    await mkdir(unpacked);
    try {
      await tc.extractZip(archive, unpacked);
    } catch (err) {
      throw unavailable(`${shown} is not a zip archive that unpacks (${errorMessage(err)})`, err);
    }
    const dir = await tc.cacheDir(unpacked, tool, version);
    options.logger.info(`OSV export ${ecosystem} of ${version}: downloaded from ${shown}, kept in ${dir}`);
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The vulnerability source for `osv-db: download`: {@link downloadOsvExports} for `ecosystems`
 * (e.g. `osvEcosystems(packages)`), read as one {@link OsvExport}.
 */
export async function loadOsvExports(
  ecosystems: readonly string[],
  options: OsvDownloadOptions,
): Promise<{ source: OsvExport; copies: OsvExportCopy[] }> {
  const now = options.now ?? new Date();
  const copies = await downloadOsvExports(ecosystems, { ...options, now });
  const version = osvExportVersion(now);
  const source = await OsvExport.load(
    copies.map((c) => c.dir),
    {
      logger: options.logger,
      description: `OSV exports of ${version}: ${copies.length ? copies.map((c) => c.ecosystem).join(', ') : 'none needed'}`,
    },
  );
  return { source, copies };
}
