import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import {
  comparatorFor,
  compareApk,
  compareDpkg,
  compareGo,
  compareMaven,
  comparePep440,
  compareRpm,
  compareSemver,
  isValidApkVersion,
  rpmvercmp,
  versionSchemeOf,
} from '@release-actions/shared/scan';
import { skipIf } from '../jest-helpers.ts';

type Op = '<' | '=' | '>';
const sign = { '<': -1, '=': 0, '>': 1 } as const;

/** Parses `a op b` lines into cases. */
function cases(table: string): Array<[string, Op, string]> {
  return table
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [a, op, b] = l.split(/\s+/);
      return [a!, op as Op, b!];
    });
}

function checkTable(compare: (a: string, b: string) => number, table: Array<[string, Op, string]>): void {
  for (const [a, op, b] of table) {
    assert.equal(Math.sign(compare(a, b)), sign[op], `${a} ${op} ${b}`);
    assert.equal(Math.sign(compare(b, a)), 0 - sign[op] || 0, `${b} (reversed) ${a}`);
  }
}

// Debian: cases in the style of osv-scalibr's semantic/testdata/debian-versions.txt and deb-version(5).
const DPKG = cases(`
  0.0.0 = 0:0.0.0
  0.0.0 = 0.0.0-0
  0.0.0 = 0.0.0-00
  1:0.0.0 > 0:9.9.9
  0.0.9 < 0.0.10
  9.0.0 < 10.0.0
  1.2.3-1~deb7u1 < 1.2.3-1
  2.7.4+reloaded2-13ubuntu1 < 2.7.4+reloaded2-13+deb9u1
  2.7.4+reloaded2-13 < 2.7.4+reloaded2-13+deb9u1
  2:0.0.44-1 < 2:0.0.44-nobin
  1.0~rc1 < 1.0
  1.0~~ < 1.0~
  1.0~~a < 1.0~
  1.0~ < 1.0
  1.0 < 1.0a
  1.0a < 1.0+
  1.0+ < 1.0.
  2.36-9 < 2.36-9+deb12u4
  2.36-9+deb12u4 < 2.36-9+deb12u10
  3.0.11-1~deb12u2 < 3.0.11-1~deb12u3
  1:1.2-1 > 1.3-1
  1.2.3-a-b = 1.2.3-a-b
  1.2.3-a-b < 1.2.3-a-c
  7.88.1-10+deb12u5 > 7.88.1-10
  1.000 = 1.0
  a < b
  1.0-1 < 1.0-1.1
  1.0-1ubuntu1 > 1.0-1
`);

describe('dpkg ordering', () => {
  it('orders the table', () => checkTable(compareDpkg, DPKG));

  const dpkg = '/usr/bin/dpkg';
  skipIf(!existsSync(dpkg) && 'no dpkg here').it(
    'agrees with the real dpkg --compare-versions on every pair of the table',
    () => {
      const versions = [...new Set(DPKG.flatMap(([a, , b]) => [a, b]))].filter((v) =>
        /^\d/.test(v.replace(/^\d+:/, '')),
      );
      const holds = (a: string, op: string, b: string) => {
        try {
          execFileSync(dpkg, ['--compare-versions', a, op, b], { stdio: 'ignore' });
          return true;
        } catch {
          return false;
        }
      };
      let pairs = 0;
      for (let i = 0; i < versions.length; i++) {
        for (let j = i + 1; j < versions.length; j += 3) {
          const a = versions[i]!;
          const b = versions[j]!;
          const ours = Math.sign(compareDpkg(a, b));
          const real = holds(a, 'lt', b) ? -1 : holds(a, 'eq', b) ? 0 : 1;
          assert.equal(ours, real, `${a} vs ${b}: ours ${ours}, dpkg ${real}`);
          pairs++;
        }
      }
      assert.ok(pairs > 100, `compared ${pairs} pairs`);
    },
  );
});

