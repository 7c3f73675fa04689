/**
 * Vulnerability scanning: packages (by purl) matched against OSV advisories, from an OSV export
 * directory or the OSV API, ordered per ecosystem, scored, gated, and written as SARIF.
 */
export * from './errors.ts';
export * from './types.ts';
export * from './ecosystems.ts';
export * from './versions/index.ts';
export * from './osv.ts';
export * from './match.ts';
export * from './source.ts';
export * from './export.ts';
export * from './api.ts';
export * from './cvss.ts';
export * from './severity.ts';
export * from './scan.ts';
export * from './allowlist.ts';
export * from './gate.ts';
export * from './sarif.ts';
export * from './summary.ts';
export * from './inputs.ts';
export * from './open.ts';
