// Release 2.0.0: the greeting names whom ?name= asks for (query-parse, a new dependency).
import { parseQuery } from '@release-demo/query-parse';

export function handle(req, release) {
  const query = parseQuery(req.url.split('?')[1] ?? '');
  return {
    message: `Hello, ${query.name ?? 'world'}, from the release-actions demo`,
    version: release.version,
  };
}
