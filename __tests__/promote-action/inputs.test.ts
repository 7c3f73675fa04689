/** actions/promote inputs: parsed and validated from `INPUT_*` as the runner sets them. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { getInputs } from '../../actions/promote/src/context.ts';
import { inputProblems, setInputs } from '../inputs.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const POLICY = `
environments:
  - name: staging
    repository: localhost:5000/acme/app-staging
  - name: production
    repository: localhost:5000/acme/app
    tag: prod
    tags: ['v*']
`;

const problems = (inputs: Record<string, string>) =>
  inputProblems(getInputs, inputs).map((p) => `${p.input}: ${p.message}`);

describe('promote inputs', () => {
  let dir: string;
  let policyFile: string;
  const promotion = (more: Record<string, string> = {}) => ({
    source: `localhost:5000/acme/app-staging@${DIGEST}`,
    from: 'staging',
    to: 'production',
    'environments-file': policyFile,
    verify: 'false',
    ...more,
  });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'promote-inputs-'));
    policyFile = join(dir, 'release-environments.yml');
    writeFileSync(policyFile, POLICY);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => setInputs({}));

  it('takes the target and the tag rule from the "to" environment', () => {
    setInputs(promotion({ tags: 'v1.1.0, prod' }));
    const inputs = getInputs();
    assert.deepEqual(inputs.target, { kind: 'registry', registry: 'localhost:5000', repository: 'acme/app' });
    assert.deepEqual(inputs.tags, ['v1.1.0', 'prod']);
    assert.equal(inputs.environments?.rule, 'default order');
    assert.deepEqual(inputs.environments?.allowedTags, {
      environment: 'production',
      patterns: ['v*'],
      rule: `environments[1].tags in ${policyFile}`,
    });
  });

  it('reports only the policy problem, not a missing target, when "to" is set', () => {
    const missing = join(dir, 'missing.yml');
    assert.deepEqual(
      problems(promotion({ 'environments-file': missing })).map((p) => p.split(':')[0]),
      ['environments-file'],
    );
    assert.deepEqual(
      problems(promotion({ environments: 'environments: [' })).map((p) => p.split(':')[0]),
      ['environments'],
    );
    const noFrom = problems(promotion({ from: '' }));
    assert.equal(noFrom.length, 1, noFrom.join('\n'));
    assert.match(noFrom[0]!, /^from: is required to promote into "production"/);
    const unknownFrom = problems(promotion({ from: 'qa' }));
    assert.equal(unknownFrom.length, 1, unknownFrom.join('\n'));
    assert.match(unknownFrom[0]!, /^from: from "qa" is not an environment/);
    // Without "to", a target is still required.
    assert.deepEqual(problems({ source: `localhost:5000/acme/app@${DIGEST}`, verify: 'false' }), [
      'target: is required without "to": give the repository to promote into, e.g. registry.acme.example/app',
    ]);
  });

  it('refuses a tag that is not valid, naming the input and the rule', () => {
    for (const tags of ['bad tag!', 'v1,-v2', `v${'1'.repeat(128)}`]) {
      const found = problems({
        source: `localhost:5000/acme/app@${DIGEST}`,
        target: 'localhost:5000/x',
        verify: 'false',
        tags,
      });
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0]!, /^tags: ".+" is not a valid tag: .*\[a-zA-Z0-9_\]\[a-zA-Z0-9._-\]\{0,127\}/);
    }
  });

  it("refuses a tag that the environment's tags patterns do not allow, naming the rule and the file", () => {
    const found = problems(promotion({ tags: 'v1.1.0\nlatest' }));
    assert.equal(found.length, 1, found.join('\n'));
    assert.equal(
      found[0],
      `tags: tag "latest" is not allowed in environment "production": environments[1].tags in ${policyFile} allows only tags matching "v*"; leave it out of tags, or add a pattern for it to that list`,
    );
  });
});

describe('promote inputs: logins per registry', () => {
  afterEach(() => setInputs({}));
  const across = (more: Record<string, string>) => ({
    source: `registry-a.example/acme/app@${DIGEST}`,
    target: 'registry-b.example/acme/app',
    verify: 'false',
    ...more,
  });
  const read = (inputs: Record<string, string>) => {
    setInputs(inputs);
    return getInputs().logins;
  };

  it('gives each registry its own login across two registries', () => {
    assert.deepEqual(
      read(
        across({
          'source-username': 'reader',
          'source-password': 'src-secret',
          'target-username': 'writer',
          'target-password': 'dst-secret',
        }),
      ),
      [
        { registry: 'registry-a.example', username: 'reader', password: 'src-secret' },
        { registry: 'registry-b.example', username: 'writer', password: 'dst-secret' },
      ],
    );
  });

  it('uses username/password for the side not given its own, and no login at all for a side with none (docker config)', () => {
    assert.deepEqual(
      read(
        across({ 'target-username': 'writer', 'target-password': 'dst', username: 'both', password: 'pw' }),
      ),
      [
        { registry: 'registry-a.example', username: 'both', password: 'pw' },
        { registry: 'registry-b.example', username: 'writer', password: 'dst' },
      ],
    );
    assert.deepEqual(read(across({ 'target-username': 'writer', 'target-password': 'dst' })), [
      { registry: 'registry-b.example', username: 'writer', password: 'dst' },
    ]);
  });

  it('names the half of a pair that is missing', () => {
    assert.deepEqual(
      inputProblems(getInputs, across({ 'source-username': 'reader', 'target-password': 'x' })).map(
        (p) => p.input,
      ),
      ['source-password', 'target-username'],
    );
  });

  it('refuses two different logins for one registry, naming the input and the fix', () => {
    const found = inputProblems(
      getInputs,
      across({
        target: 'registry-a.example/acme/app-prod',
        'source-username': 'reader',
        'source-password': 'a',
        'target-username': 'writer',
        'target-password': 'b',
      }),
    );
    assert.deepEqual(
      found.map((p) => p.input),
      ['target-username'],
    );
    assert.match(
      found[0]!.message,
      /both in registry-a\.example, which takes one login: give it once as username\/password/,
    );
  });

  describe('OCI layouts', () => {
    const layouts = (more: Record<string, string>) => ({ verify: 'false', ...more });

    it('takes an oci-layout source (tagged or not) and target; a layout side takes no login', () => {
      setInputs(
        layouts({
          source: 'oci-layout:./out:v1',
          target: 'registry-b.example/acme/app',
          username: 'writer',
          password: 'pw',
        }),
      );
      const inputs = getInputs();
      assert.deepEqual(inputs.source, { kind: 'oci-layout', path: './out', tag: 'v1' });
      assert.deepEqual(inputs.logins, [
        { registry: 'registry-b.example', username: 'writer', password: 'pw' },
      ]);
      setInputs(layouts({ source: 'registry-a.example/acme/app:rc', target: 'oci-layout:./mirror' }));
      assert.deepEqual(getInputs().target, { kind: 'oci-layout', path: './mirror' });
      setInputs(layouts({ source: 'oci-layout:./out', target: 'oci-layout:./mirror' }));
      assert.deepEqual(getInputs().source, { kind: 'oci-layout', path: './out' });
    });

    it("refuses a layout side's own login, a login with two layouts, and a layout target with a tag", () => {
      assert.deepEqual(
        problems(
          layouts({
            source: 'oci-layout:./out:v1',
            target: 'registry-b.example/acme/app',
            'source-username': 'reader',
            'source-password': 'pw',
          }),
        ).map((p) => p.split(':')[0]),
        ['source-username'],
      );
      assert.match(
        problems(
          layouts({ source: 'oci-layout:./a', target: 'oci-layout:./b', username: 'u', password: 'p' }),
        ).join('\n'),
        /^username: applies to a registry, but source and target are OCI layouts/,
      );
      assert.match(
        problems(layouts({ source: 'oci-layout:./a', target: 'oci-layout:./b:v1' })).join('\n'),
        /^target: name a layout without tag or digest .*e\.g\. oci-layout:\.\/b/,
      );
    });

    it('refuses a layout target that is not the "to" environment\'s repository', () => {
      const found = problems({
        source: `localhost:5000/acme/app-staging@${DIGEST}`,
        from: 'staging',
        to: 'production',
        environments: POLICY,
        verify: 'false',
        target: 'oci-layout:./mirror',
      });
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(
        found[0]!,
        /^target: is oci-layout:\.\/mirror, but environment "production" lives in localhost:5000\/acme\/app/,
      );
    });
  });
});
