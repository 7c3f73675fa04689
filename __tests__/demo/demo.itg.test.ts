/**
 * `npm run demo` (scripts/demo/index.ts), run as a newcomer runs it: the embedded default (OCI
 * layouts, the built-in weighted proxy), once, into a temporary `--out`, and its result checked
 * from the outside: the exit code, production's layout (its tag, its signature through our
 * verifyImage and through the real cosign), where the bad release got to, and the report.
 *
 * cosign cannot read the layout itself: `cosign verify --local-image` reads only what `cosign save`
 * writes (index.json entries annotated `kind: dev.cosignproject.cosign/image`, `/sigs`, `/atts`),
 * and fails on any other layout with "must verify either an image index or image". So the
 * production image is copied, digest and signatures unchanged, into a loopback registry, and
 * cosign verifies it there, as a user would after `skopeo copy` or a `--registry` run.
 *
 * Then the demo is run with `--healthy-v3` (3.0.0 built without its bug): its canary is promoted,
 * and the demo must say that the chain did not behave as designed, naming the step, and exit 1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { copyImage, LayoutStore } from '@release-actions/shared/oci';
import { verifyImage } from '@release-actions/shared/verify';
import { REPO_ROOT } from '../fixtures.ts';
import { skipIf } from '../jest-helpers.ts';
import { COSIGNS, cosignHome, verifyArgs, type CosignHome } from '../interop/cosign.ts';
import { useRegistry } from '../registry-fixture.ts';

interface DemoRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function runDemo(args: string[], env: Record<string, string> = {}): Promise<DemoRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'scripts/demo/index.ts'), ...args],
      {
        cwd: REPO_ROOT,
        timeout: 150_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env['PATH'] ?? '', ...env },
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
          stdout,
          stderr,
          ms: Date.now() - started,
        }),
    );
  });
}

/** Every step the demo runs, in order: the report's `## N. title` headings. */
const STEPS = [
  'generate the signing key pair',
  'build 1.0.0',
  'sbom + scan 1.0.0',
  'verify 1.0.0',
  'promote 1.0.0 dev → staging',
  'promote 1.0.0 staging → production',
  'deploy 1.0.0 (stable)',
  'build 2.0.0-rc.1',
  'sbom + scan 2.0.0-rc.1',
  'build 2.0.0',
  'sbom + scan 2.0.0',
  'verify 2.0.0',
  'promote 2.0.0 dev → staging',
  'deploy 2.0.0 (canary)',
  'canary 1.0.0 → 2.0.0',
  'promote 2.0.0 staging → production',
  'build 3.0.0',
  'sbom + scan 3.0.0',
  'verify 3.0.0',
  'promote 3.0.0 dev → staging',
  'deploy 3.0.0 (canary)',
  'canary 2.0.0 → 3.0.0',
  'verify production after the rollback',
  'health-check production',
  'production is 2.0.0, 3.0.0 never reached it',
];

