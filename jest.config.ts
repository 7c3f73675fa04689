/**
 * Jest 30 in ESM mode (`npm test` runs it under `node --experimental-vm-modules`) over the
 * TypeScript sources as they are: the only transform is Node 24's own type stripping
 * (scripts/jest/strip-types.ts), the same Node uses to run them outside jest.
 */
import type { Config } from 'jest';

// `npm run test:unit` and `npm run test:itg` set JEST_SUITE to run one half of the suite: unit
// tests are the *.test.ts that are not *.itg.test.ts. (Not as jest options in the scripts: jest
// would take a path given after `npm run test:unit --` as one more pattern of the option.)
const suite = process.env['JEST_SUITE'];
if (suite !== undefined && suite !== 'unit' && suite !== 'itg') {
  throw new Error(`JEST_SUITE is "${suite}": unset it, or set it to unit or itg`);
}

const config: Config = {
  // jest's node environment, plus the process lifecycle the service harnesses rely on.
  testEnvironment: '<rootDir>/scripts/jest/environment.ts',
  roots: ['<rootDir>/__tests__'],
  testMatch: [suite === 'itg' ? '**/*.itg.test.ts' : '**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...(suite === 'unit' ? ['\\.itg\\.test\\.ts$'] : [])],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '\\.ts$': '<rootDir>/scripts/jest/strip-types.ts' },
  // Tests import describe, it, expect, … from '@jest/globals'.
  injectGlobals: false,
  // Integration tests start real services and push real images: node:test ran with --test-timeout=120000.
  testTimeout: 120_000,
  // One test file per core. jest's default (cores - 1) is a single file at a time on the 2-core
  // machines this runs on, which takes twice as long: the integration tests mostly wait on their
  // services, and every service listens on a port of its own (port 0).
  maxWorkers: '100%',
  reporters: ['default', '<rootDir>/scripts/jest/summary-reporter.ts'],
};

export default config;