// Alpine: cases from apk-tools test/unit/version.data.
const APK = cases(`
  2.34 > 0.1.0_alpha
  23_foo > 4_beta
  1.0 < 1.0bc
  0.1.0_alpha = 0.1.0_alpha
  0.1.0_alpha2 > 0.1.0_alpha
  0.1.0_alpha < 2.2.39-r1
  1.0.4-r3 < 1.0.4-r4
  1.1 > 1.1_alpha1
  1.3_alpha2 < 1.3_alpha3
  0.8_beta1 < 0.8_beta2
  3.10.18-r1 > 2.3.0b-r1
  3.1_p16 < 3.1_p17
  1.06-r6 < 006
  006 > 1.0.0
  4.5_p1-r1 > 4.5_p1
  4.5_p1 < 4.5_p1-r1
  2.9.11_pre20051101-r3 > 2.9.11_pre20051101
  1.3-r0 < 1.3.1-r0
  1.3_pre1-r1 < 1.3.2
  1.0_p10-r0 > 1.0_p9-r0
  0.1.0_alpha_pre2 < 0.1.0_alpha
  1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
  6.0_pre1 < 6.0
  6.0_p1 > 6.0
  8.2.0 < 8.2.001
  8.2.0015 < 8.2.002
  1.0~1234 < 1.0~2345
  1.0~1234-r1 < 1.0~2345-r0
  1.0~1234-r1 > 1.0~1234-r0
  0.10.0 < 0.10.1_rc1
  2.1.9.200602141850 > 1.6
  1.2.9.1-r1 > 1.2.9.1
`);

describe('apk ordering', () => {
  it('orders the apk-tools table', () => checkTable(compareApk, APK));
  it('validates as apk-tools does', () => {
    for (const v of [
      '1.2',
      '0.1_pre2',
      '0.1_pre2~1234abcd',
      '0.1_p1_pre2',
      '0.1_alpha1_pre2',
      '0.1_git20240101_pre1',
    ])
      assert.ok(isValidApkVersion(v), v);
    for (const v of [
      '',
      '0.1bc',
      '0.1a1',
      '0.1_pre2~',
      '0.1_pre2~1234xbcd',
      '0.1_foobar',
      '0.1-pre1.1',
      '0.1-r',
      '0.1-r2_pre1',
      '0.1-r2-r3',
      '.1',
      'a',
      '0.1_',
      '0.1__alpha',
    ])
      assert.ok(!isValidApkVersion(v), v);
  });
});

// RPM: cases from rpm's tests/rpmvercmp.at.
const RPMVERCMP = cases(`
  1.0 = 1.0
  2.0 < 2.0.1
  2.0.1a > 2.0.1
  5.5p1 < 5.5p10
  10xyz < 10.1xyz
  xyz10 < xyz10.1
  xyz.4 < 8
  xyz.4 < 2
  6.0.rc1 > 6.0
  10b2 > 10a1
  1.0a < 1.0aa
  10.0001 = 10.1
  10.0001 < 10.0039
  4.999.9 < 5.0
  20101121 < 20101122
  2_0 = 2.0
  a+ = a_
  +_ = _+
  1.0~rc1 < 1.0
  1.0~rc1 < 1.0~rc2
  1.0~rc1~git123 < 1.0~rc1
  1.0^ > 1.0
  1.0^git1 > 1.0
  1.0^git1 < 1.0^git2
  1.0^git1 < 1.01
  1.0^20160101 < 1.0.1
  1.0^20160102 > 1.0^20160101^git1
  1.0~rc1^git1 > 1.0~rc1
  1.0^git1~pre < 1.0^git1
`);

describe('rpm ordering', () => {
  it('rpmvercmp orders the rpm test table', () => checkTable(rpmvercmp, RPMVERCMP));
  it('compares epoch, then version, then release; a missing epoch is 0', () => {
    checkTable(
      compareRpm,
      cases(`
        1:1.0-1 > 2.0-1
        0:1.0-1 = 1.0-1
        3.0.7-24.el9 < 3.0.7-25.el9
        3.0.7-25.el9 < 1:3.0.7-1.el9
        1.0-1.el9_2 > 1.0-1.el9
        1.0 < 1.0-1
      `),
    );
  });
});

