import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { assessSeverity, cvss3BaseScore, roundup31, ScanError } from '@release-actions/shared/scan';

describe('CVSS v3 base scores', () => {
  // Vectors and base scores as FIRST's calculator and NVD publish them.
  const table: Array<[string, number, string]> = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1, 'medium'],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N', 6.8, 'medium'],
    ['CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9, 'medium'],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N', 4.3, 'medium'],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6, 'low'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0, 'none'],
    ['CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 9.6, 'critical'],
    // Temporal metrics do not change the base score.
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N/E:P/RL:W/RC:C', 6.1, 'medium'],
  ];
  for (const [vector, score, rating] of table) {
    it(`${vector} → ${score} ${rating}`, () => {
      const s = cvss3BaseScore(vector);
      assert.equal(s.baseScore, score);
      assert.equal(s.rating, rating);
    });
  }

  it('rounds up as Appendix A specifies, without floating-point artefacts', () => {
    assert.equal(roundup31(4.02), 4.1);
    assert.equal(roundup31(4.0), 4.0);
    assert.equal(roundup31(4.000000001), 4.0);
    assert.equal(roundup31(1 - 0.58 + 4), 4.5);
  });

  it('refuses malformed vectors with a code', () => {
    for (const bad of [
      'CVSS:2.0/AV:N',
      'CVSS:3.1/AV:N/AC:L',
      'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    ])
      assert.throws(
        () => cvss3BaseScore(bad),
        (e: unknown) => e instanceof ScanError && e.code === 'INVALID_CVSS',
        bad,
      );
  });
});

describe('severity of an advisory', () => {
  it('prefers a computed CVSS v3 score', () => {
    const s = assessSeverity({
      id: 'X',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      database_specific: { severity: 'LOW' },
    });
    assert.deepEqual([s.level, s.score, s.source], ['critical', 9.8, 'CVSS_V3']);
  });
  it("uses the advisory's own rating without a vector (GHSA, Ubuntu priority)", () => {
    assert.equal(assessSeverity({ id: 'X', database_specific: { severity: 'MODERATE' } }).level, 'medium');
    assert.equal(
      assessSeverity({ id: 'X', severity: [{ type: 'Ubuntu', score: 'negligible' }] }).level,
      'low',
    );
  });
  it('reports a CVSS v4 vector without guessing its score', () => {
    const v4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N';
    const unknown = assessSeverity({ id: 'X', severity: [{ type: 'CVSS_V4', score: v4 }] });
    assert.deepEqual([unknown.level, unknown.vector, unknown.score], ['unknown', v4, undefined]);
    const rated = assessSeverity({
      id: 'X',
      severity: [{ type: 'CVSS_V4', score: v4 }],
      database_specific: { severity: 'HIGH' },
    });
    assert.equal(rated.level, 'high');
  });
  it('takes affected[].severity over the top level', () => {
    const s = assessSeverity(
      { id: 'X', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] },
      { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N' }] },
    );
    assert.equal(s.score, 4.3);
  });
});
