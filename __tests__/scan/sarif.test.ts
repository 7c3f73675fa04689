import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  evaluateGate,
  OsvExport,
  parseAllowlist,
  scanPackages,
  summarize,
  toSarif,
} from '@release-actions/shared/scan';
import { sarifValidator } from '../sbom/schemas.ts';
import { PACKAGES } from './packages.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/osv/', import.meta.url));
const ALLOWLIST = fileURLToPath(new URL('./fixtures/allowlist.yaml', import.meta.url));

interface SarifRule {
  id: string;
  shortDescription: { text: string };
  help: { text: string; markdown: string };
  properties: Record<string, unknown>;
}
interface SarifResult {
  ruleId: string;
  level: string;
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }>;
  partialFingerprints: Record<string, string>;
  suppressions?: Array<{ kind: string; status?: string; justification?: string; properties?: object }>;
}

{
  const { findings } = await scanPackages(PACKAGES, { source: await OsvExport.load(FIXTURES) });
  const sarif = JSON.parse(
    JSON.stringify(toSarif(findings, { artifactUri: 'sbom/image.cdx.json', toolVersion: '0.1.0' })),
  ) as {
    $schema: string;
    version: string;
    runs: Array<{ tool: { driver: { name: string; rules: SarifRule[] } }; results: SarifResult[] }>;
  };
  const run = sarif.runs[0]!;

  describe('SARIF and summary of the fixture scan', () => {
    // The fields SARIF 2.1.0 requires and GitHub code scanning reads (its "SARIF support for code
    // scanning" page): version, runs[].tool.driver.name, results with ruleId, message.text and a
    // non-empty physicalLocation.artifactLocation.uri; rules[].properties.security-severity.
    it('is valid against the official SARIF 2.1.0 schema, which refuses a result without a message', () => {
      const validate = sarifValidator();
      assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5)));
      const broken = structuredClone(sarif) as unknown as {
        runs: Array<{ results: Array<{ message?: unknown }> }>;
      };
      delete broken.runs[0]!.results[0]!.message;
      assert.equal(validate(broken), false);
      assert.ok(
        validate.errors?.some(
          (e) => e.params && 'missingProperty' in e.params && e.params.missingProperty === 'message',
        ),
      );
    });

    it('has the required top-level structure', () => {
      assert.equal(sarif.version, '2.1.0');
      assert.match(sarif.$schema, /sarif-2\.1\.0/);
      assert.equal(sarif.runs.length, 1);
      assert.equal(run.tool.driver.name, 'release-actions scan');
    });

    it('has one rule per advisory id with help text and a numeric security-severity', () => {
      const ids = run.tool.driver.rules.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual([...ids].sort(), [...new Set(findings.map((f) => f.id))].sort());
      for (const rule of run.tool.driver.rules) {
        assert.ok(rule.shortDescription.text.length > 0);
        assert.ok(rule.help.text.includes('Fixed in'), rule.id);
        // Unknown severity (a CVSS v4 vector alone, or no rating at all): no score is guessed.
        if (rule.id === 'RUSTSEC-9001-0001' || rule.id === 'PYSEC-9002-1')
          assert.equal(rule.properties['security-severity'], undefined, rule.id);
        else assert.match(String(rule.properties['security-severity']), /^\d+\.\d$/, rule.id);
      }
      const glibc = run.tool.driver.rules.find((r) => r.id === 'DSA-9001-1')!;
      assert.equal(glibc.properties['security-severity'], '9.8');
      assert.match(glibc.help.markdown, /\| glibc \| 2\.36-9 \| 2\.36-9\+deb12u4 \| critical \(9\.8\) \|/);
    });

    it('locates each result at the scanned artifact with a stable fingerprint', () => {
      assert.equal(run.results.length, findings.length);
      const rules = new Set(run.tool.driver.rules.map((r) => r.id));
      for (const result of run.results) {
        assert.ok(rules.has(result.ruleId));
        assert.ok(result.message.text.length > 0);
        assert.equal(result.locations[0]!.physicalLocation.artifactLocation.uri, 'sbom/image.cdx.json');
        assert.match(result.partialFingerprints['vulnerability/v1']!, /^[0-9a-f]{64}$/);
        assert.ok(['error', 'warning', 'note'].includes(result.level));
      }
      const again = toSarif(findings, { artifactUri: 'sbom/image.cdx.json' }) as typeof sarif;
      assert.deepEqual(
        again.runs[0]!.results.map((r) => r.partialFingerprints),
        run.results.map((r) => r.partialFingerprints),
      );
    });

    it('summarises counts by severity and the worst findings first', () => {
      const s = summarize(findings, 3);
      assert.equal(s.total, 8);
      assert.deepEqual(s.bySeverity, { unknown: 2, none: 0, low: 1, medium: 3, high: 1, critical: 1 });
      assert.equal(s.fixable, 5);
      assert.deepEqual(
        s.top.map((t) => [t.id, t.severity, t.score]),
        [
          ['DSA-9001-1', 'critical', 9.8],
          ['GHSA-t001-0001-0001', 'high', 8.8],
          ['ALPINE-CVE-2099-3001', 'medium', 5.9],
        ],
      );
    });
  });
}

