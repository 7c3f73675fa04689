/**
 * Jest transform for the TypeScript sources and tests: Node 24's own type stripping
 * (`module.stripTypeScriptTypes`), the same that runs them outside jest. The code uses only
 * erasable syntax, so stripping is the whole transform; 'strip' mode blanks the types in place,
 * so line and column numbers in stack traces are the source's and no source map is needed.
 * The output stays ESM (jest runs it with --experimental-vm-modules).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';

interface TransformResult {
  code: string;
}

// What changes the output besides the file: this transform's own text and the Node version.
const SELF = createHash('sha256')
  .update(readFileSync(new URL(import.meta.url)))
  .update(process.version)
  .digest('hex');

function transform(sourceText: string): TransformResult {
  return { code: stripTypeScriptTypes(sourceText, { mode: 'strip' }) };
}

function getCacheKey(sourceText: string, sourcePath: string, options: { configString: string }): string {
  return createHash('sha256')
    .update(SELF)
    .update('\0')
    .update(sourcePath)
    .update('\0')
    .update(options.configString)
    .update('\0')
    .update(sourceText)
    .digest('hex');
}

export default {
  process: transform,
  processAsync: async (sourceText: string) => transform(sourceText),
  getCacheKey,
  getCacheKeyAsync: async (sourceText: string, sourcePath: string, options: { configString: string }) =>
    getCacheKey(sourceText, sourcePath, options),
};
