import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  compareDpkg,
  compareSemver,
  evaluateRange,
  matchRecord,
  type OsvRange,
  type OsvRecord,
} from '@release-actions/shared/scan';

const semverRange = (events: OsvRange['events']): OsvRange => ({ type: 'SEMVER', events });
const affected = (v: string, range: OsvRange) => evaluateRange(v, range, compareSemver) !== undefined;

describe('OSV range evaluation (schema "Evaluation")', () => {
  it('introduced 0 alone affects every version, with no fix', () => {
    const r = semverRange([{ introduced: '0' }]);
    assert.ok(affected('0.0.1', r));
    assert.ok(affected('99.0.0', r));
    assert.deepEqual(evaluateRange('1.0.0', r, compareSemver), { fixed: null });
  });

  it('fixed excludes the fixed version and above; the fix is reported', () => {
    const r = semverRange([{ introduced: '0' }, { fixed: '1.0.2' }]);
    assert.ok(affected('1.0.1', r));
    assert.ok(!affected('1.0.2', r));
    assert.ok(!affected('2.0.0', r));
    assert.deepEqual(evaluateRange('1.0.0', r, compareSemver), { fixed: '1.0.2' });
  });

  it('evaluates several intervals in one range, whatever the order of the events', () => {
    const r = semverRange([
      { introduced: '3.0.0' },
      { fixed: '3.2.5' },
      { fixed: '1.0.2' },
      { introduced: '1.0.0' },
    ]);
    assert.ok(!affected('0.9.0', r));
    assert.ok(affected('1.0.0', r));
    assert.ok(!affected('2.0.0', r));
    assert.ok(affected('3.2.4', r));
    assert.ok(!affected('3.2.5', r));
    assert.deepEqual(evaluateRange('3.1.0', r, compareSemver), { fixed: '3.2.5' });
  });

  it('last_affected includes that version and excludes later ones', () => {
    const r = semverRange([{ introduced: '0' }, { last_affected: '2.1.214' }]);
    assert.ok(affected('2.1.214', r));
    assert.ok(!affected('2.1.215', r));
    assert.deepEqual(evaluateRange('2.0.0', r, compareSemver), { fixed: null });
  });

  it('limit bounds the range from above; "*" is infinity', () => {
    const r = semverRange([{ introduced: '1.0.0' }, { limit: '2.0.0' }]);
    assert.ok(affected('1.5.0', r));
    assert.ok(!affected('2.0.0', r));
    assert.ok(!affected('3.0.0', r));
    assert.ok(affected('3.0.0', semverRange([{ introduced: '1.0.0' }, { limit: '*' }])));
  });

  it('orders ECOSYSTEM ranges with the ecosystem ordering (dpkg tilde)', () => {
    const r: OsvRange = { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.3-1' }] };
    assert.ok(evaluateRange('1.2.3-1~deb12u1', r, compareDpkg));
    assert.equal(evaluateRange('1.2.3-1', r, compareDpkg), undefined);
  });
});

describe('matchRecord', () => {
  const record: OsvRecord = {
    id: 'TEST-1',
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'Friendly_Bard' },
        ranges: [
          {
            type: 'GIT',
            repo: 'https://example.invalid/x.git',
            events: [{ introduced: 'abc' }, { fixed: 'def' }],
          },
          { type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '1.5' }] },
        ],
        versions: ['0.9'],
      },
    ],
  };

  it('matches by normalised name, by range, and by the versions list; GIT ranges are ignored', () => {
    assert.deepEqual(
      matchRecord(record, { ecosystem: 'PyPI', name: 'friendly-bard', version: '1.2' })?.fixedVersions,
      ['1.5'],
    );
    const listed = matchRecord(record, { ecosystem: 'PyPI', name: 'friendly-bard', version: '0.9' });
    assert.equal(listed?.byVersionList, true);
    assert.equal(
      matchRecord(record, { ecosystem: 'PyPI', name: 'friendly-bard', version: '1.5' }),
      undefined,
    );
    assert.equal(matchRecord(record, { ecosystem: 'npm', name: 'friendly-bard', version: '1.2' }), undefined);
  });

  it('respects the ecosystem release suffix', () => {
    const deb: OsvRecord = {
      id: 'TEST-2',
      affected: [
        {
          package: { ecosystem: 'Debian:11', name: 'bash' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        },
      ],
    };
    assert.ok(matchRecord(deb, { ecosystem: 'Debian:11', name: 'bash', version: '5.1-2' }));
    assert.ok(matchRecord(deb, { ecosystem: 'Debian', name: 'bash', version: '5.1-2' }));
    assert.equal(matchRecord(deb, { ecosystem: 'Debian:12', name: 'bash', version: '5.1-2' }), undefined);
  });

  it('reports ranges it cannot order instead of guessing', () => {
    const gem: OsvRecord = {
      id: 'TEST-3',
      affected: [
        {
          package: { ecosystem: 'RubyGems', name: 'rack' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }],
        },
      ],
    };
    const problems: string[] = [];
    assert.equal(
      matchRecord(
        gem,
        { ecosystem: 'RubyGems', name: 'rack', version: '1.0' },
        { onProblem: (p) => problems.push(p.id) },
      ),
      undefined,
    );
    assert.deepEqual(problems, ['TEST-3']);
  });

  it('orders Maven ECOSYSTEM ranges (log4j-core, as GHSA-jfh8-c2jp-5v3q lists it)', () => {
    const log4shell: OsvRecord = {
      id: 'TEST-4',
      affected: [
        {
          package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [
                { introduced: '2.13.0' },
                { fixed: '2.15.0' },
                { introduced: '2.0-beta9' },
                { fixed: '2.12.2' },
              ],
            },
          ],
        },
      ],
    };
    const pkg = (version: string) => ({
      ecosystem: 'Maven',
      name: 'org.apache.logging.log4j:log4j-core',
      version,
    });
    assert.deepEqual(matchRecord(log4shell, pkg('2.14.1'))?.fixedVersions, ['2.15.0']);
    assert.deepEqual(matchRecord(log4shell, pkg('2.0-rc1'))?.fixedVersions, ['2.12.2']);
    assert.equal(matchRecord(log4shell, pkg('2.0-alpha1')), undefined);
    assert.equal(matchRecord(log4shell, pkg('2.12.2')), undefined);
    assert.equal(matchRecord(log4shell, pkg('2.17.1')), undefined);
  });
});
