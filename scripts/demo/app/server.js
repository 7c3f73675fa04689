// The demo service, as it runs from its image's /app: GET /healthz answers "ok", anything else
// goes to this release's handler. It listens on 127.0.0.1:$PORT and logs one line per request.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { formatLine } from '@release-demo/log-format';
import { handle } from './handler.js';

const release = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const port = Number(process.env.PORT ?? 8080);

const server = createServer((req, res) => {
  const started = Date.now();
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-release': release.version });
    res.end(`${JSON.stringify(body)}\n`);
    console.log(formatLine({ method: req.method, url: req.url, status, ms: Date.now() - started }));
  };
  if (req.url === '/healthz') return send(200, { status: 'ok', version: release.version });
  Promise.resolve()
    .then(() => handle(req, release))
    .then(
      (body) => send(200, body),
      (err) => send(500, { error: String(err?.message ?? err), version: release.version }),
    );
});
server.keepAliveTimeout = 1000;
server.listen(port, '127.0.0.1', () =>
  console.log(`${release.name} ${release.version} on 127.0.0.1:${port}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
