/**
 * The entry of the bundle's `dist/layer-gzip-worker.js` (scripts/build.ts): the gzip worker that
 * assemble starts for each layer (packages/shared/src/build/layer-gzip.ts).
 */
import '@release-actions/shared/build/layer-gzip-worker';
