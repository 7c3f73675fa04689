export * from './errors.ts';
export * from './logger.ts';
export * from './retry.ts';
export * from './http.ts';
export * from './limit.ts';
export * from './compare.ts';
