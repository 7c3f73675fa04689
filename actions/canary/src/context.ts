/**
 * The canary action's inputs, keyed by their action.yml names, read and validated all at once
 * before any request, any weight change and any load: a bad input changes nothing and sends
 * nothing. Secrets (password, token, webhook URL) are masked the moment they are read.
 */
import * as core from '@actions/core';
import { maskSecret } from '@release-actions/action-kit';
import {
  checkPlan,
  parsePercent,
  parsePrometheusMetrics,
  parseSteps,
  type CanaryPlan,
  type PrometheusMetric,
} from '@release-actions/shared/canary';
import {
  InputChecker,
  parseBoolean,
  parseChoice,
  parseDuration,
  parseInteger,
  parseHttpUrl,
  parseList,
} from '@release-actions/shared/github';
import { parseReference, type ImageReference } from '@release-actions/shared/oci';
import { parseTrustInputs, type TrustInputs } from '@release-actions/shared/verify';

/** The metrics of the built-in load, by the names `failed-check` reports. */
const LOAD_METRICS = ['error-rate', 'p95', 'latency-vs-baseline'];

export const TRAFFIC_KINDS = ['haproxy', 'nginx', 'command'] as const;
export type TrafficKind = (typeof TRAFFIC_KINDS)[number];

export type TrafficInputs =
  | { kind: 'haproxy'; socket: string; backend: string; canaryServer: string; stableServer: string }
  | {
      kind: 'nginx';
      configFile: string;
      upstream: string;
      canaryServer: string;
      stableServer: string;
      testCommand: string;
      reloadCommand: string;
      pidFile: string;
    }
  | { kind: 'command'; command: string };

export interface Inputs {
  image: ImageReference;
  /** The image as the user wrote it. */
  imageText: string;
  trust: TrustInputs;
  plan: CanaryPlan;
  traffic: TrafficInputs;
  load:
    | {
        urls: string[];
        rate: number;
        maxErrorRate: number;
        maxP95Ms: number;
        minRequests: number;
        baselineUrls: string[];
        compare: 'none' | 'mann-whitney';
      }
    | undefined;
  prometheus: { url: string; metrics: PrometheusMetric[] } | undefined;
  'promote-command': string;
  'previous-image': ImageReference | undefined;
  'rollback-command': string;
  'smoke-url': string[];
  'fail-on-rollback': boolean;
  'webhook-url': string;
  'issue-on-failure': boolean;
  'issue-labels': string[];
  skip: { reason: string } | undefined;
  username: string;
  password: string;
  'github-token': string;
  'insecure-registries': string[];
}

const digestRule = 'give it by digest, e.g. ghcr.io/acme/app@sha256:… (build-sign and promote output one)';

function byDigest(text: string): ImageReference {
  const ref = parseReference(text);
  if (!ref.digest) throw new Error(`"${text}" has no digest: ${digestRule}`);
  return ref;
}

/** An http(s) URL as given, path kept (a load target or a probe). */
function httpUrl(text: string): string {
  parseHttpUrl(text);
  return text.trim();
}

/** The webhook URL is its own credential: an error about it never quotes it. */
function webhookUrl(text: string): string {
  try {
    return httpUrl(text);
  } catch {
    throw new Error('is not an http(s) URL (it is not shown: an incoming webhook URL is a secret)');
  }
}

