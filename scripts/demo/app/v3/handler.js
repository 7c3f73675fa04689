// Release 3.0.0: greetings come from a new "personalisation" lookup. It has a bug: the lookup is
// slow (about 400 ms per request), and every fourth request finds its cache entry gone and fails.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseQuery } from '@release-demo/query-parse';

let lookups = 0;

async function personalise(name) {
  await sleep(400);
  if (++lookups % 4 === 0) throw new Error(`personalisation cache miss for ${name}`);
  return `Hello, ${name}, nice to see you again`;
}

export async function handle(req, release) {
  const query = parseQuery(req.url.split('?')[1] ?? '');
  return { message: await personalise(query.name ?? 'world'), version: release.version };
}
