/**
 * SBOM generation: the layer walker, catalogers, and the CycloneDX and SPDX writers.
 */
export * from './errors.ts';
export type * from './types.ts';
export * from './paths.ts';
export * from './glob.ts';
export * from './filetree.ts';
export * from './decompress.ts';
export * from './layers.ts';
export * from './control.ts';
export * from './package.ts';
export * from './licenses.ts';
export * from './catalogers/index.ts';
export * from './directory.ts';
export * from './source.ts';
export * from './cyclonedx.ts';
export * from './spdx.ts';
export * from './generate.ts';
export * from './attest.ts';
export * from './read.ts';
