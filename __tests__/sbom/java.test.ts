/**
 * The Java archive cataloger against syft's expectations: archives equivalent to the fixtures of
 * syft's `syft/pkg/cataloger/java` tests (anchore/syft@bf82010f), built here with fflate since
 * syft's fixtures are built by its Makefiles; each case names the syft test it follows. Then what
 * a hostile archive must not do (lying sizes, bombs, deep nesting, corruption), the formats and
 * an image, and the jars Debian installs in /usr/share/java against their own pom.properties.
 */
import assert from 'node:assert/strict';
import { readdirSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { PackageURL } from 'packageurl-js';
import type { Logger } from '@release-actions/shared';
import {
  generateSbom,
  javaArchiveCataloger,
  javaArchiveCatalogerWith,
  javaPurl,
  parseArchiveFilename,
  parseJavaManifest,
  parsePomProperties,
  parsePomXml,
  pomCoordinates,
  pomLicenses,
  readZipDirectory,
  readZipEntry,
  resolvePomValue,
  type Cataloger,
  type FileRecord,
  type Package,
  type Relationship,
} from '@release-actions/shared/sbom';
import { toOsvPackage } from '@release-actions/shared/scan';
import { makeImage, push, tempLayout } from '../images.ts';
import { assertOfficialSpdx, cdxValidator, spdxValidator } from './schemas.ts';
import { skipIf } from '../jest-helpers.ts';

// ---------------------------------------------------------------------------------------------
// Archive builders

type Tree = Record<string, string | Uint8Array | { stored: Uint8Array }>;

/** A zip of `tree` (strings as UTF-8); `{ stored }` entries are not compressed (Spring Boot's nested jars). */
function zip(tree: Tree): Buffer {
  const input: Zippable = {};
  for (const [name, value] of Object.entries(tree)) {
    if (typeof value === 'string') input[name] = [Buffer.from(value), { level: 6 }];
    else if (value instanceof Uint8Array) input[name] = [value, { level: 6 }];
    else input[name] = [value.stored, { level: 0 }];
  }
  return Buffer.from(zipSync(input, { mtime: new Date('2024-01-01T00:00:00Z') }));
}

/** A MANIFEST.MF as the JDK writes it: CRLF, lines of at most 72 bytes continued with a space. */
function manifest(...sections: Array<Array<[string, string]>>): string {
  const wrap = (text: string): string => {
    const out = [text.slice(0, 72)];
    for (let i = 72; i < text.length; i += 71) out.push(` ${text.slice(i, i + 71)}`);
    return out.join('\r\n');
  };
  return sections.map((s) => s.map(([k, v]) => `${wrap(`${k}: ${v}`)}\r\n`).join('')).join('\r\n') + '\r\n';
}

function pomProperties(groupId: string, artifactId: string, version: string): string {
  return `#Created by Apache Maven 3.8.6\nversion=${version}\ngroupId=${groupId}\nartifactId=${artifactId}\n`;
}

function pomXml(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <modelVersion>4.0.0</modelVersion>
${body}
</project>
`;
}

const APACHE2 = `<licenses>
    <license>
      <name>Apache 2</name>
      <url>http://www.apache.org/licenses/LICENSE-2.0.txt</url>
      <distribution>repo</distribution>
    </license>
  </licenses>`;

/** joda-time as the example apps of syft's java-builds bundle it (pom.properties and pom.xml). */
function jodaTime(version: string): Tree {
  const dir = 'META-INF/maven/joda-time/joda-time';
  return {
    [`${dir}/pom.properties`]: pomProperties('joda-time', 'joda-time', version),
    [`${dir}/pom.xml`]: pomXml(`  <groupId>joda-time</groupId>
  <artifactId>joda-time</artifactId>
  <packaging>jar</packaging>
  <name>Joda-Time</name>
  <version>${version}</version>
  <description>Date and time library to replace JDK date handling</description>
  ${APACHE2}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Running the cataloger

interface Run {
  packages: Package[];
  relationships: Relationship[];
  warnings: string[];
}

function run(files: Record<string, Buffer>, cataloger: Cataloger = javaArchiveCataloger): Run {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warning: (m) => warnings.push(m) };
  const records: FileRecord[] = Object.entries(files).map(([path, content]) => ({ path, content }));
  return { ...cataloger.catalog(records, { logger }), warnings };
}

const line = (p: Package): string => `${p.type} ${p.name}@${p.version} ${p.purl ?? '-'}`;
const lines = (r: Run): string[] => r.packages.map(line).sort();
function edges(r: Run): string[] {
  const name = new Map(r.packages.map((p) => [p.id, `${p.name}@${p.version}`]));
  return r.relationships.map((e) => `${name.get(e.from)} -> ${name.get(e.to)}`).sort();
}
const byName = (r: Run, name: string): Package => {
  const p = r.packages.find((x) => x.name === name);
  assert.ok(p, `no package ${name} in ${lines(r).join(', ')}`);
  return p;
};

// ---------------------------------------------------------------------------------------------

describe('Java archive file names (syft archive_filename_test.go)', () => {
  it('splits name and version as syft does', () => {
    const cases: Array<[string, string, string]> = [
      ['pkg-maven-4.3.2.blerg', 'pkg-maven', '4.3.2'],
      ['pkg-maven.4.3.2.blerg', 'pkg-maven', '4.3.2'],
      ['pkg-maven_4.3.2.blerg', 'pkg-maven', '4.3.2'],
      ['pkg-maven-4.3.2.jar', 'pkg-maven', '4.3.2'],
      ['pkg-extra-field-maven-4.3.2.war', 'pkg-extra-field-maven', '4.3.2'],
      ['liferay-package.lpkg', 'liferay-package', ''],
      ['pkg-extra-field-maven-4.3.2-rc1.ear', 'pkg-extra-field-maven', '4.3.2-rc1'],
      ['/some/path/pkg-extra-field-maven-4.3.2-rc1.jpi', 'pkg-extra-field-maven', '4.3.2-rc1'],
      [
        '/some/path-with-version-5.4.3/pkg-extra-field-maven-4.3.2-rc1.hpi',
        'pkg-extra-field-maven',
        '4.3.2-rc1',
      ],
      [
        '/some/path-with-version-5.4.3/wagon-webdav-1.0.2-beta-2.2.3a-hudson.jar',
        'wagon-webdav',
        '1.0.2-beta-2.2.3a-hudson',
      ],
      ['/some/path-with-version-5.4.3/windows-remote-command-1.0.jar', 'windows-remote-command', '1.0'],
      [
        '/some/path-with-version-5.4.3/wagon-http-lightweight-1.0.5-beta-2.jar',
        'wagon-http-lightweight',
        '1.0.5-beta-2',
      ],
      [
        '/hudson.war:WEB-INF/lib/commons-jelly-1.1-hudson-20100305.jar',
        'commons-jelly',
        '1.1-hudson-20100305',
      ],
      ['/hudson.war:WEB-INF/lib/jtidy-4aug2000r7-dev-hudson-1.jar', 'jtidy', '4aug2000r7-dev-hudson-1'],
      ['/hudson.war:WEB-INF/lib/trilead-ssh2-build212-hudson-5.jar', 'trilead-ssh2', 'build212-hudson-5'],
      ['/hudson.war:WEB-INF/lib/guava-r06.jar', 'guava', 'r06'],
      ['BOOT-INF/lib/spring-data-r2dbc-1.1.0.RELEASE.jar', 'spring-data-r2dbc', '1.1.0.RELEASE'],
      ['jboss-saaj-api_1.4_spec-1.0.2.Final.jar', 'jboss-saaj-api_1.4_spec', '1.0.2.Final'],
      ['/usr/share/java/gradle/lib/gradle-build-cache-8.1.1.jar', 'gradle-build-cache', '8.1.1'],
      ['pkg-extra-field-maven-4.3.2-rc1.rar', 'pkg-extra-field-maven', '4.3.2-rc1'],
      // the pattern's own documented examples
      ['my-http2-server-5.jar', 'my-http2-server', '5'],
      ['jetpack-build235-rc5.jar', 'jetpack', 'build235-rc5'],
      // names the pattern rejects are empty (a leading digit, other characters)
      ['1password-1.0.jar', '', ''],
      ['a+b-1.0.jar', '', ''],
    ];
    for (const [file, name, version] of cases) {
      const got = parseArchiveFilename(file);
      assert.deepEqual([got.name, got.version], [name, version], file);
    }
  });
  it('is linear in the length of hostile names (no backtracking)', () => {
    const start = performance.now();
    parseArchiveFilename(`${'a-'.repeat(50_000)}!.jar`);
    parseArchiveFilename(`${'a.'.repeat(50_000)}-.jar`);
    assert.ok(performance.now() - start < 2000);
  });
});

describe('MANIFEST.MF (syft parse_java_manifest_test.go fixtures)', () => {
  it('reads sections, continuations and junk as syft does', () => {
    // testdata/manifest/extra-empty-lines
    const m = parseJavaManifest(
      'Manifest-Version: 1.0\nArchiver-Version: Plexus Archiver\nCreated-By: Apache Maven 3.6.3\n\n\n' +
        'Name: thing-1\nBuilt-By: ?\n\n.\n\nName: thing-2\nBuilt-By: someone!\n\n\n :\n\nOther: things\njunk\n\n:\n\nLast: item',
    )!;
    assert.deepEqual(m.main, [
      { key: 'Manifest-Version', value: '1.0' },
      { key: 'Archiver-Version', value: 'Plexus Archiver' },
      { key: 'Created-By', value: 'Apache Maven 3.6.3' },
    ]);
    assert.deepEqual(
      m.sections.map((s) => s.map((e) => `${e.key}=${e.value}`)),
      [
        ['Name=thing-1', 'Built-By=?'],
        ['Name=thing-2', 'Built-By=someone!'],
        ['Other=things'],
        ['Last=item'],
      ],
    );
    // testdata/manifest/continuation (72-byte lines, CRLF as jar writes them)
    const url = 'https://github.com/jenkinsci/plugin-pom/example-jenkins-plugin';
    const c = parseJavaManifest(
      manifest([
        ['Manifest-Version', '1.0'],
        ['Plugin-ScmUrl', url],
      ]),
    )!;
    assert.deepEqual(c.main.at(-1), { key: 'Plugin-ScmUrl', value: url });
    // testdata/manifest/leading-space: a continuation's leading white space is trimmed, as syft trims it
    const l = parseJavaManifest(
      'Key-keykeykey: initialconfig:com\ncontinue line1,$\ncontinue line1,$\n    $    # aka not empty line\nshould: parse',
    )!;
    assert.deepEqual(l.main, [
      { key: 'Key-keykeykey', value: 'initialconfig:com$    # aka not empty line' },
      { key: 'should', value: 'parse' },
    ]);
    // testdata/manifest/version-with-date
    assert.equal(
      parseJavaManifest('Manifest-Version: 1.0\nImplementation-Version: 1.3 2244 October 5 2005\n')!.main[1]!
        .value,
      '1.3 2244 October 5 2005',
    );
  });
  it('reads pom.properties as syft does (comments, `:` or `=`, keys in any case)', () => {
    assert.deepEqual(parsePomProperties('p', '#c\n  # c\nGroupId : g\nartifactId=a\nversion=1=2\n'), {
      path: 'p',
      groupId: 'g',
      artifactId: 'a',
      version: '1=2',
      name: '',
    });
    assert.equal(parsePomProperties('p', 'version=1\nnot a property line\n'), undefined);
  });
});

describe('pom.xml without the network (syft internal/maven resolver)', () => {
  it('resolves project fields and the pom’s own properties; a parent’s property empties the value', () => {
    const pom = parsePomXml(
      'META-INF/maven/g/a/pom.xml',
      Buffer.from(
        pomXml(`  <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>7</version></parent>
  <artifactId>a-${'${suffix}'}</artifactId>
  <name>A &amp; B</name>
  <properties><suffix>core</suffix><loop>${'${loop}'}</loop></properties>
  <licenses><license><name>${'${license.name}'}</name></license><license><url>https://x/LICENSE</url></license></licenses>`),
      ),
    )!;
    assert.deepEqual(pomCoordinates(pom), {
      groupId: 'org.example',
      artifactId: 'a-core',
      version: '7',
      parent: { groupId: 'org.example', artifactId: 'parent', version: '7' },
    });
    assert.equal(pom.name, 'A & B');
    assert.equal(resolvePomValue(pom, '${project.version}'), '7');
    assert.equal(resolvePomValue(pom, '${project.parent.artifactId}'), 'parent');
    assert.equal(resolvePomValue(pom, 'x-${loop}'), '');
    assert.equal(resolvePomValue(pom, '${commons.release.version}'), '');
    assert.deepEqual(pomLicenses(pom), ['https://x/LICENSE']);
    assert.equal(parsePomXml('x', Buffer.from('<settings><a/></settings>')), undefined);
    assert.equal(parsePomXml('x', Buffer.from('<project><a></project>')), undefined);
  });
  it('reads a pom in the encoding its declaration names', () => {
    const latin1 = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><project><artifactId>caf\xe9</artifactId></project>',
      'latin1',
    );
    assert.equal(parsePomXml('x', latin1)!.artifactId, 'café');
  });
});

