/**
 * The one harness every action runs in, as docker/actions-toolkit's `run(main, post)` is for
 * Docker's actions: read the inputs (secrets masked as they are read), run `main` phase by phase
 * (each a log group), and whatever happens write a job summary. When anything fails, the step fails
 * and the summary says what was attempted, what failed (the error's code) and how to fix it; the
 * outputs named in `failureOutputs` are set so a later step that reads them sees a definite answer.
 */
import * as core from '@actions/core';
import { errorMessage, ReleaseError, type Logger } from '@release-actions/shared';
import { escapeHtml, formatDuration, InputError } from '@release-actions/shared/github';
import { runnerLogger } from './logger.ts';
import { setOutput, type OutputValue } from './outputs.ts';

/** One phase of a run, as the failure summary lists it. */
export interface Phase {
  title: string;
  state: 'done' | 'failed' | 'running';
  ms: number;
}

/** What `main` works with. */
export interface ActionRun {
  readonly logger: Logger;
  /** Aborted when the runner cancels the job (SIGINT, then SIGTERM), so `main` can stop and still report. */
  readonly signal: AbortSignal;
  /** Runs `fn` as one named phase: a log group, timed, and listed in the failure summary. */
  phase<T>(title: string, fn: () => Promise<T> | T): Promise<T>;
  /** Sets a step output and logs it as it is. */
  output(name: string, value: OutputValue): void;
  /** Closes `resource` after `main` ends, whatever the outcome (HTTP clients, servers). */
  defer(close: () => Promise<unknown> | unknown): void;
  /** Writes the job summary with `write`; a summary that cannot be written is a warning, never the step's failure. */
  summary(write: () => Promise<unknown>): Promise<void>;
  /**
   * Fails the step with `message` once `main` returns, without throwing: for a verdict (a gate, a
   * verification) that `main` has already reported in its summary.
   */
  fail(message: string): void;
}

export interface ActionDefinition<I> {
  /** The action's name, as users write it in `uses:` (e.g. `verify-image`). */
  name: string;
  /** Reads and validates every input, masking secrets as it reads them; throws an {@link InputError}. */
  getInputs: () => I;
  main: (inputs: I, run: ActionRun) => Promise<void>;
  /** Outputs set when the run fails before `main` set them (e.g. `verified: false`). */
  failureOutputs?: Readonly<Record<string, OutputValue>>;
  /** The logger `main` gets (default: the runner's log as it is). */
  logger?: (inputs: I) => Logger;
}

/** What the failure summary suggests for an error code that carries no fix of its own. */
const FIXES: Readonly<Record<string, string>> = {
  INVALID_INPUT: 'Correct the inputs named above. Nothing was sent or written.',
  UNAUTHORIZED:
    'Give credentials for the registry (`username`/`password`, a docker login before this step, or `github-token` for ghcr.io).',
  DENIED:
    'The credentials were refused for this repository: check they may push/pull it (for ghcr.io, `packages: write`).',
  CREDENTIALS: 'Fix the docker credential helper named above, or pass `username`/`password`.',
  REGISTRY_ERROR:
    'The registry did not answer as expected: check it is reachable from the runner, then re-run.',
  MANIFEST_UNKNOWN: 'Check the image reference: the registry has no such tag or digest.',
  WRONG_PASSWORD: 'Pass the password the key was encrypted with in `cosign-password`.',
  OIDC_PERMISSION: 'Grant the job `permissions: id-token: write` for keyless signing.',
};

/** The codes of the library errors behind refused inputs (`WRONG_PASSWORD` behind `cosign-password`). */
function problemCodes(err: unknown): string[] {
  if (!(err instanceof InputError)) return [];
  return [...new Set(err.problems.flatMap((p) => (p.code ? [p.code] : [])))];
}

/** How to fix `err`: its own `fix` when it has one, else the fix known for its code (or its inputs' codes). */
function fixOf(err: unknown): string | undefined {
  const own = (err as { fix?: unknown } | undefined)?.fix;
  if (typeof own === 'string' && own) return own;
  for (const code of problemCodes(err)) if (FIXES[code]) return FIXES[code];
  return err instanceof ReleaseError ? FIXES[err.code] : undefined;
}