describe('semver, PEP 440 and Go ordering', () => {
  it('orders SemVer 2.0 precedence (semver.org section 11)', () => {
    checkTable(
      compareSemver,
      cases(`
        1.0.0-alpha < 1.0.0-alpha.1
        1.0.0-alpha.1 < 1.0.0-alpha.beta
        1.0.0-alpha.beta < 1.0.0-beta
        1.0.0-beta < 1.0.0-beta.2
        1.0.0-beta.2 < 1.0.0-beta.11
        1.0.0-beta.11 < 1.0.0-rc.1
        1.0.0-rc.1 < 1.0.0
        1.0.0+build = 1.0.0
        v2.0.0 > 1.9.9
        1.2 = 1.2.0
      `),
    );
    assert.throws(() => compareSemver('not-a-version', '1.0.0'), RangeError);
  });
  it('orders PEP 440 (epochs, pre, post, dev, local)', () => {
    checkTable(
      comparePep440,
      cases(`
        1.0.dev0 < 1.0a1
        1.0a1 < 1.0b1
        1.0b1 < 1.0rc1
        1.0rc1 < 1.0
        1.0 < 1.0.post1
        1.0 < 1.0+local
        1!0.1 > 2.0
        1.0 = 1.0.0
        2.0.0 > 1.99
        4.2.10 > 4.2.9
      `),
    );
  });
  it('orders Go versions with v prefixes, pseudo-versions and toolchain tags', () => {
    checkTable(
      compareGo,
      cases(`
        v1.2.3 = 1.2.3
        v0.0.0-20210101000000-abcdefabcdef < v0.0.0-20220101000000-abcdefabcdef
        v0.0.0-20220101000000-abcdefabcdef < v0.0.1
        v1.2.4-0.20230101000000-abcdefabcdef > v1.2.3
        v1.2.4-0.20230101000000-abcdefabcdef < v1.2.4
        v2.0.0+incompatible = v2.0.0
        go1.21.3 = 1.21.3
        go1.21 = 1.21.0
        go1.21rc2 < go1.21.0
        go1.22.0 > 1.21.9
      `),
    );
  });
  it('picks the ordering of each OSV ecosystem', () => {
    assert.equal(versionSchemeOf('Debian:12'), 'dpkg');
    assert.equal(versionSchemeOf('Ubuntu:22.04:LTS'), 'dpkg');
    assert.equal(versionSchemeOf('Alpine:v3.19'), 'apk');
    assert.equal(versionSchemeOf('Rocky Linux:9'), 'rpm');
    assert.equal(versionSchemeOf('Red Hat:enterprise_linux:9::baseos'), 'rpm');
    assert.equal(versionSchemeOf('npm'), 'semver');
    assert.equal(versionSchemeOf('PyPI'), 'pep440');
    assert.equal(versionSchemeOf('Go'), 'go');
    assert.equal(versionSchemeOf('crates.io'), 'semver');
    assert.equal(versionSchemeOf('Maven'), 'maven');
    assert.equal(comparatorFor('RubyGems'), undefined);
  });
});

/** Debian's `maven` package: Maven's own version ordering, runnable as a command. */
const MAVEN_ARTIFACT_JAR = '/usr/share/maven/lib/maven-artifact-3.x.jar';

/**
 * Pairs of versions of the shapes Maven Central carries: one to four numbers, then nothing, a
 * dash qualifier (`-SNAPSHOT`, `-alpha-2`, `-beta3`, `-M1`, `-RC2`, `-rc-1`, `-CR1`, `-b4`,
 * `-jre`, `-sp-1`, `-Final`, a build number…) or a dot qualifier (`.RELEASE`, `.Final`, `.Beta2`,
 * `.CR1`, `.GA`, `.SP3`, `.M2`, `.RC1`, `.Alpha1`), half of them on the same numbers so the
 * qualifiers meet. Both versions of a pair share the qualifier style, and with dot qualifiers the
 * count of numbers too, as two releases of one artifact do: where they do not, OSV's orderings
 * (osv.dev's maven.py, osv-scalibr) and Maven's differ (`1.foo` < `1-foo` in OSV's, equal in
 * Maven's), and we follow OSV's, which decides what its advisories cover.
 */
function mavenPairs(count: number): Array<[string, string]> {
  let seed = 20261201;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const k = () => String(1 + rand(12));
  const dash = [
    () => '-SNAPSHOT',
    () => `-alpha-${k()}`,
    () => `-alpha${k()}`,
    () => `-beta-${k()}`,
    () => `-beta${k()}`,
    () => `-M${k()}`,
    () => `-RC${k()}`,
    () => `-rc-${k()}`,
    () => `-CR${k()}`,
    () => '-jre',
    () => '-android',
    () => `-${k()}`,
    () => `-RC${k()}-SNAPSHOT`,
    () => `-b${k()}`,
    () => `-a${k()}`,
    () => '-sp',
    () => `-sp-${k()}`,
    () => '-GA',
    () => '-Final',
  ];
  const dot = [
    () => '.RELEASE',
    () => '.Final',
    () => `.Beta${k()}`,
    () => `.CR${k()}`,
    () => '.GA',
    () => `.SP${k()}`,
    () => `.M${k()}`,
    () => `.RC${k()}`,
    () => `.Alpha${k()}`,
  ];
  const numbers = (length: number) =>
    Array.from({ length }, () => String(rand(5) === 0 ? rand(30) : rand(4))).join('.');
  const pairs: Array<[string, string]> = [];
  while (pairs.length < count) {
    const style = rand(2) === 0 ? dash : dot;
    const suffix = () => (rand(4) === 0 ? '' : style[rand(style.length)]!());
    const length = 1 + rand(4);
    const a = numbers(length);
    const b = rand(2) === 0 ? a : numbers(style === dot ? length : 1 + rand(4));
    pairs.push([a + suffix(), b + suffix()]);
  }
  return pairs;
}