describe('npm run demo, embedded default', () => {
  let out: string;
  let run: DemoRun;
  let pub: string;
  /** The digests of the builds, from the dev layout's version tags (build-sign's tags). */
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'demo-test-'));
    run = await runDemo(['--out', out]);
    if (run.code !== 0) console.log(`demo output:\n${run.stdout}\n${run.stderr}`);
    pub = await readFile(join(out, 'cosign.pub'), 'utf8');
    const dev = await LayoutStore.open(join(out, 'layouts/dev'));
    for (const version of ['1.0.0', '2.0.0-rc.1', '2.0.0', '3.0.0'])
      digests[version] = (await dev.resolve(`v${version}`))!.digest;
  }, 180_000);
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('exits 0 and says the chain behaved as designed, with the time of every step', () => {
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /The chain behaved as designed/);
    assert.match(run.stdout, /built-in weighted proxy .* stands in/);
    for (const [i, title] of STEPS.entries())
      assert.match(
        run.stdout,
        new RegExp(`^ *${i + 1}\\. ✓ ${escape(title)} .* \\d+\\.\\d\\d s `, 'm'),
        title,
      );
    console.log(`demo: ${run.ms} ms (${/^Total .*/m.exec(run.stdout)?.[0]})`);
  });

  it("production's tag is 2.0.0's digest, and it carries a signature and attestations that verify with the demo's key", async () => {
    const production = await LayoutStore.open(join(out, 'layouts/production'));
    assert.equal((await production.resolve('production'))?.digest, digests['2.0.0']);
    assert.equal((await production.resolve('v2.0.0'))?.digest, digests['2.0.0']);
    const result = await verifyImage({
      store: production,
      reference: 'production',
      policy: {
        trust: { kind: 'keys', keys: [pub] },
        requireAttestations: ['slsa-provenance', 'spdx', 'cyclonedx'],
        provenance: { sourceRepository: 'release-actions/release-actions' },
      },
    });
    assert.equal(result.digest, digests['2.0.0']);
    assert.deepEqual([...new Set(result.signatures.map((s) => s.format))].sort(), ['bundle', 'legacy']);
  });

  it('the bad release (3.0.0) reached staging but not production; the blocked build (2.0.0-rc.1) reached neither', async () => {
    const staging = await LayoutStore.open(join(out, 'layouts/staging'));
    const production = await LayoutStore.open(join(out, 'layouts/production'));
    assert.ok(await staging.resolve(digests['3.0.0']!), '3.0.0 was promoted to staging for its canary');
    assert.equal(await production.resolve(digests['3.0.0']!), undefined);
    assert.ok(!(await production.listTags()).includes('v3.0.0'));
    for (const store of [staging, production])
      assert.equal(await store.resolve(digests['2.0.0-rc.1']!), undefined);
    assert.deepEqual([...(await production.listTags())].filter((t) => !t.startsWith('sha256-')).sort(), [
      'production',
      'v1.0.0',
      'v2.0.0',
    ]);
  });

  it('report.md holds every step, in order, with its job summary and the canary charts', async () => {
    const report = await readFile(join(out, 'report.md'), 'utf8');
    const headings = [...report.matchAll(/^## (\d+)\. (.+)$/gm)].map((m) => `${m[1]}. ${m[2]}`);
    assert.deepEqual(
      headings,
      STEPS.map((title, i) => `${i + 1}. ${title}`),
    );
    const section = (title: string) =>
      report.split(/^## \d+\. /m).find((s) => s.startsWith(`${title}\n`)) ?? '';
    assert.match(section('canary 2.0.0 → 3.0.0'), /Canary rolled back/);
    assert.match(section('canary 2.0.0 → 3.0.0'), /```mermaid\nxychart-beta/);
    assert.match(section('canary 1.0.0 → 2.0.0'), /```mermaid\nxychart-beta/);
    assert.match(section('sbom + scan 2.0.0-rc.1'), /DEMO-2026-0002/);
    assert.match(section('build 1.0.0'), /<h3>/, 'the job summary, its headings under the step');
  });

  const cosign = COSIGNS[0]!;
  skipIf(cosign.tool.skip).describe(
    `${cosign.label} verifies production's image (copied into a loopback registry)`,
    () => {
      const reg = useRegistry();
      let home: CosignHome;
      beforeAll(async () => (home = await cosignHome()));
      afterAll(() => home?.dispose());

      it('cosign verify --key cosign.pub passes on the production digest', async () => {
        const production = await LayoutStore.open(join(out, 'layouts/production'));
        await copyImage(production, 'production', reg.repo('demo/production'), {
          referrers: true,
          cosignTags: true,
        });
        const ref = `${reg.registry.host}/demo/production@${digests['2.0.0']}`;
        const verified = await cosign.tool.run(verifyArgs(cosign, home, join(out, 'cosign.pub'), ref), {
          env: home.env(),
        });
        assert.equal(verified.code, 0, verified.stderr);
        assert.match(verified.stdout, new RegExp(digests['2.0.0']!));
      });
    },
  );
});

describe('npm run demo, when 3.0.0 is not bad (--healthy-v3)', () => {
  let out: string;
  beforeAll(async () => (out = await mkdtemp(join(tmpdir(), 'demo-test-'))));
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('its canary is promoted, and the demo exits 1 saying the chain did not behave as designed at that step', async () => {
    const run = await runDemo(['--out', out, '--healthy-v3']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^ *22\. ✗ canary 2\.0\.0 → 3\.0\.0 .* promoted/m);
    assert.match(run.stdout, /The chain did NOT behave as designed at step 22, canary 2\.0\.0 → 3\.0\.0/);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    assert.match(report, /\*\*The chain did NOT behave as designed\*\* at step 22/);
    assert.match(report, /^## 22\. canary 2\.0\.0 → 3\.0\.0$/m);
    assert.doesNotMatch(report, /^## 23\./m, 'the chain stops at the step that did not behave as designed');
  }, 180_000);
});

describe('npm run demo, refusals before anything runs', () => {
  it('--registry and --haproxy without the program: exit 2 naming the package to install, nothing written', async () => {
    const out = await mkdtemp(join(tmpdir(), 'demo-test-'));
    try {
      // The harnesses' own variables name the programs: here, ones that do not exist.
      const run = await runDemo(['--out', out, '--registry', '--haproxy'], {
        DOCKER_REGISTRY_BIN: join(out, 'no', 'docker-registry'),
        HAPROXY_BIN: join(out, 'no', 'haproxy'),
      });
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /--registry needs docker-registry \(apt-get install docker-registry\)/);
      assert.match(run.stderr, /--haproxy needs haproxy \(apt-get install haproxy\)/);
      assert.deepEqual([...(await readdir(out))], []);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('an --out directory that is not empty: exit 2, its files untouched', async () => {
    const out = await mkdtemp(join(tmpdir(), 'demo-test-'));
    try {
      await writeFile(join(out, 'keep.txt'), 'mine');
      const run = await runDemo(['--out', out]);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /is not empty: give a new or empty directory/);
      assert.deepEqual([...(await readdir(out))], ['keep.txt']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
