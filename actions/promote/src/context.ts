/**
 * The promote action's inputs, keyed by their action.yml names, read and validated all at once
 * before any request; secrets are masked the moment they are read.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { InputChecker, parseBoolean, parseInteger, parseList } from '@release-actions/shared/github';
import {
  formatReference,
  isValidTag,
  parsePlatform,
  parseReference,
  type ExplicitCredential,
  TAG_RULE,
  type ImageReference,
  type LayoutReference,
  type Platform,
  type RegistryReference,
} from '@release-actions/shared/oci';
import {
  checkAllowedTags,
  checkTransition,
  environment,
  parsePolicy,
  tagRule,
  type Environment,
  type EnvironmentsPolicy,
  type TagRule,
} from '@release-actions/shared/promote';
import { parseTrustInputs, type TrustInputs } from '@release-actions/shared/verify';

/** Where a promotion goes: a registry repository or an OCI image layout, without tag or digest. */
export type TargetReference =
  Pick<RegistryReference, 'kind' | 'registry' | 'repository'> | Pick<LayoutReference, 'kind' | 'path'>;

export interface Inputs {
  /**
   * The image to promote, in a registry or an OCI image layout (`oci-layout:<dir>[:tag|@digest]`;
   * an untagged layout names its only image).
   */
  source: ImageReference;
  /** Where the image goes: from `target`, or the `to` environment's repository. */
  target: TargetReference;
  tags: string[];
  /**
   * The environments and the rule that allows the move, when `to` is set; `allowedTags` is the
   * `to` environment's rule for further tags, when its policy sets one.
   */
  environments?: {
    policy: EnvironmentsPolicy;
    from?: Environment;
    to: Environment;
    rule: string;
    allowedTags?: TagRule;
  };
  'protected-tags': string[];
  'no-clobber': boolean;
  keep: number;
  platforms: Platform[];
  'dry-run': boolean;
  verify: boolean;
  trust: TrustInputs | undefined;
  /**
   * The explicit logins, one per registry: `source-username`/`source-password` for the source's,
   * `target-username`/`target-password` for the target's, `username`/`password` for either side not
   * given its own; a side with none uses the docker config (or `github-token` for ghcr.io).
   */
  logins: ExplicitCredential[];
  'github-token': string;
  'insecure-registries': string[];
}

export function getInputs(): Inputs {
  const check = new InputChecker();
  const raw = (name: string) => core.getInput(name);
  for (const secret of ['password', 'source-password', 'target-password', 'github-token'])
    if (raw(secret)) core.setSecret(raw(secret));

  const source = check.field(
    'source',
    () => required(raw('source'), 'ghcr.io/acme/app@sha256:…', parseReference),
    undefined,
  );
  const verify = check.field('verify', () => parseBoolean(raw('verify') || 'true'), true);
  const trust = verify ? parseTrustInputs(raw, check) : undefined;
  const environments = readEnvironments(check, raw);
  let target: Inputs['target'] | undefined;
  if (raw('target')) {
    const ref = check.field('target', () => parseReference(raw('target')), undefined);
    if (ref && (ref.tag || ref.digest))
      check.add(
        'target',
        `name a ${ref.kind === 'registry' ? 'repository' : 'layout'} without tag or digest (put tags in "tags"), e.g. ${placeOf(ref)}`,
      );
    else if (ref) target = placeRef(ref);
  }
  if (environments && source && environments.from) {
    const home = environments.from.repository;
    if (placeOf(source) !== `${home.registry}/${home.repository}`) {
      check.add(
        'source',
        `is in ${placeOf(source)}, but environment "${environments.from.name}" lives in ${home.registry}/${home.repository}`,
      );
    }
  }
  if (environments) {
    const home = environments.to.repository;
    if (target && placeOf(target) !== `${home.registry}/${home.repository}`) {
      check.add(
        'target',
        `is ${placeOf(target)}, but environment "${environments.to.name}" lives in ${home.registry}/${home.repository}: leave target empty or make them agree`,
      );
    }
    target ??= { kind: 'registry', ...home };
  } else if (!target && !raw('to')) {
    // With "to", the environment names the target; when the policy could not be read, that is the
    // problem reported, not a missing target.
    check.add(
      'target',
      'is required without "to": give the repository to promote into, e.g. registry.acme.example/app',
    );
  }

  const tags = check.field('tags', () => parseTags(raw('tags'), environments), []);
  const inputs = {
    source,
    target,
    tags,
    ...(environments && { environments }),
    'protected-tags': parseList(raw('protected-tags'), { commas: true }),
    'no-clobber': check.field('no-clobber', () => parseBoolean(raw('no-clobber') || 'true'), true),
    keep: check.field('keep', () => parseInteger(raw('keep') || '2', { min: 0, max: 100 }), 2),
    platforms: check.field(
      'platforms',
      () => parseList(raw('platforms'), { commas: true }).map(parsePlatform),
      [],
    ),
    'dry-run': check.field('dry-run', () => parseBoolean(raw('dry-run') || 'false'), false),
    verify,
    trust,
    logins: source && target ? logins(check, raw, registryOf(source), registryOf(target)) : [],
    'github-token': raw('github-token'),
    'insecure-registries': parseList(raw('insecure-registries'), { commas: true }),
  };
  check.throwIfAny();
  return inputs as Inputs;
}

