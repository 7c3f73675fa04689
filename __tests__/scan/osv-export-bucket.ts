/**
 * A loopback stand-in for OSV's export bucket (`gs://osv-vulnerabilities` over HTTPS, which cannot
 * be reached from here), shared by the `osv-db: download` tests of the sbom and verify-image
 * actions. It serves a real zip archive (made here with fflate) of each ecosystem directory of an
 * OSV export (`<dir>/<Ecosystem>/<ID>.json`, by default the scan tests' fixtures) at
 * `/<Ecosystem>/all.zip`, as OSV publishes them; `/broken/…` answers bytes that are no zip, any
 * other path 404 as the bucket does. Every request's path is recorded, in order.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';

/** The scan tests' OSV export: `Debian`, `npm`, … directories of `<ID>.json` records. */
export const OSV_FIXTURES = resolve('__tests__/scan/fixtures/osv');

/** An ecosystem's export as OSV publishes it: a zip of `<ID>.json` records, at the archive's root. */
export function exportZip(ecosystem: string, dir = OSV_FIXTURES): Buffer {
  const root = join(dir, ecosystem);
  const files: Record<string, Uint8Array> = {};
  for (const name of readdirSync(root)) files[name] = readFileSync(join(root, name));
  return Buffer.from(zipSync(files));
}

export interface OsvExportBucket {
  url: string;
  /** Paths asked for (decoded), in order. */
  requests: string[];
  stop: () => Promise<void>;
}

/** Starts the bucket's stand-in on a free loopback port, serving the ecosystems of `dir`. */
export async function startOsvExportBucket(dir = OSV_FIXTURES): Promise<OsvExportBucket> {
  const archives = new Map(
    readdirSync(dir).map((e) => [`/${encodeURIComponent(e)}/all.zip`, exportZip(e, dir)]),
  );
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const { pathname } = new URL(req.url!, 'http://x');
    const path = decodeURIComponent(pathname);
    requests.push(path);
    const zip = archives.get(pathname);
    if (path.startsWith('/broken/')) {
      res.writeHead(200, { 'content-type': 'application/zip' }).end('this is not a zip archive');
    } else if (zip) {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip);
    } else
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The tool-cache version of today (UTC), as the actions key the exports: `YYYY.M.D`. */
export function osvExportToday(): string {
  const d = new Date();
  return `${d.getUTCFullYear()}.${d.getUTCMonth() + 1}.${d.getUTCDate()}`;
}
