import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  checkAllowedTags,
  checkTransition,
  environment,
  matchingPattern,
  parsePolicy,
  PromoteError,
  tagPattern,
  tagRule,
} from '@release-actions/shared/promote';

const FOUR = `
environments:
  - name: dev
    repository: localhost:5000/app-dev
  - name: staging
    repository: localhost:5000/app
  - name: canary
    repository: localhost:5000/app
  - name: production
    repository: registry.example.com/acme/app
    tag: prod
    tags: ['v*']
`;

function refusal(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PromoteError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('environments policy', () => {
  it('reads environments with defaults: the tag is the name, transitions follow the order', () => {
    const policy = parsePolicy(FOUR, '.github/release-environments.yml');
    assert.deepEqual(
      policy.environments.map((e) => [
        e.name,
        `${e.repository.registry}/${e.repository.repository}`,
        e.tag,
        e.tags,
      ]),
      [
        ['dev', 'localhost:5000/app-dev', 'dev', undefined],
        ['staging', 'localhost:5000/app', 'staging', undefined],
        ['canary', 'localhost:5000/app', 'canary', undefined],
        ['production', 'registry.example.com/acme/app', 'prod', ['v*']],
      ],
    );
    assert.deepEqual(
      policy.transitions.map((t) => `${t.from}→${t.to.join('|')}`),
      ['dev→staging', 'staging→canary', 'canary→production'],
    );
    assert.equal(checkTransition(policy, 'staging', 'canary').rule, 'default order');
  });

  it('refuses a skipped stage and says which rule refuses it and how to allow it', () => {
    const policy = parsePolicy(FOUR, '.github/release-environments.yml');
    refusal(
      () => checkTransition(policy, 'dev', 'production'),
      'TRANSITION_REFUSED',
      /dev → production is refused: it skips staging, canary; the policy allows dev → staging only \(default order\) in \.github\/release-environments\.yml\. To allow it, add \{ from: dev, to: \[production\] \}/,
    );
  });

  it('refuses going backwards unless a transition allows it', () => {
    const policy = parsePolicy(FOUR);
    refusal(
      () => checkTransition(policy, 'production', 'staging'),
      'TRANSITION_REFUSED',
      /goes backwards \(production → canary → staging\)/,
    );
    const withRollback = parsePolicy(`${FOUR}
transitions:
  - from: dev
    to: staging
  - from: staging
    to: [canary, production]
  - from: production
    to: [staging]
`);
    assert.equal(checkTransition(withRollback, 'production', 'staging').rule, 'transitions[2]');
    assert.equal(checkTransition(withRollback, 'staging', 'production').rule, 'transitions[1]');
    refusal(
      () => checkTransition(withRollback, 'canary', 'production'),
      'TRANSITION_REFUSED',
      /no promotion from canary/,
    );
  });

  it('names an unknown environment and lists the known ones', () => {
    refusal(
      () => checkTransition(parsePolicy(FOUR), 'dev', 'qa'),
      'UNKNOWN_ENVIRONMENT',
      /to "qa" .* dev, staging, canary, production/,
    );
  });

  it("refuses a further tag that none of the environment's tags patterns allows, naming the rule and the file", () => {
    const policy = parsePolicy(FOUR, '.github/release-environments.yml');
    const rule = tagRule(policy, environment(policy, 'production', 'to'))!;
    assert.deepEqual(rule, {
      environment: 'production',
      patterns: ['v*'],
      rule: 'environments[3].tags in .github/release-environments.yml',
    });
    checkAllowedTags(['v1.1.0', 'v2'], rule);
    refusal(
      () => checkAllowedTags(['v1.1.0', 'latest'], rule),
      'TAG_NOT_ALLOWED',
      /tag "latest" is not allowed in environment "production": environments\[3\]\.tags in \.github\/release-environments\.yml allows only tags matching "v\*"/,
    );
    // Without tags the policy leaves further tags alone; an empty list allows none.
    assert.equal(tagRule(policy, environment(policy, 'staging', 'to')), undefined);
    const none = parsePolicy('environments: [{ name: a, repository: x.io/a, tags: [] }]', 'p.yml');
    refusal(
      () => checkAllowedTags(['v1'], tagRule(none, none.environments[0]!)!),
      'TAG_NOT_ALLOWED',
      /environments\[0\]\.tags in p\.yml allows no further tags/,
    );
  });

  const bad: Array<[string, string, RegExp]> = [
    ['not yaml', 'environments: [', /not valid YAML/],
    ['no environments', 'stages: []', /needs an "environments" list/],
    ['empty', 'environments: []', /is empty/],
    ['bad name', 'environments: [{ name: "a b", repository: x.io/a }]', /environments\[0\]\.name/],
    [
      'bad repository',
      'environments: [{ name: a, repository: "x.io/A" }]',
      /environments\[0\]\.repository: .*lowercase/,
    ],
    ['tagged repository', 'environments: [{ name: a, repository: "x.io/a:v1" }]', /without tag or digest/],
    ['bad tag', 'environments: [{ name: a, repository: x.io/a, tag: "-x" }]', /environments\[0\]\.tag "-x"/],
    [
      'tags not a list',
      'environments: [{ name: a, repository: x.io/a, tags: { v: 1 } }]',
      /environments\[0\]\.tags/,
    ],
    [
      'duplicate',
      'environments: [{ name: a, repository: x.io/a }, { name: a, repository: x.io/b }]',
      /listed twice/,
    ],
    [
      'unknown in transition',
      'environments: [{ name: a, repository: x.io/a }]\ntransitions: [{ from: a, to: b }]',
      /transitions\[0\] names "b"/,
    ],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects a policy with ${what}, naming the field`, () =>
      refusal(() => parsePolicy(text, 'p.yml'), 'POLICY_INVALID', message));
  }
});

describe('tag patterns', () => {
  it('matches * and ? and nothing else specially', () => {
    assert.equal(tagPattern('v*').test('v1.2.3'), true);
    assert.equal(tagPattern('v*').test('prod'), false);
    assert.equal(tagPattern('release-?').test('release-1'), true);
    assert.equal(tagPattern('1.2').test('132'), false, 'a dot is a dot');
    assert.equal(matchingPattern('v2', ['latest', 'v*']), 'v*');
    assert.equal(matchingPattern('prod', ['v*']), undefined);
  });
});
