// Release 1.0.0: a greeting.
export function handle(_req, release) {
  return { message: 'Hello from the release-actions demo', version: release.version };
}
