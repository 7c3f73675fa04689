/**
 * The demo's deploy tool, in the place kubectl or a cloud CLI has in a real pipeline: the canary
 * action's `set-weight-command`, `rollback-command` and `promote-command` run it, and it asks the
 * running demo (its admin endpoint, scripts/demo/proxy.ts) to do the work.
 *
 *   node scripts/demo/ctl.ts <admin-url> weight <canary-percent>
 *   node scripts/demo/ctl.ts <admin-url> deploy stable|canary <image by digest>
 *
 * It returns once the change is in effect (a deployed release answers its health check), and
 * exits non-zero with the demo's answer when the demo refuses.
 */
import { request } from 'node:http';

const USAGE =
  'usage: node scripts/demo/ctl.ts <admin-url> weight <0-100>\n' +
  '       node scripts/demo/ctl.ts <admin-url> deploy stable|canary <image>';

function call(method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const [adminUrl, command, ...rest] = process.argv.slice(2);
let target: string | undefined;
if (adminUrl && command === 'weight' && rest.length === 1)
  target = `${adminUrl}/weight?canary=${encodeURIComponent(rest[0]!)}`;
else if (adminUrl && command === 'deploy' && rest.length === 2)
  target = `${adminUrl}/deploy?slot=${encodeURIComponent(rest[0]!)}&image=${encodeURIComponent(rest[1]!)}`;

if (target === undefined) {
  console.error(USAGE);
  process.exitCode = 2;
} else {
  try {
    const { status, body } = await call(command === 'weight' ? 'PUT' : 'POST', target);
    if (body.trim()) console.log(body.trim());
    if (status < 200 || status > 299) {
      console.error(`the demo refused ${command} ${rest.join(' ')}: HTTP ${status}`);
      process.exitCode = 1;
    }
  } catch (err) {
    console.error(`cannot reach the demo at ${adminUrl}: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