describe('purls of Java packages (syft package_url_test.go)', () => {
  const props = (groupId: string) => ({
    path: 'p',
    groupId,
    artifactId: 'example-java-app-maven',
    version: '0.1.0',
    name: '',
  });
  it('takes the group id from pom.properties, the pom, the Gradle-built families, then the manifest, else the name', () => {
    const base = { name: 'example-java-app-maven', version: '0.1.0' };
    assert.equal(
      javaPurl({ ...base, pomProperties: props('org.anchore') }),
      'pkg:maven/org.anchore/example-java-app-maven@0.1.0',
    );
    assert.equal(
      javaPurl({ ...base, pomProperties: props('commons') }),
      'pkg:maven/commons/example-java-app-maven@0.1.0',
    );
    assert.equal(
      javaPurl({
        ...base,
        pomProperties: props(''),
        pomProject: { groupId: 'commons', artifactId: '', version: '' },
      }),
      'pkg:maven/commons/example-java-app-maven@0.1.0',
    );
    assert.equal(
      javaPurl({
        ...base,
        pomProperties: props(''),
        pomProject: {
          groupId: '',
          artifactId: '',
          version: '',
          parent: { groupId: 'parent', artifactId: '', version: '' },
        },
      }),
      'pkg:maven/parent/example-java-app-maven@0.1.0',
    );
    // Gradle-built jars of well-known families carry no pom.properties and no group in the manifest
    for (const [name, group] of [
      ['spring-core', 'org.springframework'],
      ['spring-boot-autoconfigure', 'org.springframework.boot'],
      ['spring-boot', 'org.springframework.boot'],
      ['spring-security-web', 'org.springframework.security'],
      ['spring-data-commons', 'org.springframework.data'],
      ['kotlin-stdlib-jdk8', 'org.jetbrains.kotlin'],
      ['okhttp', 'com.squareup.okhttp3'],
      ['reactor-netty-http', 'io.projectreactor.netty'],
    ])
      assert.equal(javaPurl({ name: name!, version: '1' }), `pkg:maven/${group}/${name}@1`);
    // …but only those: a prefix without its dash is no family
    assert.equal(
      javaPurl({ name: 'kotlin-logging', version: '1' }),
      'pkg:maven/kotlin-logging/kotlin-logging@1',
    );
    assert.equal(
      javaPurl({ name: 'springfox-core', version: '1' }),
      'pkg:maven/springfox-core/springfox-core@1',
    );
    // Test_groupIDFromJavaMetadata: the manifest
    assert.equal(
      javaPurl({
        name: 'x',
        version: '1',
        manifest: { main: [{ key: 'Implementation-Vendor', value: 'org.anchore' }], sections: [] },
      }),
      'pkg:maven/org.anchore/x@1',
    );
    assert.equal(javaPurl({ name: 'x', version: '1' }), 'pkg:maven/x/x@1');
    // cpegenerate: the manifest candidates are sorted, OSGi directives dropped
    assert.equal(
      javaPurl({
        name: 'lz4-java',
        version: '1.8.0',
        manifest: {
          main: [
            { key: 'Bundle-SymbolicName', value: 'org.lz4.java;singleton:=true' },
            { key: 'Implementation-Title', value: 'lz4-java' },
          ],
          sections: [],
        },
      }),
      'pkg:maven/org.lz4.java/lz4-java@1.8.0',
    );
  });
});