/** The login of one side (`source-`, `target-` or the shared `username`/`password`), checked as a pair. */
function loginOf(
  check: InputChecker,
  raw: (name: string) => string,
  prefix: '' | 'source-' | 'target-',
): { username: string; password: string; inputs: string } | undefined {
  const [user, pass] = [`${prefix}username`, `${prefix}password`];
  if (raw(user) && !raw(pass)) check.add(pass, `is required with ${user}`);
  if (raw(pass) && !raw(user)) check.add(user, `is required with ${pass}`);
  return raw(user) && raw(pass) ? { username: raw(user), password: raw(pass), inputs: user } : undefined;
}

/**
 * One explicit login per registry; two different logins for one registry are refused (a registry
 * takes one). A side in an OCI layout takes none: its own login is refused, the shared one serves
 * the other side (and is refused when both sides are layouts).
 */
function logins(
  check: InputChecker,
  raw: (name: string) => string,
  sourceRegistry: string | undefined,
  targetRegistry: string | undefined,
): ExplicitCredential[] {
  const shared = loginOf(check, raw, '');
  const own = (prefix: 'source-' | 'target-', registry: string | undefined) => {
    const login = loginOf(check, raw, prefix);
    if (registry !== undefined) return login ?? shared;
    if (login)
      check.add(
        login.inputs,
        `applies to a registry, but the ${prefix.slice(0, -1)} is an OCI layout (oci-layout:…), which takes no login: remove it`,
      );
    return undefined;
  };
  const source = own('source-', sourceRegistry);
  const target = own('target-', targetRegistry);
  if (sourceRegistry === undefined || targetRegistry === undefined) {
    if (shared && sourceRegistry === targetRegistry)
      check.add('username', 'applies to a registry, but source and target are OCI layouts: remove it');
    const registry = sourceRegistry ?? targetRegistry;
    const login = source ?? target;
    return registry !== undefined && login
      ? [{ registry, username: login.username, password: login.password }]
      : [];
  }
  if (sourceRegistry === targetRegistry) {
    if (source && target && (source.username !== target.username || source.password !== target.password)) {
      check.add(
        target.inputs,
        `source and target are both in ${sourceRegistry}, which takes one login: give it once as username/password`,
      );
      return [];
    }
    const login = source ?? target;
    return login ? [{ registry: sourceRegistry, username: login.username, password: login.password }] : [];
  }
  return [
    ...(source ? [{ registry: sourceRegistry, username: source.username, password: source.password }] : []),
    ...(target ? [{ registry: targetRegistry, username: target.username, password: target.password }] : []),
  ];
}