/** Maven's verdict (-1, 0, 1) on each pair, from one run of `ComparableVersion`'s main. */
function mavenVerdicts(pairs: Array<[string, string]>): number[] {
  // It compares each argument with the next: pairs laid end to end, every other line is a pair's.
  const out = execFileSync(
    'java',
    ['-cp', MAVEN_ARTIFACT_JAR, 'org.apache.maven.artifact.versioning.ComparableVersion', ...pairs.flat()],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return [...out.matchAll(/^ {3}\S+ (<|==|>) \S+$/gm)]
    .filter((_, i) => i % 2 === 0)
    .map((m) => ({ '<': -1, '==': 0, '>': 1 })[m[1] as '<' | '==' | '>']);
}

describe('Maven ordering (OSV: maven.py, osv-scalibr version-maven.go)', () => {
  skipIf(!existsSync(MAVEN_ARTIFACT_JAR) && `${MAVEN_ARTIFACT_JAR} is missing: apt-get install maven`).it(
    "agrees with Maven's own ComparableVersion on 3000 pairs of versions shaped as Maven Central's are",
    () => {
      const pairs = mavenPairs(3000);
      const verdicts = mavenVerdicts(pairs);
      assert.equal(verdicts.length, pairs.length);
      const differ = pairs.filter(([a, b], i) => Math.sign(compareMaven(a, b)) !== verdicts[i]);
      assert.deepEqual(
        differ.slice(0, 10),
        [],
        `${differ.length} of ${pairs.length} pairs ordered otherwise`,
      );
    },
  );
  it("orders the POM reference's examples (Version Order Specification) as OSV does", () => {
    // https://maven.apache.org/pom.html#version-order-specification (the list as corrected to
    // match ComparableVersion, maven-site PR 707). One deliberate difference: the reference (and
    // Maven 3.8.7) has 1.foo = 1-foo, while OSV's implementations (osv.dev maven.py,
    // osv-scalibr) put '.qualifier' before '-qualifier', so 1.foo < 1-foo here.
    checkTable(
      compareMaven,
      cases(`
        1 < 1.1
        1-snapshot < 1
        1 < 1-sp
        1-foo2 < 1-foo10
        1.foo < 1-foo
        1-foo < 1-1
        1-1 < 1.1
        1.ga = 1-ga
        1-ga = 1-0
        1-0 = 1.0
        1.0 = 1
        1-sp > 1-ga
        1-sp.1 > 1-ga.1
        1-sp-1 < 1-ga-1
        1-a1 = 1-alpha-1
        1 < 1.sp
      `),
    );
  });
  it('orders versions as Maven Central publishes them', () => {
    checkTable(
      compareMaven,
      cases(`
        2.14.1 < 2.15.0
        2.0-alpha1 < 2.0-beta9
        2.0-beta9 < 2.0-rc1
        2.0-rc1 < 2.0
        5.2.2.RELEASE = 5.2.2
        5.3.18 < 5.3.20
        6.0.0-M3 < 6.0.0-RC1
        6.0.0-RC1 < 6.0.0
        1.0.0.Final = 1.0.0
        31.1-android < 31.1-jre
        31.1-jre > 31.0.1-jre
        9.4.36.v20210114 < 9.4.37.v20210219
        2.9.10.8 > 2.9.10
        1.7.29 < 1.7.30
      `),
    );
  });
  it('never throws: any string is a Maven version', () => {
    assert.equal(Math.sign(compareMaven('', '0')), 0);
    assert.equal(Math.sign(compareMaven('x', '1')), -1);
  });
});
