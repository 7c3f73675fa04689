/**
 * The environments policy: the ordered environments an image is promoted through, where each one
 * lives, and which promotions are allowed. Consumers keep it in their repository, e.g.
 * `.github/release-environments.yml`:
 *
 *     environments:
 *       - name: staging
 *         repository: ghcr.io/acme/app
 *         tag: staging              # the tag promotion moves (default: the name)
 *       - name: production
 *         repository: registry.acme.example/app
 *         tag: prod
 *         tags: ['v*']              # further tags a promotion may set here
 *     transitions:                  # optional; default: each environment to the next one only
 *       - from: staging
 *         to: [production]
 *
 * An environment's `tags` restricts the further tags a promotion into it may set (the `tags`
 * input): each must match one of the patterns (`[]` allows none). Without `tags` the policy puts no
 * limit on them. The environment tag and its history tags are always allowed.
 */
import { parse as parseYaml } from 'yaml';
import { isValidTag, parseRegistryReference, TAG_RULE, type RegistryReference } from '../oci/reference.ts';
import { PromoteError } from './errors.ts';
import { matchingPattern } from './patterns.ts';

export interface Environment {
  name: string;
  /** Registry and repository the environment's images live in. */
  repository: Pick<RegistryReference, 'registry' | 'repository'>;
  /** The environment tag, moved by every promotion into it. */
  tag: string;
  /**
   * Patterns of further tags a promotion into this environment may set; undefined when the policy
   * does not restrict them (see {@link tagRule}).
   */
  tags?: string[];
  /** Where it stands in the policy, for error messages: `environments[3]`. */
  where: string;
}

/** The patterns that further tags promoted into an environment must match, and where that rule stands. */
export interface TagRule {
  environment: string;
  patterns: readonly string[];
  /** The rule and the policy it stands in: `environments[3].tags in .github/release-environments.yml`. */
  rule: string;
}

export interface Transition {
  from: string;
  to: string[];
  /** Where the rule stands, for error messages: `transitions[2]` or `default order`. */
  rule: string;
}

export interface EnvironmentsPolicy {
  environments: Environment[];
  transitions: Transition[];
  /** Where the policy came from, for error messages (a file path, or `inline`). */
  source: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/i;

function invalid(source: string, message: string): PromoteError {
  return new PromoteError('POLICY_INVALID', `environments policy (${source}): ${message}`);
}

/** Parses and checks a policy document (YAML or JSON); every error names the field at fault. */
export function parsePolicy(text: string, source = 'inline'): EnvironmentsPolicy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw invalid(source, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { environments?: unknown }).environments)) {
    throw invalid(
      source,
      'it needs an "environments" list, e.g. environments: [{ name: staging, repository: ghcr.io/acme/app }]',
    );
  }
  const raw = doc as { environments: unknown[]; transitions?: unknown };
  const environments = raw.environments.map((entry, i) =>
    parseEnvironment(entry, `environments[${i}]`, source),
  );
  if (environments.length === 0) throw invalid(source, '"environments" is empty');
  const names = new Set<string>();
  for (const env of environments) {
    if (names.has(env.name)) throw invalid(source, `environment "${env.name}" is listed twice`);
    names.add(env.name);
  }

  let transitions: Transition[];
  if (raw.transitions === undefined) {
    transitions = environments
      .slice(0, -1)
      .map((env, i) => ({ from: env.name, to: [environments[i + 1]!.name], rule: 'default order' }));
  } else {
    if (!Array.isArray(raw.transitions))
      throw invalid(source, '"transitions" must be a list of { from, to } entries');
    transitions = raw.transitions.map((entry, i) => {
      const where = `transitions[${i}]`;
      const t = entry as { from?: unknown; to?: unknown };
      if (!t || typeof t !== 'object' || typeof t.from !== 'string')
        throw invalid(source, `${where} needs "from": an environment name`);
      const to = typeof t.to === 'string' ? [t.to] : t.to;
      if (!Array.isArray(to) || to.length === 0 || !to.every((x) => typeof x === 'string')) {
        throw invalid(source, `${where} needs "to": an environment name or a list of them`);
      }
      for (const name of [t.from, ...to]) {
        if (!names.has(name))
          throw invalid(
            source,
            `${where} names "${name}", which is not an environment (${[...names].join(', ')})`,
          );
      }
      return { from: t.from, to: to as string[], rule: where };
    });
  }
  return { environments, transitions, source };
}