/** The error's code, with the codes behind refused inputs: `INVALID_INPUT (WRONG_PASSWORD)`. */
export function codeOf(err: unknown): string {
  if (!(err instanceof ReleaseError)) return 'ERROR';
  const behind = problemCodes(err);
  return behind.length > 0 ? `${err.code} (${behind.join(', ')})` : err.code;
}

/**
 * The failure summary: what failed, its code and the fix, then every phase attempted with its
 * outcome. Text from errors is escaped: it may quote a server.
 */
export function failureSummary(name: string, err: unknown, phases: readonly Phase[]): string {
  const code = codeOf(err);
  const fix = fixOf(err);
  const problems =
    err instanceof InputError ? err.problems.map((p) => `input "${p.input}": ${p.message}`) : [];
  const message = problems.length > 0 ? problems : [errorMessage(err)];
  const icon = { done: '✅', failed: '❌', running: '⏹️' } as const;
  const lines = [
    `## ❌ ${escapeHtml(name)} failed`,
    '',
    '<table>',
    `<tr><th align="left">Error</th><td><code>${escapeHtml(code)}</code></td></tr>`,
    `<tr><th align="left">What failed</th><td>${message.map(escapeHtml).join('<br>')}</td></tr>`,
    ...(fix ? [`<tr><th align="left">Fix</th><td>${escapeHtml(fix)}</td></tr>`] : []),
    '</table>',
    '',
  ];
  if (phases.length === 0) {
    lines.push(err instanceof InputError ? 'Nothing was attempted: the inputs were refused first.' : '');
  } else {
    lines.push('### What was attempted', '', '| | Phase | Time |', '| --- | --- | --- |');
    for (const p of phases)
      lines.push(`| ${icon[p.state]} | ${escapeHtml(p.title)} | ${formatDuration(p.ms)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs one action: see the module comment. Never throws; the step's outcome is the runner's exit code. */
export async function runAction<I>(definition: ActionDefinition<I>): Promise<void> {
  const phases: Phase[] = [];
  const closers: Array<() => Promise<unknown> | unknown> = [];
  const failures: string[] = [];
  const controller = new AbortController();
  const cancel = () => {
    core.warning('cancelled: stopping');
    controller.abort();
  };
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  const outputsSet = new Set<string>();

  const fallback = runnerLogger();
  try {
    const inputs = definition.getInputs();
    const run: ActionRun = {
      logger: definition.logger?.(inputs) ?? fallback,
      signal: controller.signal,
      async phase(title, fn) {
        const phase: Phase = { title, state: 'running', ms: 0 };
        phases.push(phase);
        const start = performance.now();
        try {
          const value = await core.group(title, async () => fn());
          phase.state = 'done';
          return value;
        } catch (err) {
          phase.state = 'failed';
          throw err;
        } finally {
          phase.ms = performance.now() - start;
        }
      },
      output(name, value) {
        outputsSet.add(name);
        setOutput(name, value);
      },
      defer(close) {
        closers.push(close);
      },
      async summary(write) {
        await write().catch((err: unknown) => core.warning(`job summary not written: ${errorMessage(err)}`));
      },
      fail(message) {
        failures.push(message);
      },
    };
    await definition.main(inputs, run);
    if (failures.length > 0) core.setFailed(failures.join('\n'));
  } catch (err) {
    for (const [name, value] of Object.entries(definition.failureOutputs ?? {}))
      if (!outputsSet.has(name)) setOutput(name, value);
    const code = codeOf(err);
    const plain = code === 'ERROR' || err instanceof InputError;
    core.setFailed(plain ? errorMessage(err) : `${code}: ${errorMessage(err)}`);
    // What `main` added to the summary and did not write is half a report: the failure section replaces it.
    core.summary.emptyBuffer();
    await core.summary
      .addRaw(failureSummary(definition.name, err, phases))
      .write()
      .catch((e: unknown) => core.warning(`job summary not written: ${errorMessage(e)}`));
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    for (const close of closers.reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
  }
}
