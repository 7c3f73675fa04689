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