function parseEnvironment(entry: unknown, where: string, source: string): Environment {
  const e = entry as { name?: unknown; repository?: unknown; tag?: unknown; tags?: unknown };
  if (!e || typeof e !== 'object')
    throw invalid(source, `${where} must be a mapping with name and repository`);
  if (typeof e.name !== 'string' || !NAME_RE.test(e.name)) {
    throw invalid(source, `${where}.name must be a name of letters, digits, ".", "_" or "-"`);
  }
  if (typeof e.repository !== 'string')
    throw invalid(source, `${where}.repository must be a registry repository, e.g. ghcr.io/acme/app`);
  let repository: RegistryReference;
  try {
    repository = parseRegistryReference(e.repository);
  } catch (err) {
    throw invalid(source, `${where}.repository: ${(err as Error).message}`);
  }
  if (repository.tag !== undefined || repository.digest !== undefined) {
    throw invalid(
      source,
      `${where}.repository must name a repository without tag or digest (put the tag in ${where}.tag)`,
    );
  }
  const tag = e.tag === undefined ? e.name : e.tag;
  if (typeof tag !== 'string' || !isValidTag(tag))
    throw invalid(source, `${where}.tag "${String(tag)}" is not a valid tag: ${TAG_RULE}`);
  const tags = e.tags === undefined ? undefined : typeof e.tags === 'string' ? [e.tags] : e.tags;
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t !== ''))) {
    throw invalid(source, `${where}.tags must be a list of tag patterns such as "v*"`);
  }
  return {
    name: e.name,
    repository: { registry: repository.registry, repository: repository.repository },
    tag,
    ...(tags !== undefined && { tags: tags as string[] }),
    where,
  };
}

/** The rule for further tags promoted into `env`, or undefined when its policy sets none. */
export function tagRule(policy: EnvironmentsPolicy, env: Environment): TagRule | undefined {
  if (env.tags === undefined) return undefined;
  return { environment: env.name, patterns: env.tags, rule: `${env.where}.tags in ${policy.source}` };
}

/**
 * Refuses (TAG_NOT_ALLOWED) the first of `tags` that matches none of the rule's patterns, naming the
 * rule, the policy it stands in, and what it allows.
 */
export function checkAllowedTags(tags: readonly string[], rule: TagRule): void {
  for (const tag of tags) {
    if (matchingPattern(tag, rule.patterns) !== undefined) continue;
    const allows = rule.patterns.length
      ? `allows only tags matching ${rule.patterns.map((p) => `"${p}"`).join(', ')}`
      : 'allows no further tags';
    throw new PromoteError(
      'TAG_NOT_ALLOWED',
      `tag "${tag}" is not allowed in environment "${rule.environment}": ${rule.rule} ${allows}; leave it out of tags, or add a pattern for it to that list`,
    );
  }
}

export function environment(policy: EnvironmentsPolicy, name: string, input: string): Environment {
  const env = policy.environments.find((e) => e.name === name);
  if (!env) {
    throw new PromoteError(
      'UNKNOWN_ENVIRONMENT',
      `${input} "${name}" is not an environment of the policy (${policy.source}): use one of ${policy.environments.map((e) => e.name).join(', ')}`,
    );
  }
  return env;
}

/**
 * Checks that the policy allows promoting from `from` to `to`, and says which rule refuses it and
 * how to allow it otherwise.
 */
export function checkTransition(policy: EnvironmentsPolicy, from: string, to: string): Transition {
  const source = environment(policy, from, 'from');
  const target = environment(policy, to, 'to');
  const allowed = policy.transitions.find((t) => t.from === from && t.to.includes(to));
  if (allowed) return allowed;
  const order = policy.environments.map((e) => e.name);
  const [i, j] = [order.indexOf(source.name), order.indexOf(target.name)];
  const what =
    i === j
      ? `promotes ${from} onto itself`
      : j < i
        ? `goes backwards (${order
            .slice(j, i + 1)
            .reverse()
            .join(' → ')})`
        : j > i + 1
          ? `skips ${order.slice(i + 1, j).join(', ')}`
          : 'is not listed';
  const rules = policy.transitions.filter((t) => t.from === from);
  const allowedHere = rules.length
    ? `the policy allows ${from} → ${rules.flatMap((r) => r.to).join(' | ')} only (${rules.map((r) => r.rule).join(', ')})`
    : `the policy allows no promotion from ${from}`;
  throw new PromoteError(
    'TRANSITION_REFUSED',
    `promotion ${from} → ${to} is refused: it ${what}; ${allowedHere} in ${policy.source}. To allow it, add { from: ${from}, to: [${to}] } to its transitions.`,
  );
}
