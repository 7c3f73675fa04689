export * from './errors.ts';
export * from './patterns.ts';
export * from './policy.ts';
export * from './promote.ts';