/**
 * The further tags: each a valid tag, and allowed by the `to` environment's `tags` patterns when
 * its policy sets them (the environment tag itself is always allowed).
 */
function parseTags(text: string, environments: Inputs['environments']): string[] {
  const tags = parseList(text, { commas: true });
  const invalid = tags.filter((t) => !isValidTag(t));
  if (invalid.length > 0)
    throw new Error(
      `${invalid.map((t) => `"${t}"`).join(', ')} ${invalid.length === 1 ? 'is not a valid tag' : 'are not valid tags'}: ${TAG_RULE}`,
    );
  if (environments?.allowedTags)
    checkAllowedTags(
      tags.filter((t) => t !== environments.to.tag),
      environments.allowedTags,
    );
  return tags;
}

/** The registry a reference is in, or undefined for an OCI layout. */
function registryOf(ref: ImageReference | TargetReference): string | undefined {
  return ref.kind === 'registry' ? ref.registry : undefined;
}

/** Where a reference lives, without tag or digest: `registry/repository` or `oci-layout:<dir>`. */
export function placeOf(ref: ImageReference | TargetReference): string {
  return formatReference(placeRef(ref) as ImageReference);
}

function placeRef(ref: ImageReference | TargetReference): TargetReference {
  return ref.kind === 'registry'
    ? { kind: 'registry', registry: ref.registry, repository: ref.repository }
    : { kind: 'oci-layout', path: ref.path };
}

function required<T>(value: string, example: string, parse: (text: string) => T): T {
  if (value === '') throw new Error(`is required, e.g. ${example}`);
  return parse(value);
}

function readEnvironments(check: InputChecker, raw: (name: string) => string): Inputs['environments'] {
  const [from, to] = [raw('from'), raw('to')];
  if (!to) {
    if (from) check.add('to', `is required with from: name the environment to promote "${from}" into`);
    return undefined;
  }
  let policy: EnvironmentsPolicy;
  try {
    if (raw('environments')) policy = parsePolicy(raw('environments'), 'the environments input');
    else {
      const file = raw('environments-file') || '.github/release-environments.yml';
      if (!existsSync(file)) {
        check.add(
          'environments-file',
          `"${file}" does not exist: commit an environments policy there (see docs/promote.md) or give it inline in "environments"`,
        );
        return undefined;
      }
      policy = parsePolicy(readFileSync(file, 'utf8'), file);
    }
  } catch (err) {
    check.add(raw('environments') ? 'environments' : 'environments-file', (err as Error).message);
    return undefined;
  }
  try {
    const toEnv = environment(policy, to, 'to');
    if (!from) {
      // Only the first environment is entered from outside the chain: anything else must say where it comes from.
      const first = policy.environments[0]!;
      if (toEnv.name !== first.name) {
        check.add(
          'from',
          `is required to promote into "${to}": name the environment the image comes from, so the policy in ${policy.source} can check the move (only "${first.name}", the first environment, takes images from outside)`,
        );
        return undefined;
      }
      return withTagRule({ policy, to: toEnv, rule: 'first environment' });
    }
    const rule = checkTransition(policy, from, to).rule;
    return withTagRule({ policy, from: environment(policy, from, 'from'), to: toEnv, rule });
  } catch (err) {
    check.add(
      (err as { code?: string }).code === 'TRANSITION_REFUSED'
        ? 'to'
        : from && !policy.environments.some((e) => e.name === from)
          ? 'from'
          : 'to',
      (err as Error).message,
    );
    return undefined;
  }
}

function withTagRule(env: NonNullable<Inputs['environments']>): NonNullable<Inputs['environments']> {
  const allowedTags = tagRule(env.policy, env.to);
  return allowedTags ? { ...env, allowedTags } : env;
}
