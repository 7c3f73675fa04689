/**
 * Reads the wanted files of a directory tree (a source checkout, or an unpacked root filesystem)
 * without following symlinks, skipping `.git` and `node_modules` (lockfiles describe those), with
 * the same size limit as the layer walker.
 */
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../logger.ts';
import { SbomError } from './errors.ts';
import type { FileRecord } from './filetree.ts';
import { DEFAULT_MAX_FILE_SIZE } from './layers.ts';

const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** Files under `root` whose root-relative path (`/app/package-lock.json`) `wanted` selects. */
export async function walkDirectory(
  root: string,
  wanted: (path: string) => boolean,
  options: { maxFileSize?: number; logger?: Logger } = {},
): Promise<Map<string, FileRecord>> {
  const logger = options.logger ?? silentLogger;
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const stat = await lstat(root).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new SbomError('SOURCE_NOT_FOUND', `${root} is not a directory: name a directory to catalog`);
  }
  const files = new Map<string, FileRecord>();
  const visit = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await visit(full, path);
      } else if (entry.isFile() && wanted(path)) {
        const { size } = await lstat(full);
        if (size > maxFileSize) {
          logger.warning(
            `skipped ${path} (${size} bytes, more than the ${maxFileSize}-byte limit for files read into memory)`,
          );
          continue;
        }
        files.set(path, { path, content: await readFile(full) });
      }
    }
  };
  await visit(root, '');
  return files;
}
