import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OsvExport, scanPackages, summarize, toSarif } from '@release-actions/shared/scan';
import { sarifValidator } from '../sbom/schemas.ts';
import { PACKAGES } from './packages.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/osv/', import.meta.url));

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
}

describe('SARIF and summary of the fixture scan', async () => {
  const { findings } = await scanPackages(PACKAGES, { source: await OsvExport.load(FIXTURES) });
  const sarif = JSON.parse(
    JSON.stringify(toSarif(findings, { artifactUri: 'sbom/image.cdx.json', toolVersion: '0.1.0' })),
  ) as {
    $schema: string;
    version: string;
    runs: Array<{ tool: { driver: { name: string; rules: SarifRule[] } }; results: SarifResult[] }>;
  };
  const run = sarif.runs[0]!;

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
