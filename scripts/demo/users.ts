/**
 * The demo's users: steady requests through the router (the built-in proxy or HAProxy) while a
 * canary runs, so the report can say what users saw: which release answered them and how often
 * it failed. The canary action's own load goes to the canary directly; this is the traffic the
 * weights split.
 */
import { Agent, get } from 'node:http';

export interface UserAnswers {
  requests: number;
  /** Answers per release version (the service's `x-release` header; `none` when no answer came). */
  byVersion: Record<string, { answers: number; errors: number }>;
}

/** Sends `rate` GET requests a second to `url` until stopped (at most `capMs`). */
export function startUsers(url: string, rate: number, capMs = 120_000): { stop(): Promise<UserAnswers> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const answers: UserAnswers = { requests: 0, byVersion: {} };
  const pending = new Set<Promise<void>>();
  const count = (version: string, failed: boolean) => {
    const entry = (answers.byVersion[version] ??= { answers: 0, errors: 0 });
    entry.answers++;
    if (failed) entry.errors++;
  };
  const send = () => {
    answers.requests++;
    const done = new Promise<void>((resolve) => {
      const req = get(url, { agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          const version = res.headers['x-release'];
          count(typeof version === 'string' ? version : 'none', (res.statusCode ?? 500) >= 500);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => {
        count('none', true);
        resolve();
      });
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  const started = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - started > capMs) clearInterval(timer);
    else send();
  }, 1000 / rate);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return answers;
    },
  };
}

/** One line for the report: `52 requests: 2.0.0 answered 40, 3.0.0 answered 12 (3 failed)`. */
export function describeAnswers(answers: UserAnswers): string {
  const parts = Object.entries(answers.byVersion)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([version, { answers: n, errors }]) =>
        `${version === 'none' ? 'no release' : version} answered ${n}${errors ? ` (${errors} failed)` : ''}`,
    );
  return `${answers.requests} requests: ${parts.join(', ') || 'none answered'}`;
}