{
  const { findings } = await scanPackages(PACKAGES, { source: await OsvExport.load(FIXTURES) });
  const allowlist = parseAllowlist(await readFile(ALLOWLIST, 'utf8'), 'allowlist.yaml');
  // On this day CVE-2099-3001 (openssl only) is accepted; the DSA-9001-1 entry has expired.
  const gate = evaluateGate(findings, { failOn: 'high', allowlist, now: new Date('2025-03-01T12:00:00Z') });
  const sarif = JSON.parse(
    JSON.stringify(toSarif(findings, { artifactUri: 'sbom/image.cdx.json', gate })),
  ) as { runs: Array<{ results: SarifResult[] }> };
  const results = sarif.runs[0]!.results;

  describe('SARIF of allowlisted findings', () => {
    it("carries an accepted external suppression with the entry's reason and expiry", () => {
      const suppressed = results.filter((r) => r.suppressions);
      assert.deepEqual(
        suppressed.map((r) => r.ruleId),
        ['ALPINE-CVE-2099-3001'],
      );
      assert.deepEqual(suppressed[0]!.suppressions, [
        {
          kind: 'external',
          status: 'accepted',
          justification:
            'the timing side channel needs local access; the image has no shell users (allowlist allowlist.yaml line 4: CVE-2099-3001 in openssl, accepted until 2099-12-31)',
          properties: {
            allowlist: 'allowlist.yaml',
            line: 4,
            id: 'CVE-2099-3001',
            package: 'openssl',
            expires: '2099-12-31',
          },
        },
      ]);
    });

    it('leaves every other finding unsuppressed, the one whose entry expired too', () => {
      assert.equal(results.length, findings.length);
      const dsa = results.filter((r) => r.ruleId === 'DSA-9001-1');
      assert.equal(dsa.length, 1);
      assert.equal(dsa[0]!.suppressions, undefined);
      assert.equal(results.filter((r) => !r.suppressions).length, findings.length - 1);
      const plain = toSarif(findings, { artifactUri: 'x' }) as unknown as {
        runs: Array<{ results: SarifResult[] }>;
      };
      assert.ok(
        plain.runs[0]!.results.every((r) => r.suppressions === undefined),
        'no gate, no suppression',
      );
    });

    it('is valid against the official SARIF 2.1.0 schema, which checks the suppression', () => {
      const validate = sarifValidator();
      assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5)));
      const broken = structuredClone(sarif);
      const suppression = broken.runs[0]!.results.find((r) => r.suppressions)!.suppressions![0]!;
      suppression.status = 'ignored';
      assert.equal(validate(broken), false);
    });
  });
}