describe('java-archive-cataloger (syft archive_parser_test.go)', () => {
  it('a Maven jar: its own pom.properties and a bundled one (TestParseJar example-java-app-maven)', () => {
    const r = run({
      '/app/example-java-app-maven-0.1.0.jar': zip({
        'META-INF/MANIFEST.MF': manifest([
          ['Manifest-Version', '1.0'],
          ['Archiver-Version', 'Plexus Archiver'],
          ['Created-By', 'Apache Maven 3.8.6'],
          ['Main-Class', 'hello.HelloWorld'],
        ]),
        'META-INF/maven/org.anchore/example-java-app-maven/pom.properties': pomProperties(
          'org.anchore',
          'example-java-app-maven',
          '0.1.0',
        ),
        'META-INF/maven/org.anchore/example-java-app-maven/pom.xml': pomXml(
          '<groupId>org.anchore</groupId><artifactId>example-java-app-maven</artifactId><version>0.1.0</version>',
        ),
        ...jodaTime('2.9.2'),
        'hello/HelloWorld.class': new Uint8Array([0xca, 0xfe, 0xba, 0xbe]),
      }),
    });
    assert.deepEqual(lines(r), [
      'java-archive example-java-app-maven@0.1.0 pkg:maven/org.anchore/example-java-app-maven@0.1.0',
      'java-archive joda-time@2.9.2 pkg:maven/joda-time/joda-time@2.9.2',
    ]);
    const joda = byName(r, 'joda-time');
    assert.deepEqual(joda.licenses, ['Apache 2']);
    assert.equal(joda.metadata?.virtualPath, '/app/example-java-app-maven-0.1.0.jar:joda-time:joda-time');
    assert.deepEqual(joda.locations, [{ path: '/app/example-java-app-maven-0.1.0.jar' }]);
    assert.equal(joda.foundBy, 'java-archive-cataloger');
    assert.deepEqual(edges(r), ['example-java-app-maven@0.1.0 -> joda-time@2.9.2']);
    assert.deepEqual(r.warnings, []);
  });

  it('a Gradle jar with only a manifest: name and version from the file name (example-java-app-gradle)', () => {
    const r = run({
      '/example-java-app-gradle-0.1.0.jar': zip({
        'META-INF/MANIFEST.MF': manifest([
          ['Manifest-Version', '1.0'],
          ['Main-Class', 'hello.HelloWorld'],
        ]),
        ...jodaTime('2.2'),
      }),
      // example-zap-addon: the same jar as a ZAP add-on
      '/example-zap-addon-0.1.0.zap': zip({
        'META-INF/MANIFEST.MF': manifest([['Manifest-Version', '1.0']]),
      }),
    });
    assert.deepEqual(lines(r), [
      'java-archive example-java-app-gradle@0.1.0 pkg:maven/example-java-app-gradle/example-java-app-gradle@0.1.0',
      'java-archive example-zap-addon@0.1.0 pkg:maven/example-zap-addon/example-zap-addon@0.1.0',
      'java-archive joda-time@2.2 pkg:maven/joda-time/joda-time@2.2',
    ]);
    // syft's Apache-2.0 for the app comes from the LICENSE file's text, which is not read here.
    assert.deepEqual(byName(r, 'example-java-app-gradle').licenses, []);
  });

  it('a Jenkins plugin (example-jenkins-plugin.hpi, and gradle.hpi with only a manifest)', () => {
    const r = run({
      '/plugins/example-jenkins-plugin.hpi': zip({
        'META-INF/MANIFEST.MF': manifest([
          ['Manifest-Version', '1.0'],
          ['Created-By', 'Maven Archiver 3.6.0'],
          ['Specification-Title', 'Example Jenkins Plugin'],
          ['Specification-Version', '1.0'],
          ['Implementation-Title', 'Example Jenkins Plugin'],
          ['Implementation-Version', '1.0-SNAPSHOT'],
          ['Group-Id', 'io.jenkins.plugins'],
          ['Short-Name', 'example-jenkins-plugin'],
          ['Long-Name', 'Example Jenkins Plugin'],
          ['Plugin-License-Name', 'MIT License'],
          ['Plugin-License-Url', 'https://opensource.org/licenses/MIT'],
          ['Plugin-ScmUrl', 'https://github.com/jenkinsci/plugin-pom/example-jenkins-plugin'],
        ]),
        'META-INF/maven/io.jenkins.plugins/example-jenkins-plugin/pom.properties': pomProperties(
          'io.jenkins.plugins',
          'example-jenkins-plugin',
          '1.0-SNAPSHOT',
        ),
        'META-INF/maven/io.jenkins.plugins/example-jenkins-plugin/pom.xml': pomXml(`
  <parent><groupId>org.jenkins-ci.plugins</groupId><artifactId>plugin</artifactId><version>4.46</version></parent>
  <groupId>io.jenkins.plugins</groupId><artifactId>example-jenkins-plugin</artifactId><version>1.0-SNAPSHOT</version>
  <name>Example Jenkins Plugin</name>`),
      }),
      // Test_parseJavaArchive_regressions "Jenkins plugins assigned jenkins-plugin package type"
      '/plugins/gradle.hpi': zip({
        'META-INF/MANIFEST.MF': manifest([
          ['Manifest-Version', '1.0'],
          ['Plugin-Dependencies', 'maven-plugin:3.14;resolution:=optional...snip'],
          ['Group-Id', 'org.jenkins-ci.plugins'],
          ['Minimum-Java-Version', '1.8'],
          ['Short-Name', 'gradle'],
          ['Extension-Name', 'gradle'],
          ['Long-Name', 'Gradle Plugin'],
          ['Jenkins-Version', '2.303.3'],
          ['Url', 'https://github.com/jenkinsci/gradle-plugin'],
          ['Compatible-Since-Version', '1.0'],
          ['Plugin-Version', '2.11'],
          ['Plugin-Developers', 'Stefan Wolf:wolfs:'],
        ]),
      }),
    });
    assert.deepEqual(lines(r), [
      'jenkins-plugin example-jenkins-plugin@1.0-SNAPSHOT pkg:maven/io.jenkins.plugins/example-jenkins-plugin@1.0-SNAPSHOT',
      'jenkins-plugin gradle@2.11 pkg:maven/org.jenkins-ci.plugins/gradle@2.11',
    ]);
    assert.deepEqual(byName(r, 'example-jenkins-plugin').licenses, ['MIT License']);
    assert.deepEqual(r.relationships, []);
  });

  it('a Maven Bundle Plugin jar with a pom.xml but no pom.properties (duplicate jar regression, issue #2130)', () => {
    const tree: Tree = {
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Bundle-License', 'https://www.apache.org/licenses/LICENSE-2.0.txt'],
        ['Bundle-SymbolicName', 'com.fasterxml.jackson.core.jackson-core'],
        ['Implementation-Vendor-Id', 'com.fasterxml.jackson.core'],
        ['Specification-Title', 'Jackson-core'],
        ['Bundle-Name', 'Jackson-core'],
        ['Implementation-Title', 'Jackson-core'],
        ['Implementation-Version', '2.15.2'],
        ['Specification-Vendor', 'FasterXML'],
        ['Bundle-Vendor', 'FasterXML'],
        ['Implementation-Vendor', 'FasterXML'],
        ['Bundle-Version', '2.15.2'],
        ['Created-By', 'Apache Maven Bundle Plugin 5.1.8'],
        ['Specification-Version', '2.15.2'],
      ]),
      'META-INF/maven/com.fasterxml.jackson.core/jackson-core/pom.xml': pomXml(`
  <parent><groupId>com.fasterxml.jackson</groupId><artifactId>jackson-base</artifactId><version>2.15.2</version></parent>
  <groupId>com.fasterxml.jackson.core</groupId>
  <artifactId>jackson-core</artifactId>
  <name>Jackson-core</name>
  <version>2.15.2</version>
  <licenses><license><name>The Apache Software License, Version 2.0</name></license></licenses>
  <properties><packageVersion.package>${'${project.groupId}'}.json</packageVersion.package></properties>`),
    };
    const r = run({
      '/x/jackson-core-2.15.2.jar': zip(tree),
      '/x/com.fasterxml.jackson.core.jackson-core-2.15.2.jar': zip(tree),
    });
    assert.deepEqual(lines(r), [
      'java-archive jackson-core@2.15.2 pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2',
      'java-archive jackson-core@2.15.2 pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2',
    ]);
    // The manifest's license wins over the pom's.
    for (const p of r.packages)
      assert.deepEqual(p.licenses, ['https://www.apache.org/licenses/LICENSE-2.0.txt']);
  });

  it('a pom.xml only, name from the pom (micronaut-aop) or a version left to the file name (commons-lang3)', () => {
    const r = run({
      '/micronaut-aop-4.9.11.jar': zip({
        'META-INF/MANIFEST.MF': manifest([
          ['Manifest-Version', '1.0'],
          ['Automatic-Module-Name', 'io.micronaut.micronaut_aop'],
          ['Implementation-Version', '4.9.11'],
          ['Implementation-Title', 'Micronaut Core'],
        ]),
        'META-INF/maven/io.micronaut/micronaut-aop/pom.xml': pomXml(`
  <groupId>io.micronaut</groupId><artifactId>micronaut-aop</artifactId><version>4.9.11</version>
  <name>Micronaut Core</name>`),
      }),
      // Test_jarPomPropertyResolutionDoesNotPanic: the version is a parent pom's property
      '/commons-lang3-3.12.0.jar': zip({
        'META-INF/MANIFEST.MF': manifest([['Manifest-Version', '1.0']]),
        'META-INF/maven/org.apache.commons-lang3/pom.xml': pomXml(`
  <parent><groupId>org.apache.commons</groupId><artifactId>commons-parent</artifactId><version>54</version></parent>
  <groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId>
  <version>${'${commons.release.version}'}</version>
  <licenses><license><name>Eclipse Public License v2.0</name><url>https://www.eclipse.org/legal/epl-v20.html</url></license></licenses>`),
      }),
    });
    assert.deepEqual(lines(r), [
      'java-archive commons-lang3@3.12.0 pkg:maven/org.apache.commons/commons-lang3@3.12.0',
      'java-archive micronaut-aop@4.9.11 pkg:maven/io.micronaut/micronaut-aop@4.9.11',
    ]);
    assert.deepEqual(byName(r, 'commons-lang3').licenses, ['Eclipse Public License v2.0']);
  });

  it('several pom.properties: the archive’s own is chosen, the others are bundled (api-all, PR 2231)', () => {
    const dir = 'META-INF/maven/org.apache.directory.api';
    const r = run({
      '/cache/api-all-2.0.0-sources.jar': zip({
        'META-INF/MANIFEST.MF': manifest([
          ['Manifest-Version', '1.0'],
          ['Built-By', 'elecharny'],
          ['Created-By', 'Apache Maven 3.6.0'],
          ['Build-Jdk', '1.8.0_191'],
        ]),
        [`${dir}/api-all/pom.properties`]: pomProperties('org.apache.directory.api', 'api-all', '2.0.0'),
        [`${dir}/api-all/pom.xml`]: pomXml(`
  <parent><groupId>org.apache.directory.api</groupId><artifactId>api-parent</artifactId><version>2.0.0</version></parent>
  <artifactId>api-all</artifactId><name>Apache Directory API All</name>`),
        [`${dir}/api-asn1-api/pom.properties`]: pomProperties(
          'org.apache.directory.api',
          'api-asn1-api',
          '2.0.0',
        ),
        [`${dir}/api-asn1-api/pom.xml`]: pomXml(`
  <parent><groupId>org.apache.directory.api</groupId><artifactId>api-asn1-parent</artifactId><version>2.0.0</version></parent>
  <artifactId>api-asn1-api</artifactId><name>Apache Directory API ASN.1 API</name>`),
      }),
    });
    assert.deepEqual(lines(r), [
      'java-archive api-all@2.0.0 pkg:maven/org.apache.directory.api/api-all@2.0.0',
      'java-archive api-asn1-api@2.0.0 pkg:maven/org.apache.directory.api/api-asn1-api@2.0.0',
    ]);
    assert.deepEqual(edges(r), ['api-all@2.0.0 -> api-asn1-api@2.0.0']);
    assert.equal(
      byName(r, 'api-asn1-api').metadata?.virtualPath,
      '/cache/api-all-2.0.0-sources.jar:org.apache.directory.api:api-asn1-api',
    );
  });

  it('picks the same pom.properties every time (Test_deterministicMatchingPomProperties)', () => {
    const props = (g: string, a: string, v: string, xml = true): Tree => ({
      [`META-INF/maven/${g}/${a}/pom.properties`]: pomProperties(g, a, v),
      ...(xml && {
        [`META-INF/maven/${g}/${a}/pom.xml`]: pomXml(`<groupId>${g}</groupId><artifactId>${a}</artifactId>`),
      }),
    });
    const mf = {
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Created-By', 'Multi'],
      ]),
    };
    const multiple = run({
      '/multiple-matching-2.11.5.jar': zip({
        ...mf,
        ...props('org.multiple', 'multiple-matching-3', '2.11.5'),
        ...props('org.multiple', 'multiple-matching-1', '2.11.5'),
        ...props('org.multiple', 'multiple-matching-2', '2.11.5'),
      }),
    });
    const main = multiple.packages.find((p) => p.metadata?.virtualPath === '/multiple-matching-2.11.5.jar')!;
    assert.equal(main.purl, 'pkg:maven/org.multiple/multiple-matching-1@2.11.5');
    assert.deepEqual(lines(multiple), [
      'java-archive multiple-matching-1@2.11.5 pkg:maven/org.multiple/multiple-matching-1@2.11.5',
      'java-archive multiple-matching-2@2.11.5 pkg:maven/org.multiple/multiple-matching-2@2.11.5',
      'java-archive multiple-matching-3@2.11.5 pkg:maven/org.multiple/multiple-matching-3@2.11.5',
    ]);
    // org.multiple's pom.xml is the archive's (the file name holds its group id), but the first
    // pom.properties by path with the same artifactId is merged into the archive's package, and
    // its group id (com.multiple) then names the purl, as syft's updateParentPackage does.
    for (const order of [
      ['com.multiple', 'org.multiple'],
      ['org.multiple', 'com.multiple'],
    ]) {
      const thename = run({
        '/org.multiple-thename.jar': zip({
          ...mf,
          ...Object.assign({}, ...order.map((g) => props(g, 'thename', '10.11.12'))),
        }),
      });
      assert.deepEqual(lines(thename), [
        'java-archive thename@10.11.12 pkg:maven/com.multiple/thename@10.11.12',
      ]);
    }
  });

  it('leaves out instrumentation jars (Weave-Classes) and archives without a manifest', () => {
    const r = run({
      // testdata/jar-metadata/spring-instrumentation-4.3.0-1.0 (continuation lines as in the fixture)
      '/spring-instrumentation-4.3.0-1.0.jar': zip({
        'META-INF/MANIFEST.MF':
          'Manifest-Version: 1.0\nImplementation-Title: com.newrelic.instrumentation.spring-4.3.0\n' +
          'Implementation-Version: 1.0\nWeave-Violation-Filter: METHOD_MISSING_REQUIRED_ANNOTATIONS,CLASS_MISS\n' +
          ' ING_REQUIRED_ANNOTATIONS\nWeave-Classes: org/springframework/web/bind/annotation/GetMapping,org/\n' +
          ' springframework/web/servlet/mvc/method/AbstractHandlerMethodAdapter\nImplementation-Vendor: New Relic\n',
      }),
      // no manifest: syft identifies no package, even with a pom.properties
      '/no-manifest-1.0.jar': zip({
        'META-INF/maven/g/no-manifest/pom.properties': pomProperties('g', 'no-manifest', '1.0'),
      }),
    });
    assert.deepEqual(r.packages, []);
    assert.deepEqual(r.warnings, []);
  });

  it('a Spring Boot jar: nested jars in BOOT-INF/lib, stored, each a package the app depends on (TestParseNestedJar)', () => {
    const springCore = zip({
      // Gradle-built, no pom: the group id comes from syft's list of known artifact ids
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Implementation-Title', 'spring-core'],
        ['Implementation-Version', '5.2.2.RELEASE'],
        ['Automatic-Module-Name', 'spring.core'],
      ]),
    });
    const jackson = zip({
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Bundle-License', 'http://www.apache.org/licenses/LICENSE-2.0.txt'],
        ['Bundle-SymbolicName', 'com.fasterxml.jackson.core.jackson-core'],
        ['Created-By', 'Apache Maven Bundle Plugin'],
      ]),
      'META-INF/maven/com.fasterxml.jackson.core/jackson-core/pom.properties': pomProperties(
        'com.fasterxml.jackson.core',
        'jackson-core',
        '2.10.1',
      ),
    });
    // micrometer-core shades pcollections: its pom.properties makes a package micrometer depends on
    const micrometer = zip({
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Implementation-Title', 'io.micrometer#micrometer-core;1.3.1'],
        ['Implementation-Version', '1.3.1'],
      ]),
      'META-INF/maven/org.pcollections/pcollections/pom.properties': pomProperties(
        'org.pcollections',
        'pcollections',
        '3.1.0',
      ),
    });
    const app = zip({
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Main-Class', 'org.springframework.boot.loader.JarLauncher'],
        ['Start-Class', 'com.example.springboot.Application'],
        ['Spring-Boot-Version', '2.2.2.RELEASE'],
        ['Spring-Boot-Classes', 'BOOT-INF/classes/'],
        ['Spring-Boot-Lib', 'BOOT-INF/lib/'],
      ]),
      'META-INF/maven/com.example/spring-boot/pom.properties': pomProperties(
        'com.example',
        'spring-boot',
        '0.0.1-SNAPSHOT',
      ),
      'BOOT-INF/classes/com/example/springboot/Application.class': new Uint8Array([0xca, 0xfe]),
      'BOOT-INF/lib/spring-core-5.2.2.RELEASE.jar': { stored: springCore },
      'BOOT-INF/lib/jackson-core-2.10.1.jar': { stored: jackson },
      'BOOT-INF/lib/micrometer-core-1.3.1.jar': { stored: micrometer },
    });
    // A fully executable Spring Boot jar starts with a launch script.
    const executable = Buffer.concat([
      Buffer.from('#!/bin/bash\n# launch script\nexec java -jar "$0" "$@"\n'),
      app,
    ]);
    const r = run({ '/app/spring-boot-0.0.1-SNAPSHOT.jar': executable });
    assert.deepEqual(lines(r), [
      'java-archive jackson-core@2.10.1 pkg:maven/com.fasterxml.jackson.core/jackson-core@2.10.1',
      'java-archive micrometer-core@1.3.1 pkg:maven/io.micrometer/micrometer-core@1.3.1',
      'java-archive pcollections@3.1.0 pkg:maven/org.pcollections/pcollections@3.1.0',
      'java-archive spring-boot@0.0.1-SNAPSHOT pkg:maven/com.example/spring-boot@0.0.1-SNAPSHOT',
      'java-archive spring-core@5.2.2.RELEASE pkg:maven/org.springframework/spring-core@5.2.2.RELEASE',
    ]);
    assert.deepEqual(edges(r), [
      'micrometer-core@1.3.1 -> pcollections@3.1.0',
      'spring-boot@0.0.1-SNAPSHOT -> jackson-core@2.10.1',
      'spring-boot@0.0.1-SNAPSHOT -> micrometer-core@1.3.1',
      'spring-boot@0.0.1-SNAPSHOT -> spring-core@5.2.2.RELEASE',
    ]);
    assert.equal(
      byName(r, 'pcollections').metadata?.virtualPath,
      '/app/spring-boot-0.0.1-SNAPSHOT.jar:BOOT-INF/lib/micrometer-core-1.3.1.jar:org.pcollections:pcollections',
    );
    assert.ok(r.packages.every((p) => p.locations[0]!.path === '/app/spring-boot-0.0.1-SNAPSHOT.jar'));
    assert.equal(new Set(r.packages.map((p) => p.id)).size, r.packages.length);
  });

  it('a war holding a Jenkins plugin holding jars, deflated, and the archives inside a plain zip', () => {
    const lib = (name: string, version: string) =>
      zip({
        'META-INF/MANIFEST.MF': manifest([['Manifest-Version', '1.0']]),
        [`META-INF/maven/org.example/${name}/pom.properties`]: pomProperties('org.example', name, version),
      });
    const plugin = zip({
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Group-Id', 'org.jenkins-ci.plugins'],
        ['Short-Name', 'credentials'],
        ['Plugin-Version', '1309.v8835d63eb_d8a_'],
      ]),
      'WEB-INF/lib/credentials.jar': lib('credentials-lib', '1309'),
    });
    const war = zip({
      'META-INF/MANIFEST.MF': manifest([
        ['Manifest-Version', '1.0'],
        ['Implementation-Title', 'Jenkins war'],
        ['Implementation-Version', '2.440.1'],
      ]),
      'META-INF/maven/org.jenkins-ci.main/jenkins-war/pom.properties': pomProperties(
        'org.jenkins-ci.main',
        'jenkins-war',
        '2.440.1',
      ),
      'WEB-INF/lib/commons-io-2.15.1.jar': lib('commons-io', '2.15.1'),
      'WEB-INF/detached-plugins/credentials.hpi': plugin,
    });
    const r = run({
      '/usr/share/jenkins/jenkins.war': war,
      '/opt/dist/bundle.zip': zip({ 'lib/extra-1.0.jar': lib('extra', '1.0'), 'README.txt': 'not java' }),
    });
    assert.deepEqual(lines(r), [
      'java-archive commons-io@2.15.1 pkg:maven/org.example/commons-io@2.15.1',
      'java-archive credentials-lib@1309 pkg:maven/org.example/credentials-lib@1309',
      'java-archive extra@1.0 pkg:maven/org.example/extra@1.0',
      'java-archive jenkins-war@2.440.1 pkg:maven/org.jenkins-ci.main/jenkins-war@2.440.1',
      'jenkins-plugin credentials@1309.v8835d63eb_d8a_ pkg:maven/org.jenkins-ci.plugins/credentials@1309.v8835d63eb_d8a_',
    ]);
    assert.deepEqual(edges(r), [
      'credentials@1309.v8835d63eb_d8a_ -> credentials-lib@1309',
      'jenkins-war@2.440.1 -> commons-io@2.15.1',
      'jenkins-war@2.440.1 -> credentials@1309.v8835d63eb_d8a_',
    ]);
    assert.equal(
      byName(r, 'credentials-lib').metadata?.virtualPath,
      '/usr/share/jenkins/jenkins.war:WEB-INF/detached-plugins/credentials.hpi:WEB-INF/lib/credentials.jar',
    );
    assert.deepEqual(byName(r, 'extra').locations, [{ path: '/opt/dist/bundle.zip' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile archives

/** Sets the uncompressed size the central directory (and local header) declares for `name`. */
function declareSize(archive: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(archive);
  const dir = readZipDirectory(out);
  const entry = dir.entries.find((e) => e.name === name)!;
  for (let at = out.length - 22; at >= 0; at--) {
    if (
      out.readUInt32LE(at) === 0x02014b50 &&
      out.toString('utf8', at + 46, at + 46 + out.readUInt16LE(at + 28)) === name
    ) {
      out.writeUInt32LE(size, at + 24);
      break;
    }
  }
  out.writeUInt32LE(size, dir.base + entry.localOffset + 22);
  return out;
}

const app = (extra: Tree = {}): Buffer =>
  zip({
    'META-INF/MANIFEST.MF': manifest([['Manifest-Version', '1.0']]),
    'META-INF/maven/org.example/app/pom.properties': pomProperties('org.example', 'app', '1.0'),
    ...extra,
  });

describe('java-archive-cataloger on hostile archives', () => {
  it('skips a corrupt or truncated archive with a warning naming it', () => {
    const good = app();
    const r = run({
      '/bad/random.jar': Buffer.from('this is not a zip file at all, just text pretending to be one'),
      '/bad/truncated.jar': good.subarray(0, good.length - 30),
      '/bad/flipped.jar': (() => {
        const b = Buffer.from(good);
        const dir = readZipDirectory(b);
        const e = dir.entries.find((x) => x.name === 'META-INF/MANIFEST.MF')!;
        b[dir.base + e.localOffset + 30 + e.name.length + 2]! ^= 0xff; // corrupt the deflate stream
        return b;
      })(),
      '/good/app-1.0.jar': good,
    });
    assert.deepEqual(lines(r), ['java-archive app@1.0 pkg:maven/org.example/app@1.0']);
    assert.equal(r.warnings.length, 3);
    for (const path of ['/bad/random.jar', '/bad/truncated.jar', '/bad/flipped.jar'])
      assert.ok(
        r.warnings.some((w) => w.startsWith(`${path}: not a readable Java archive`)),
        path,
      );
  });

  it('stops an entry that inflates to more than it declares (a zip bomb lying about its size)', () => {
    const bomb = Buffer.alloc(64 * 1024 * 1024); // 64 MiB of zeros deflate to about 64 KiB
    const lying = declareSize(app({ 'BOOT-INF/lib/bomb-1.0.jar': bomb }), 'BOOT-INF/lib/bomb-1.0.jar', 4096);
    const start = performance.now();
    const r = run({ '/app-1.0.jar': lying });
    assert.ok(performance.now() - start < 5000, 'not inflated to its end');
    assert.deepEqual(lines(r), ['java-archive app@1.0 pkg:maven/org.example/app@1.0']);
    assert.equal(r.warnings.length, 1);
    assert.match(
      r.warnings[0]!,
      /^\/app-1\.0\.jar:BOOT-INF\/lib\/bomb-1\.0\.jar: not read \(.*inflates to more than the 4096 bytes it declares\)/,
    );
    // the same lie about a manifest makes the archive unreadable, as a read error does in syft
    const manifestLie = declareSize(app(), 'META-INF/MANIFEST.MF', 3);
    assert.match(run({ '/m.jar': manifestLie }).warnings[0]!, /^\/m\.jar: not a readable Java archive/);
  });

  it('refuses entries declared larger than the limits without inflating them', () => {
    const small = javaArchiveCatalogerWith({ maxNestedSize: 1024 * 1024, maxMetadataSize: 1024 });
    const r = run(
      {
        '/app-1.0.jar': app({
          'WEB-INF/lib/huge-1.0.jar': Buffer.alloc(2 * 1024 * 1024),
          'WEB-INF/lib/app-1.0.jar': app(),
        }),
        '/big-manifest-1.0.jar': zip({
          'META-INF/MANIFEST.MF': `Manifest-Version: 1.0\nX: ${'x'.repeat(4096)}\n`,
        }),
      },
      small,
    );
    // the nested app-1.0.jar is the app again (same coordinates): a second package, at its own virtual path
    assert.deepEqual(lines(r), [
      'java-archive app@1.0 pkg:maven/org.example/app@1.0',
      'java-archive app@1.0 pkg:maven/org.example/app@1.0',
    ]);
    assert.ok(
      r.warnings.some((w) => /huge-1\.0\.jar: not read \(.*declares 2097152 bytes \(limit 1048576\)/.test(w)),
    );
    assert.ok(
      r.warnings.some((w) =>
        /^\/big-manifest-1\.0\.jar: not cataloged \(META-INF\/MANIFEST\.MF declares \d+ bytes \(limit 1024\)\)$/.test(
          w,
        ),
      ),
    );
  });

  it('bounds nesting depth, the bytes read in all, and the number of nested archives', () => {
    // Each level holds the level below twice: 2^12 archives if nothing stopped it.
    let inner = app();
    for (let i = 0; i < 12; i++)
      inner = app({ 'lib/app-1.0.jar': { stored: inner }, 'lib2/app-1.0.jar': { stored: inner } });
    const deep = run({ '/app-1.0.jar': inner }, javaArchiveCatalogerWith({ maxDepth: 3 }));
    assert.equal(deep.packages.length, 1 + 2 + 4 + 8);
    assert.deepEqual(deep.warnings, [
      `/app-1.0.jar${':lib/app-1.0.jar'.repeat(4)}: archives nested more than 3 deep are not cataloged`,
    ]);

    const counted = run({ '/app-1.0.jar': inner }, javaArchiveCatalogerWith({ maxNestedArchives: 5 }));
    assert.equal(counted.packages.length, 1 + 5);
    assert.ok(
      counted.warnings.includes('/app-1.0.jar: more than 5 nested archives; the rest are not cataloged'),
    );

    const budget = run({ '/app-1.0.jar': inner }, javaArchiveCatalogerWith({ maxTotalBytes: 64 * 1024 }));
    assert.equal(budget.packages.length, 1);
    assert.deepEqual(budget.warnings, [
      '/app-1.0.jar:lib/app-1.0.jar: not read (more than 65536 bytes in all would be read)',
      '/app-1.0.jar:lib2/app-1.0.jar: not read (more than 65536 bytes in all would be read)',
    ]);
  });

  it('reads entries only through their declared sizes and CRCs', () => {
    const a = app();
    const dir = readZipDirectory(a);
    const entry = dir.entries.find((e) => e.name === 'META-INF/MANIFEST.MF')!;
    assert.match(readZipEntry(a, dir, entry).toString(), /^Manifest-Version: 1\.0/);
    assert.throws(() => readZipEntry(a, dir, { ...entry, crc: entry.crc ^ 1 }), /CRC-32 mismatch/);
    assert.throws(() => readZipEntry(a, dir, { ...entry, method: 12 }), /compression method 12/);
    assert.throws(() => readZipEntry(a, dir, { ...entry, flags: 1 }), /encrypted/);
  });
});

describe('java-archive-cataloger through generateSbom', () => {
  it('writes Java packages into both documents and the scan maps their purls to Maven', async () => {
    const { mkdtemp, writeFile, mkdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'java-sbom-'));
    try {
      await mkdir(join(dir, 'lib'));
      await writeFile(
        join(dir, 'lib', 'log4j-core-2.14.1.jar'),
        zip({
          'META-INF/MANIFEST.MF': manifest([
            ['Manifest-Version', '1.0'],
            ['Bundle-License', 'https://www.apache.org/licenses/LICENSE-2.0.txt'],
          ]),
          'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties': pomProperties(
            'org.apache.logging.log4j',
            'log4j-core',
            '2.14.1',
          ),
        }),
      );
      const result = await generateSbom({ path: dir, created: new Date(0) });
      console.log(assertOfficialSpdx(result.spdx));
      const validCdx = cdxValidator();
      assert.ok(validCdx(result.cyclonedx), JSON.stringify(validCdx.errors?.slice(0, 3)));
      const validSpdx = spdxValidator();
      assert.ok(validSpdx(result.spdx), JSON.stringify(validSpdx.errors?.slice(0, 3)));
      const log4j = result.packages.find((p) => p.name === 'log4j-core')!;
      assert.equal(log4j.purl, 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1');
      assert.equal(log4j.type, 'java-archive');
      const cdx = result.cyclonedx as { components: Array<{ purl?: string; licenses?: unknown[] }> };
      assert.ok(cdx.components.some((c) => c.purl === log4j.purl && (c.licenses ?? []).length === 1));
      const spdx = result.spdx as { packages: Array<{ name: string; primaryPackagePurpose?: string }> };
      assert.equal(spdx.packages.find((p) => p.name === 'log4j-core')?.primaryPackagePurpose, 'LIBRARY');
      assert.deepEqual(toOsvPackage({ name: log4j.name, version: log4j.version, purl: log4j.purl! }), {
        ecosystem: 'Maven',
        name: 'org.apache.logging.log4j:log4j-core',
        version: '2.14.1',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('catalogs a jar in an image once, though a symlink names it too, and not after a whiteout', async () => {
    const layout = await tempLayout();
    try {
      const jar = app();
      const image = makeImage({
        layers: [
          [
            { name: 'usr/share/java/app-1.0.jar', content: jar },
            { name: 'usr/share/java/app.jar', type: 'symlink', linkname: 'app-1.0.jar' },
            { name: 'opt/old/gone-1.0.jar', content: jar },
          ],
          [{ name: 'opt/old/.wh.gone-1.0.jar', content: '' }],
        ],
      });
      await push(layout.store, image, 'v1');
      const result = await generateSbom({
        store: layout.store,
        reference: 'v1',
        catalogers: [javaArchiveCataloger],
      });
      console.log(assertOfficialSpdx(result.spdx));
      assert.deepEqual(
        result.packages.map(
          (p) => `${p.name}@${p.version} ${p.locations[0]!.path} ${p.locations[0]!.layer?.slice(0, 7)}`,
        ),
        [`app@1.0 /usr/share/java/app-1.0.jar ${image.layers[0]!.descriptor.digest.slice(0, 7)}`],
      );
    } finally {
      await layout.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real thing: the jars Debian's Maven packaging installed on this machine

/** Regular jar files in /usr/share/java that carry pom.properties, with what those say. */
function debianJars(): Array<{
  path: string;
  poms: Array<{ groupId: string; artifactId: string; version: string }>;
}> {
  const dir = '/usr/share/java';
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jar'));
  } catch {
    return [];
  }
  const out = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (!lstatSync(path).isFile()) continue;
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(readFileSync(path), { filter: (f) => f.name.endsWith('/pom.properties') });
    } catch {
      continue;
    }
    const poms = Object.values(entries).flatMap((bytes) => {
      // Read independently of the cataloger: java.util.Properties' key=value lines.
      const kv = new Map(
        Buffer.from(bytes)
          .toString('utf8')
          .split(/\r?\n/)
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()] as const),
      );
      const [groupId, artifactId, version] = [kv.get('groupId'), kv.get('artifactId'), kv.get('version')];
      return groupId && artifactId && version ? [{ groupId, artifactId, version }] : [];
    });
    if (poms.length > 0) out.push({ path, poms });
  }
  return out;
}

const DEBIAN = debianJars();

describe('Debian’s jars in /usr/share/java', () => {
  skipIf(
    DEBIAN.length === 0 &&
      'no jar with META-INF/maven/**/pom.properties in /usr/share/java (install e.g. libcommons-io-java or maven)',
  ).it('lists every artifact their pom.properties name, with its Maven coordinates as purl', async () => {
    const result = await generateSbom({ path: '/usr/share/java', catalogers: [javaArchiveCataloger] });
    console.log(assertOfficialSpdx(result.spdx));
    let checked = 0;
    for (const { path, poms } of DEBIAN) {
      const file = path.slice('/usr/share/java'.length);
      const mine = result.packages.filter((p) => p.locations[0]!.path === file);
      for (const pom of poms) {
        const purl = new PackageURL(
          'maven',
          pom.groupId,
          pom.artifactId,
          pom.version,
          undefined,
          undefined,
        ).toString();
        assert.ok(
          mine.some((p) => p.name === pom.artifactId && p.version === pom.version && p.purl === purl),
          `${file}: ${purl} not in ${mine.map(line).join(', ')}`,
        );
        checked++;
      }
    }
    assert.ok(checked >= DEBIAN.length, `${checked} artifacts in ${DEBIAN.length} jars`);
  });
});