export function getInputs(): Inputs {
  const check = new InputChecker();
  const raw = (name: string) => core.getInput(name);
  for (const secret of ['password', 'github-token', 'webhook-url']) maskSecret(raw(secret));
  const flag = (name: string, fallback: boolean) =>
    check.field(name, () => parseBoolean(raw(name) || String(fallback)), fallback);
  const duration = (name: string, fallback: string) =>
    check.field(name, () => parseDuration(raw(name) || fallback), parseDuration(fallback));
  const urls = (name: string) => check.field(name, () => parseList(raw(name)).map(httpUrl), []);
  const required = (name: string, what: string) => {
    if (!raw(name)) check.add(name, `is required with traffic ${raw('traffic')}: ${what}`);
    return raw(name);
  };

  const image = raw('image')
    ? check.field('image', () => byDigest(raw('image')), undefined)
    : (check.add('image', `is required: ${digestRule}`), undefined);
  const trust = parseTrustInputs(raw, check);

  const steps = check.field('steps', () => parseSteps(raw('steps') || '10,50,100'), [100]);
  const plan: CanaryPlan = {
    steps,
    stepDurationMs: duration('step-duration', '30s'),
    intervalMs: duration('interval', '5s'),
    failureLimit: check.field(
      'failure-limit',
      () => parseInteger(raw('failure-limit') || '0', { min: 0 }),
      0,
    ),
  };
  if (!check.has('step-duration') && !check.has('interval'))
    check.field('step-duration', () => checkPlan(plan), plan);

  const kind = raw('traffic')
    ? check.field('traffic', () => parseChoice(raw('traffic'), TRAFFIC_KINDS), undefined)
    : (check.add('traffic', `is required: one of ${TRAFFIC_KINDS.join(', ')}`), undefined);
  let traffic: TrafficInputs = { kind: 'command', command: '' };
  if (kind === 'haproxy')
    traffic = {
      kind,
      socket: required('haproxy-socket', 'the runtime API socket, a path or tcp://host:port'),
      backend: required('haproxy-backend', 'the backend holding the canary and stable servers'),
      canaryServer: raw('haproxy-canary-server') || 'canary',
      stableServer: raw('haproxy-stable-server') || 'stable',
    };
  else if (kind === 'nginx')
    traffic = {
      kind,
      configFile: required('nginx-config', 'the upstream file nginx.conf includes'),
      upstream: raw('nginx-upstream') || 'app',
      canaryServer: required('nginx-canary-server', "the canary's host:port"),
      stableServer: required('nginx-stable-server', "the stable release's host:port"),
      testCommand: raw('nginx-test-command') || 'nginx -t',
      reloadCommand: raw('nginx-reload-command') || 'nginx -s reload',
      pidFile: raw('nginx-pid-file'),
    };
  else if (kind === 'command')
    traffic = { kind, command: required('set-weight-command', 'a shell command that reads CANARY_WEIGHT') };

  const loadUrls = urls('load-url');
  const compare = check.field(
    'compare',
    () => parseChoice(raw('compare') || 'none', ['none', 'mann-whitney'] as const),
    'none',
  );
  const baselineUrls = urls('baseline-url');
  if (compare === 'mann-whitney' && baselineUrls.length === 0)
    check.add('baseline-url', 'is required with compare mann-whitney: the stable release’s own URL');
  if (compare === 'none' && baselineUrls.length > 0)
    check.add(
      'baseline-url',
      'is only used with compare: mann-whitney: set compare, or leave baseline-url empty',
    );
  if (compare === 'mann-whitney' && loadUrls.length === 0)
    check.add('load-url', 'is required with compare mann-whitney: the canary’s own URL');
  const load = loadUrls.length
    ? {
        urls: loadUrls,
        rate: check.field(
          'load-rate',
          () => parseInteger(raw('load-rate') || '20', { min: 1, max: 1000 }),
          20,
        ),
        maxErrorRate: check.field('max-error-rate', () => parsePercent(raw('max-error-rate') || '0.2%'), 0.2),
        maxP95Ms: duration('max-p95', '300ms'),
        minRequests: check.field(
          'min-requests',
          () => parseInteger(raw('min-requests') || '10', { min: 1 }),
          10,
        ),
        baselineUrls,
        compare,
      }
    : undefined;

  let prometheus: Inputs['prometheus'];
  if (raw('metrics') && !raw('prometheus-url')) check.add('prometheus-url', 'is required with metrics');
  if (raw('prometheus-url')) {
    const url = check.field('prometheus-url', () => httpUrl(raw('prometheus-url')), '');
    const metrics = check.field('metrics', () => parsePrometheusMetrics(raw('metrics')), []);
    // Failed checks are counted per name: a metric may not share one with the built-in load's.
    const taken = metrics.filter((m) => LOAD_METRICS.includes(m.name)).map((m) => m.name);
    if (taken.length > 0)
      check.add(
        'metrics',
        `${taken.join(', ')}: the built-in load's metric names (${LOAD_METRICS.join(', ')}); name it otherwise`,
      );
    if (metrics.length === 0 && !check.has('metrics'))
      check.add('metrics', 'is required with prometheus-url: a YAML list of {name, query, max or min}');
    prometheus = { url, metrics };
  }

  const skip = flag('skip', false);
  if (skip && !raw('skip-reason'))
    check.add(
      'skip-reason',
      'is required with skip: true: say why the analysis is skipped (an incident, a ticket)',
    );
  if (!skip && !load && !prometheus)
    check.add(
      'load-url',
      'nothing would be analysed: give load-url (built-in load on the canary) or prometheus-url with metrics, or skip: true with a skip-reason',
    );

  const inputs: Inputs = {
    image: image!,
    imageText: raw('image'),
    trust,
    plan,
    traffic,
    load,
    prometheus,
    'promote-command': raw('promote-command'),
    'previous-image': raw('previous-image')
      ? check.field('previous-image', () => byDigest(raw('previous-image')), undefined)
      : undefined,
    'rollback-command': raw('rollback-command'),
    'smoke-url': urls('smoke-url'),
    'fail-on-rollback': flag('fail-on-rollback', true),
    'webhook-url': raw('webhook-url')
      ? check.field('webhook-url', () => webhookUrl(raw('webhook-url')), '')
      : '',
    'issue-on-failure': flag('issue-on-failure', false),
    'issue-labels': parseList(raw('issue-labels') || 'canary,rollback', { commas: true }),
    skip: skip ? { reason: raw('skip-reason') } : undefined,
    username: raw('username'),
    password: raw('password'),
    'github-token': raw('github-token'),
    'insecure-registries': parseList(raw('insecure-registries'), { commas: true }),
  };
  if (inputs['rollback-command'] && !inputs['previous-image'])
    check.add('previous-image', 'is required with rollback-command: the release to redeploy, by digest');
  if (inputs['issue-on-failure'] && !inputs['github-token'])
    check.add('github-token', 'is required with issue-on-failure');
  if (inputs.username && !inputs.password) check.add('password', 'is required with username');
  check.throwIfAny();
  return inputs;
}
