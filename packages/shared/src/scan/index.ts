/**
 * Vulnerability scanning: packages (by purl) matched against OSV advisories, from an OSV export
 * directory or the OSV API, ordered per ecosystem, scored, gated, and written as SARIF.
 */
export * from './errors.ts';
export * from './types.ts';
export * from './ecosystems.ts';
export * from './versions/index.ts';
