export * from './errors.ts';
export * from './digest.ts';
export * from './reference.ts';
export * from './challenge.ts';
export * from './credentials.ts';
export * from './types.ts';
export type * from './store.ts';
