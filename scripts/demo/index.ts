/**
 * `npm run demo`: the whole release chain on this machine, every step a committed action bundle
 * (actions/<name>/dist) run as the Actions runner runs it: inputs as INPUT_* variables, outputs
 * read back from GITHUB_OUTPUT, job summaries from GITHUB_STEP_SUMMARY.
 *
 *   key pair → for each build: build-sign (builder: assemble, key signing, provenance) → sbom
 *   (scan gate against scripts/demo/osv/, attestations) → verify-image → promote dev → staging
 *   → (first release) production | (later) canary against production → promote to production
 *   → after the bad release's rollback: verify-image of production's tag → health-check.
 *
 * See `--help` and scripts/demo/app.ts for the builds. Exit 0 when every step behaved as
 * designed (the vulnerable build blocked, the bad release rolled back), 1 otherwise naming the
 * step, 2 for a bad command line.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HttpClient, immediateRetryPolicy } from '@release-actions/shared';
import { HaproxyTraffic } from '@release-actions/shared/canary';
import { LayoutStore, RegistryClient } from '@release-actions/shared/oci';
import {
  findExecutable,
  reservePort,
  startHaproxy,
  startRegistry,
  type ActionRunResult,
  type TestHaproxy,
  type TestRegistry,
} from '@release-actions/shared/testing';
import { DEMO_DIR, REPO_ROOT, releases, stageContext, type Release } from './app.ts';
import { Chain, ChainStopped, seconds, type Verdict } from './chain.ts';
import { Releases } from './deploy.ts';
import {
  startAdminServer,
  startWeightedProxy,
  weightRoute,
  type AdminRoute,
  type WeightedProxy,
} from './proxy.ts';
import { describeAnswers, startUsers } from './users.ts';

const USAGE = `usage: npm run demo -- [options]

The release chain of release-actions on this machine, through the committed action bundles:
a key pair; four builds of a small service assembled into images (no Docker), signed with
provenance, cataloged and scanned (one build is stopped by the scan gate), verified, promoted
dev → staging → production; 2.0.0 taken through a canary to 100 %, 3.0.0 (slow, failing) rolled
back to 2.0.0 automatically; production re-verified and health-checked.

options:
  --out DIR        where everything is written (a new or empty directory; default a fresh one
                   under the temporary directory, printed): report.md, cosign.key/.pub, the
                   environments (layouts/dev, layouts/staging, layouts/production), SBOMs
  --registry       keep the environments in a real docker-registry on loopback (one repository
                   per environment) instead of OCI image layouts; needs docker-registry installed
  --haproxy        route users through a real HAProxy (traffic: haproxy) instead of the demo's
                   built-in weighted proxy (traffic: command); needs haproxy installed
  --keep-running   after the chain, keep the services (router, releases, registry) running until
                   Ctrl-C, to look at them
  --healthy-v3     build 3.0.0 without its bug: its canary is then promoted, which is NOT what the
                   demo is designed to show, and the demo exits 1 naming that step (a check that
                   the demo's own verdict can fail)
  -h, --help       show this help`;

type Env = 'dev' | 'staging' | 'production';
const ENVIRONMENTS: readonly Env[] = ['dev', 'staging', 'production'];
const short = (digest: string | undefined) => (digest ? `${digest.slice(0, 19)}…` : '(none)');

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        out: { type: 'string' },
        registry: { type: 'boolean', default: false },
        haproxy: { type: 'boolean', default: false },
        'keep-running': { type: 'boolean', default: false },
        'healthy-v3': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

/** The commit this clone is at and its time, for the provenance and reproducible layers (zeros outside git). */
function commit(): { sha: string; time: string } {
  try {
    const [sha, time] = execFileSync('git', ['log', '-1', '--format=%H %ct'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    })
      .trim()
      .split(' ');
    if (sha && time) return { sha, time };
  } catch {
    // not a git checkout
  }
  return { sha: '0'.repeat(40), time: '0' };
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // The programs the harnesses start (DOCKER_REGISTRY_BIN and HAPROXY_BIN name others, as in the tests).
  const registryBin = process.env['DOCKER_REGISTRY_BIN'] ?? 'docker-registry';
  const haproxyBin = process.env['HAPROXY_BIN'] ?? 'haproxy';
  const missing = [
    args.registry && !findExecutable(registryBin)
      ? `--registry needs docker-registry (apt-get install docker-registry): ${registryBin} is not there`
      : undefined,
    args.haproxy && !findExecutable(haproxyBin)
      ? `--haproxy needs haproxy (apt-get install haproxy): ${haproxyBin} is not there`
      : undefined,
  ].filter(Boolean);
  if (missing.length > 0) {
    console.error(`error: ${missing.join('; ')}. Without the flag the demo needs neither.`);
    return 2;
  }
  const out = args.out
    ? resolve(process.env['INIT_CWD'] ?? process.cwd(), args.out)
    : await mkdtemp(join(tmpdir(), 'release-actions-demo-'));
  await mkdir(out, { recursive: true });
  if ((await readdir(out)).length > 0) {
    console.error(`error: --out ${out} is not empty: give a new or empty directory`);
    return 2;
  }
  const print = (line: string) => console.log(line);
  const { sha, time } = commit();
  const builds = releases({ healthyV3: args['healthy-v3'] });

  print('release-actions demo: the release chain on this machine, each step a committed action bundle');
  print(`run as the runner runs it (INPUT_*, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). Output: ${out}`);

  const http = new HttpClient({ retry: immediateRetryPolicy(2) });
  const client = new RegistryClient({ http });
  const stops: Array<() => Promise<unknown>> = [() => http.close()];
  let registry: TestRegistry | undefined;
  let haproxy: TestHaproxy | undefined;
  let proxy: WeightedProxy | undefined;
  const chain = new Chain({ env: () => runnerEnv, print });
  let runnerEnv: Record<string, string> = {};
  let code = 1;
  let verdict = '';

  try {
    // --- The services: where the environments live, the router, the two release slots.
    if (args.registry) {
      registry = await startRegistry();
      stops.push(() => registry!.stop());
    }
    const where = (env: Env) =>
      registry ? `${registry.host}/demo/app-${env}` : `oci-layout:${join(out, 'layouts', env)}`;
    print(
      registry
        ? `Environments: repositories demo/app-{dev,staging,production} of a docker-registry at ${registry.url} (--registry)`
        : `Environments: OCI image layouts ${join(out, 'layouts')}/{dev,staging,production}`,
    );
    const ports = { stable: await reservePort(), canary: await reservePort() };
    const deployments = new Releases({ client, dir: join(out, 'deploy'), ports });
    stops.push(() => deployments.stopAll());
    let setWeight = async (canary: number) => proxy?.setWeight(canary);
    let routerUrl = '';
    /** HAProxy starts once the stable release runs: its frontend answers only with a live server behind it. */
    const startRouter = async () => {
      if (!args.haproxy || haproxy) return;
      haproxy = await startHaproxy({ backends: ports });
      stops.push(() => haproxy!.stop());
      const router = new HaproxyTraffic({ socket: haproxy.socket, backend: haproxy.backend });
      setWeight = (canary) => router.setWeight(canary);
      routerUrl = haproxy.url;
    };
    if (args.haproxy) {
      print("Traffic: a real HAProxy (--haproxy), driven by the canary action's traffic: haproxy");
    } else {
      proxy = await startWeightedProxy();
      stops.push(() => proxy!.close());
      proxy.setTarget('stable', `127.0.0.1:${ports.stable}`);
      proxy.setTarget('canary', `127.0.0.1:${ports.canary}`);
      routerUrl = proxy.url;
      print(
        `Traffic: no HAProxy or nginx asked for (--haproxy): the demo's built-in weighted proxy at ${proxy.url} stands in`,
      );
      print("         for the router, driven by the canary action's traffic: command (set-weight-command).");
    }
    const deployRoute: AdminRoute = async (req, url, res) => {
      if (url.pathname !== '/deploy' || req.method !== 'POST') return false;
      const slot = url.searchParams.get('slot');
      const image = url.searchParams.get('image') ?? '';
      if (slot !== 'stable' && slot !== 'canary') {
        res.writeHead(400).end('slot must be stable or canary\n');
        return true;
      }
      const deployed = await deployments.deploy(slot, image);
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`${slot} runs ${deployed.version} (${deployed.digest})\n`);
      return true;
    };
    const admin = await startAdminServer([weightRoute((canary) => setWeight(canary)), deployRoute]);
    stops.push(() => admin.close());
    const ctl = (...words: string[]) =>
      [process.execPath, join(DEMO_DIR, 'ctl.ts'), admin.url, ...words]
        .map((w) => (w.startsWith('$') ? `"${w}"` : `'${w}'`))
        .join(' ');
    print('');

    // --- The runner context each action sees, as a tag push's release workflow would have it. The
    // demo is not a workflow run: the provenance records this context (run id: the demo's start
    // time; RUNNER_ENVIRONMENT self-hosted), and report.md says so.
    const runner = (job: string, release?: Release) => {
      const ref = release ? `refs/tags/v${release.version}` : 'refs/heads/main';
      runnerEnv = {
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'release-actions/release-actions',
        GITHUB_REPOSITORY_OWNER: 'release-actions',
        GITHUB_WORKFLOW: 'release (npm run demo)',
        GITHUB_WORKFLOW_REF: `release-actions/release-actions/.github/workflows/release.yml@${ref}`,
        GITHUB_REF: ref,
        GITHUB_REF_NAME: ref.replace(/^refs\/(tags|heads)\//, ''),
        GITHUB_SHA: sha,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_RUN_ID: runId,
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: job,
        GITHUB_ACTOR: 'demo',
        RUNNER_ENVIRONMENT: 'self-hosted',
      };
    };
    const runId = String(Math.floor(Date.now() / 1000));

    // --- 1. The key pair, with the project's generator (as `npm run generate-key-pair`).
    const password = randomBytes(12).toString('base64url');
    await writeFile(join(out, 'cosign.password'), `${password}\n`, { mode: 0o600 });
    const keyFile = join(out, 'cosign.key');
    const pubFile = join(out, 'cosign.pub');
    await chain.step('generate the signing key pair', 'generate-key-pair', async () => {
      const text = execFileSync(
        process.execPath,
        [join(REPO_ROOT, 'packages/shared/bin/generate-key-pair.ts'), '--output-dir', out],
        { env: { PATH: process.env['PATH'] ?? '', COSIGN_PASSWORD: password }, encoding: 'utf8' },
      );
      const fingerprint = /fingerprint: (\S+)/.exec(text)?.[1] ?? '?';
      return {
        ok: true,
        result: `cosign.pub ${short(fingerprint)}`,
        summary: `<p>cosign-compatible key pair written by <code>npm run generate-key-pair</code>: <code>cosign.key</code> (encrypted; its password is in <code>cosign.password</code>) and <code>cosign.pub</code>, fingerprint <code>${fingerprint}</code>. Every signature and attestation below is made with it, and every verification trusts only it.</p>`,
      };
    });
    const allowlist = join(out, 'allowlist.yml');
    const expires = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    await writeFile(
      allowlist,
      `# Accepted vulnerabilities of the demo service (docs/scan.md). Written by npm run demo.
ignore:
  - id: DEMO-2026-0001
    package: '@release-demo/log-format'
    reason: the service logs only its own fixed fields (method, path, status, time), never user input as a value
    expires: ${expires}
`,
    );
    const osvDb = join(DEMO_DIR, 'osv');
    const trust = { key: pubFile };
    const pins = {
      'source-repository': 'release-actions/release-actions',
      'source-ref': '/^refs\\/tags\\/v/',
    };
    const scanInputs = { 'osv-db': osvDb, allowlist, 'fail-on-severity': 'high' };
    const ok = (run: ActionRunResult, result: string): Verdict =>
      run.exitCode === 0 ? { ok: true, result } : { ok: false, result: `failed (exit ${run.exitCode})` };

    // --- Per build: build-sign, sbom; then verify and promote unless the gate blocks.
    const build = async (release: Release) => {
      runner('build', release);
      const context = join(out, 'build', release.version);
      const files = await stageContext(release, context);
      const target = where('dev');
      const run = await chain.action(
        `build ${release.version}`,
        'build-sign',
        {
          builder: 'assemble',
          'base-image': 'scratch',
          context,
          files,
          entrypoint: '["node", "/app/server.js"]',
          workdir: '/app',
          env: 'NODE_ENV=production\nPORT=8080',
          'exposed-ports': '8080',
          user: '65532:65532',
          'source-date-epoch': time,
          labels: [
            'org.opencontainers.image.title=release-demo',
            `org.opencontainers.image.version=${release.version}`,
            `org.opencontainers.image.revision=${sha}`,
          ].join('\n'),
          image: target,
          tags: `v${release.version}`,
          signing: 'key',
          'cosign-key': keyFile,
          'cosign-password': password,
          'signature-format': 'both',
          provenance: 'true',
          'github-token': '',
        },
        (r) => ok(r, `${target.replace(out, 'DIR')}@${short(r.outputs.digest)}`),
      );
      return { digest: run.outputs.digest!, image: run.outputs.image! };
    };
    const sbom = (release: Release, image: string, blocked: boolean) => {
      runner('sbom', release);
      return chain.action(
        `sbom + scan ${release.version}`,
        'sbom',
        {
          image,
          'output-dir': join(out, 'sbom', release.version),
          'upload-artifact': 'false',
          attest: 'true',
          'cosign-key': keyFile,
          'cosign-password': password,
          ...scanInputs,
          'github-token': '',
        },
        (r): Verdict => {
          const n = r.outputs.packages ?? '?';
          const counts = `${n} npm package${n === '1' ? '' : 's'}, ${r.outputs.critical ?? 0} critical, ${r.outputs.high ?? 0} high`;
          if (blocked)
            return r.exitCode !== 0 && r.outputs.gate === 'failed'
              ? { ok: true, result: `blocked as designed: gate failed (${counts}); nothing promoted` }
              : {
                  ok: false,
                  result: `gate ${r.outputs.gate ?? '?'}`,
                  why: `the scan gate should have stopped ${release.version} (DEMO-2026-0002, critical) and did not`,
                };
          return r.exitCode === 0 && r.outputs.gate === 'passed'
            ? { ok: true, result: `gate passed (${counts}; DEMO-2026-0001 allowlisted)` }
            : { ok: false, result: `gate ${r.outputs.gate ?? '?'} (exit ${r.exitCode})` };
        },
      );
    };
    const verify = (release: Release, image: string, digest: string, title = `verify ${release.version}`) => {
      runner('verify', release);
      return chain.action(
        title,
        'verify-image',
        {
          image,
          'expected-digest': digest,
          ...trust,
          'require-attestations': 'slsa-provenance\nspdx\ncyclonedx',
          ...pins,
          scan: 'true',
          ...scanInputs,
          'github-token': '',
        },
        (r) =>
          r.exitCode === 0 && r.outputs.verified === 'true' && r.outputs.digest === digest
            ? { ok: true, result: `signed by cosign.pub, provenance + SBOMs attested, ${short(digest)}` }
            : { ok: false, result: `verified ${r.outputs.verified ?? '?'}` },
      );
    };
    const policy = registry
      ? `environments:\n${ENVIRONMENTS.map((e) => `  - name: ${e}\n    repository: ${where(e)}`).join('\n')}\n`
      : '';
    const promote = async (release: Release, from: Env, to: Env, digest: string) => {
      runner(`promote-${to}`, release);
      const run = await chain.action(
        `promote ${release.version} ${from} → ${to}`,
        'promote',
        {
          source: `${where(from)}@${digest}`,
          ...(registry
            ? { from, to, environments: policy, tags: `v${release.version}` }
            : { target: where(to), tags: `${to}\nv${release.version}`, 'no-clobber': 'false' }),
          'protected-tags': 'v*',
          ...trust,
          'require-attestations': 'slsa-provenance',
          'source-repository': pins['source-repository'],
          'github-token': '',
        },
        (r) =>
          r.exitCode === 0 && r.outputs.digest === digest
            ? {
                ok: true,
                result: `${to} → ${short(digest)}${r.outputs['previous-digest'] ? ` (was ${short(r.outputs['previous-digest'])})` : ''}`,
              }
            : { ok: false, result: `failed (exit ${r.exitCode})` },
      );
      return run.outputs;
    };
    const deploy = (release: Release, slot: 'stable' | 'canary', image: string) =>
      chain.step(`deploy ${release.version} (${slot})`, 'demo deploy', async () => {
        const d = await deployments.deploy(slot, image);
        if (slot === 'stable') {
          await startRouter();
          await setWeight(0);
        }
        return {
          ok: d.version === release.version,
          result: `${slot} runs ${d.version} from its image on ${d.host}`,
          why: `the ${slot} slot answers as ${d.version}, not ${release.version}`,
          summary: `<p>${release.version} unpacked from <code>${d.image.replace(out, 'DIR')}</code> (every layer read with openImage and the layer walker, digests checked) into <code>${relative(out, d.root)}</code> and started from its own entrypoint on <code>${d.host}</code>, the ${slot} slot behind the router (${haproxy ? `HAProxy at ${haproxy.url}` : `the demo's weighted proxy at ${routerUrl}`}).</p>`,
        };
      });
    const canary = async (
      release: Release,
      stable: Release,
      image: string,
      previous: string,
      expect: 'promoted' | 'rolled-back',
    ) => {
      runner('canary', release);
      const users = startUsers(`${routerUrl}/?name=user`, 20);
      const seen = async () => describeAnswers(await users.stop());
      const run = await chain
        .action(
          `canary ${stable.version} → ${release.version}`,
          'canary',
          {
            image,
            ...trust,
            'require-attestations': 'slsa-provenance',
            steps: '20,50,100',
            'step-duration': '1s',
            interval: '1s',
            ...(haproxy
              ? { traffic: 'haproxy', 'haproxy-socket': haproxy.socket, 'haproxy-backend': haproxy.backend }
              : { traffic: 'command', 'set-weight-command': ctl('weight', '$CANARY_WEIGHT') }),
            'load-url': `http://127.0.0.1:${ports.canary}/?name=canary-check`,
            'load-rate': '20',
            'min-requests': '10',
            'previous-image': previous,
            'rollback-command': ctl('deploy', 'canary', '$PREVIOUS_IMAGE'),
            'smoke-url': `${routerUrl}/healthz`,
            'promote-command': `${ctl('deploy', 'stable', '$CANARY_IMAGE')} && ${ctl('weight', '0')}`,
            'github-token': '',
          },
          (r): Verdict => {
            const result = r.outputs.result ?? '?';
            if (expect === 'promoted')
              return r.exitCode === 0 && result === 'promoted'
                ? { ok: true, result: `promoted: every step passed, ${release.version} now serves 100 %` }
                : {
                    ok: false,
                    result,
                    why: `${release.version} is a good release and should have been promoted`,
                  };
            const back = r.outputs['rolled-back-to'] ?? '';
            return result === 'rolled-back' && back.endsWith(previous.slice(previous.lastIndexOf('@')))
              ? {
                  ok: true,
                  result: `rolled back as designed: ${r.outputs['failed-check']} failed after ${r.outputs['detected-after']} ms; ${stable.version} redeployed, re-verified`,
                }
              : {
                  ok: false,
                  result,
                  why: `${release.version} is the bad release: the canary should have rolled it back to ${stable.version}, and it was ${result}`,
                };
          },
          { timeoutMs: 90_000 },
        )
        .finally(async () => {
          const step = chain.steps.at(-1)!;
          step.summary += `\n\n<p>Users through the router meanwhile (20 requests a second): ${await seen()}.</p>`;
          if (proxy)
            step.summary +=
              "\n\n<p>Traffic: the demo's built-in weighted proxy stood in for the router (traffic: command).</p>";
        });
      return run;
    };

    // --- 1.0.0: the first release, straight to production (there is nothing to canary against).
    const v1 = await build(builds.v1);
    await sbom(builds.v1, v1.image, false);
    await verify(builds.v1, v1.image, v1.digest);
    await promote(builds.v1, 'dev', 'staging', v1.digest);
    const p1 = await promote(builds.v1, 'staging', 'production', v1.digest);
    await deploy(builds.v1, 'stable', p1.image!);

    // --- 2.0.0-rc.1: a new dependency at a vulnerable version; the gate stops it.
    const rc = await build(builds.v2rc);
    await sbom(builds.v2rc, rc.image, true);

    // --- Later releases: built, scanned, verified, promoted to staging, then deployed beside
    // production as the canary and analysed against it.
    const throughCanary = async (
      release: Release,
      stable: Release,
      previous: string,
      expect: 'promoted' | 'rolled-back',
    ) => {
      const built = await build(release);
      await sbom(release, built.image, false);
      await verify(release, built.image, built.digest);
      const staged = await promote(release, 'dev', 'staging', built.digest);
      await deploy(release, 'canary', staged.image!);
      await canary(release, stable, staged.image!, previous, expect);
      return built;
    };
    // 2.0.0: the dependency upgraded; its canary against 1.0.0 passes, and it goes to production.
    const v2 = await throughCanary(builds.v2, builds.v1, p1.image!, 'promoted');
    const p2 = await promote(builds.v2, 'staging', 'production', v2.digest);
    // 3.0.0: slow and failing; its canary rolls it back to 2.0.0.
    const v3 = await throughCanary(builds.v3, builds.v2, p2.image!, 'rolled-back');

    // --- After the rollback: production's tag is 2.0.0, verified again; users get 2.0.0.
    await verify(
      builds.v2,
      `${where('production')}:production`,
      v2.digest,
      'verify production after the rollback',
    );
    runner('health-check');
    await chain.action(
      'health-check production',
      'health-check',
      {
        url: `${routerUrl}/healthz`,
        'json-path': '$.version',
        'json-equals': builds.v2.version,
        'max-attempts': '5',
        'consecutive-successes': '3',
        'retry-interval': '200ms',
      },
      (r) =>
        r.exitCode === 0 && r.outputs.healthy === 'true'
          ? { ok: true, result: `healthy: users get ${builds.v2.version}` }
          : { ok: false, result: 'unhealthy' },
    );
    await chain.step('production is 2.0.0, 3.0.0 never reached it', 'demo check', async () => {
      const production = registry
        ? client.repository({ registry: registry.host, repository: 'demo/app-production' })
        : await LayoutStore.open(join(out, 'layouts', 'production'));
      const tag = (await production.resolve('production'))?.digest;
      const v3there = (await production.resolve(v3.digest)) !== undefined;
      const v3tag = (await production.listTags()).includes(`v${builds.v3.version}`);
      const running = [deployments.current('stable')?.version, deployments.current('canary')?.version];
      const good = tag === v2.digest && !v3there && !v3tag && running.every((v) => v === builds.v2.version);
      return {
        ok: good,
        result: `production → ${short(tag)} (2.0.0); 3.0.0 absent; both slots run ${running.join(', ')}`,
        why: `production → ${tag} (2.0.0 is ${v2.digest}), 3.0.0 ${v3there || v3tag ? 'is' : 'is not'} there, slots run ${running.join(', ')}`,
        summary: `<p>Production's tag <code>production</code> points at ${tag} (2.0.0's digest ${v2.digest}); the bad release 3.0.0 (${v3.digest}) is neither tagged nor stored there; the stable and canary slots run ${running.join(' and ')}.</p>`,
      };
    });
    code = 0;
    verdict = `**The chain behaved as designed**: 2.0.0-rc.1 was stopped by the scan gate, 2.0.0 went through its canary to production, 3.0.0 was rolled back to 2.0.0 by its canary, and production is 2.0.0, verified.`;
  } catch (err) {
    if (!(err instanceof ChainStopped)) {
      verdict = `**The demo failed**: ${(err as Error).stack ?? String(err)}`;
      console.error(`\nerror: ${(err as Error).message}`);
    } else {
      verdict = `**The chain did NOT behave as designed** at step ${err.step.n}, ${err.step.title}: ${err.why}`;
      console.error(`\n${err.message}`);
    }
  } finally {
    const heading = `release-actions demo, ${new Date().toISOString().slice(0, 19)}Z`;
    const how = [
      `Environments: ${registry ? `repositories of a loopback docker-registry (${registry.url})` : 'OCI image layouts under layouts/'}.`,
      `Traffic: ${args.haproxy ? 'a real HAProxy (traffic: haproxy)' : "the demo's built-in weighted proxy, standing in for a router (traffic: command)"}.`,
      'Each step ran a committed action bundle as the runner runs it; the GitHub context (GITHUB_*) is the one a release workflow on a tag push would have, simulated: the provenance records it, but this was no workflow run.',
    ].join(' ');
    await chain
      .writeReport(join(out, 'report.md'), heading, `${verdict}\n\n${how}`)
      .catch((err: Error) => console.error(`cannot write report.md: ${err.message}`));
    print(`\n${chain.table()}\n`);
    print(`Total ${seconds(chain.elapsed())}. ${verdict.replace(/\*\*/g, '')}`);
    print(`\nReport: ${join(out, 'report.md')} (every step's job summary, with the canary charts)`);
    print(`Keys:   ${join(out, 'cosign.pub')}, ${join(out, 'cosign.key')} (password in cosign.password)`);
    const production = registry ? `${registry.host}/demo/app-production` : join(out, 'layouts/production');
    if (registry) {
      print(
        `Look:   ${args['keep-running'] ? '' : '(while it runs: --keep-running) '}crane ls ${production}`,
      );
      print(
        `        cosign verify --key ${join(out, 'cosign.pub')} --insecure-ignore-tlog ${production}@$(crane digest ${production}:production)`,
      );
    } else {
      print(`Look:   skopeo inspect oci:${production}:production`);
      print(`        oras manifest fetch --oci-layout ${production}:production`);
    }
    if (args['keep-running'] && code === 0) {
      print(
        `\nKept running (Ctrl-C to stop): users' entry ${routerUrlOf(proxy, haproxy)}${registry ? `, registry ${registry.url}` : ''}`,
      );
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
    }
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
  return code;
}

function routerUrlOf(proxy: WeightedProxy | undefined, haproxy: TestHaproxy | undefined): string {
  return haproxy?.url ?? proxy?.url ?? '';
}

process.exitCode = await main();
