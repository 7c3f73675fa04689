import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import {
  evaluateGate,
  OsvExport,
  parseAllowlist,
  ScanError,
  scanPackages,
} from '@release-actions/shared/scan';
import { PACKAGES } from './packages.ts';

const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));
const NOW = new Date('2025-03-01T12:00:00Z');

describe('allowlist file', () => {
  it('reads YAML entries with their lines', async () => {
    const list = parseAllowlist(await readFile(fixture('allowlist.yaml'), 'utf8'), 'allowlist.yaml');
    assert.deepEqual(
      list.entries.map((e) => [e.id, e.package, e.expires, e.line]),
      [
        ['CVE-2099-3001', 'openssl', '2099-12-31', 4],
        ['DSA-9001-1', undefined, '2024-01-31', 9],
        ['GHSA-0000-0000-0000', undefined, '2099-01-01', 13],
      ],
    );
  });

  it('reads JSON too', () => {
    const list = parseAllowlist(
      '{"ignore": [{"id": "CVE-1", "reason": "r", "expires": "2030-01-01"}]}',
      'a.json',
    );
    assert.equal(list.entries[0]!.id, 'CVE-1');
  });

  it('refuses an entry without a reason or with a bad date, naming the line', () => {
    const text =
      'ignore:\n  - id: CVE-1\n    expires: 2030-01-01\n  - id: CVE-2\n    reason: ok\n    expires: 2030-02-30\n  - id: CVE-3\n    reason: ok\n    expires: 2030-01-01\n    note: x\n';
    assert.throws(
      () => parseAllowlist(text, 'bad.yaml'),
      (e: unknown) =>
        e instanceof ScanError &&
        e.code === 'INVALID_ALLOWLIST' &&
        /line 2: entry CVE-1 needs a "reason"/.test(e.message) &&
        /line 4: entry CVE-2: "2030-02-30" is not a date/.test(e.message) &&
        /line 7: unknown field "note"/.test(e.message),
    );
    assert.throws(
      () => parseAllowlist('ignore: [\n', 'broken.yaml'),
      (e: unknown) => e instanceof ScanError && e.code === 'INVALID_ALLOWLIST',
    );
    assert.throws(
      () => parseAllowlist('- id: x\n', 'list.yaml'),
      (e: unknown) => e instanceof ScanError && /"ignore"/.test(e.message),
    );
  });
});

{
  const { findings } = await scanPackages(PACKAGES, { source: await OsvExport.load(fixture('osv')) });
  const allowlist = parseAllowlist(await readFile(fixture('allowlist.yaml'), 'utf8'), 'allowlist.yaml');
  const ids = (list: Array<{ id: string }>) => list.map((f) => f.id).sort();

  describe('gate verdicts on the fixture export', () => {
    it('fails on high: the critical glibc advisory (its allowlist entry expired) and the high lodash one', () => {
      const gate = evaluateGate(findings, { failOn: 'high', allowlist, now: NOW });
      assert.equal(gate.passed, false);
      assert.deepEqual(ids(gate.failing), ['DSA-9001-1', 'GHSA-t001-0001-0001']);
      assert.deepEqual(
        gate.suppressed.map((s) => [s.finding.id, s.entry.id]),
        [['ALPINE-CVE-2099-3001', 'CVE-2099-3001']],
      );
      assert.deepEqual(
        gate.expired.map((s) => s.finding.id),
        ['DSA-9001-1'],
      );
      assert.ok(gate.messages.some((m) => /DSA-9001-1 .*line 9\) expired on 2024-01-31/.test(m)));
      assert.match(
        gate.messages[0]!,
        /2 vulnerabilities are at or above high: .*DSA-9001-1 in libc6@2\.36-9 \(critical 9\.8\)/,
      );
      assert.deepEqual(
        gate.unusedEntries.map((e) => e.id),
        ['GHSA-0000-0000-0000'],
      );
      assert.deepEqual(ids(gate.unknownSeverity), ['PYSEC-9002-1', 'RUSTSEC-9001-0001']);
    });

    it('suppresses while the entry is valid (the day of expiry included)', () => {
      const gate = evaluateGate(findings, {
        failOn: 'critical',
        allowlist,
        now: new Date('2024-01-31T23:59:00Z'),
      });
      assert.equal(gate.passed, true);
      assert.deepEqual(ids(gate.suppressed.map((s) => s.finding)), ['ALPINE-CVE-2099-3001', 'DSA-9001-1']);
    });

    it('counts more findings at a lower threshold, and ignore-unfixed drops those without a fix', () => {
      const medium = evaluateGate(findings, { failOn: 'medium', allowlist, now: NOW });
      assert.deepEqual(ids(medium.failing), [
        'DSA-9001-1',
        'GHSA-t001-0001-0001',
        'GHSA-t002-0002-0002',
        'PYSEC-9001-1',
      ]);
      const fixable = evaluateGate(findings, { failOn: 'medium', ignoreUnfixed: true, allowlist, now: NOW });
      assert.deepEqual(ids(fixable.failing), ['DSA-9001-1', 'GHSA-t001-0001-0001']);
      assert.deepEqual(ids(fixable.unfixed), ['GHSA-t002-0002-0002', 'PYSEC-9001-1', 'PYSEC-9002-1']);
      const low = evaluateGate(findings, { failOn: 'low', now: NOW });
      assert.equal(low.failing.length, 6);
    });

    it('reports only when off', () => {
      const off = evaluateGate(findings, { failOn: 'off', now: NOW });
      assert.equal(off.passed, true);
      assert.equal(off.failing.length, 0);
      assert.match(off.messages[0]!, /reporting only/);
    });
  });
}
