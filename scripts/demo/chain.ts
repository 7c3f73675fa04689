/**
 * The demo's steps: each runs (an action bundle through the shared action runner, or the demo's
 * own deploy and checks), is judged against what the design says should happen, prints one line
 * while the demo runs, and keeps its job summary for `report.md`.
 *
 * A step that does not behave as designed stops the chain: the demo then exits 1, naming it.
 */
import { writeFile } from 'node:fs/promises';
import { distOf, runAction, type ActionRunResult } from '@release-actions/shared/testing';

/** What the design expected of a step, and what it did. */
export interface Verdict {
  /** Whether the step behaved as designed (a gate that blocks by design is as designed). */
  ok: boolean;
  /** The short result shown in the progress line and the table. */
  result: string;
  /** Why it is not as designed, when it is not. */
  why?: string;
}

export interface StepRecord {
  n: number;
  title: string;
  /** The action (build-sign, …) or the demo's own tool that ran it. */
  tool: string;
  ok: boolean;
  result: string;
  ms: number;
  /** Markdown for report.md: the action's job summary, or the demo's own note. */
  summary: string;
}

/** A step did not behave as designed. */
export class ChainStopped extends Error {
  readonly step: StepRecord;
  readonly why: string;
  constructor(step: StepRecord, why: string) {
    super(`step ${step.n} (${step.title}) did not behave as designed: ${why}`);
    this.step = step;
    this.why = why;
  }
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The `::error::` lines of an action's log: the reason a failed step gives. */
export function errorLines(run: ActionRunResult): string {
  const lines = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .map((l) => l.replace(/^::error[^:]*::/, '').replace(/%0A/g, '\n  '));
  return (
    lines.join('\n') || run.stderr.trim().split('\n').slice(-5).join('\n') || `exit code ${run.exitCode}`
  );
}

/**
 * Headings one level down, so that a job summary sits inside its step's `##` section: the HTML
 * headings `core.summary` writes (`<h2>` → `<h3>`) and Markdown `#` lines outside code fences.
 */
function nest(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      if (fenced) return line;
      return line
        .replace(/^(#{1,5}) /, '#$1 ')
        .replace(
          /<(\/?)h([1-5])(?=[\s>])/g,
          (_, slash: string, level: string) => `<${slash}h${Number(level) + 1}`,
        );
    })
    .join('\n');
}

export class Chain {
  readonly steps: StepRecord[] = [];
  readonly #env: () => Record<string, string>;
  readonly #print: (line: string) => void;
  readonly #started = performance.now();

  /** `env`: the runner context of each action run (GITHUB_*), asked for at the step's start. */
  constructor(options: { env: () => Record<string, string>; print: (line: string) => void }) {
    this.#env = options.env;
    this.#print = options.print;
  }

  /** Runs a step of the demo's own (a deploy, a check): `fn` returns its verdict and its report section. */
  async step(
    title: string,
    tool: string,
    fn: () => Promise<Verdict & { summary: string }>,
  ): Promise<StepRecord> {
    const started = performance.now();
    let verdict: Verdict & { summary: string };
    try {
      verdict = await fn();
    } catch (err) {
      verdict = { ok: false, result: 'error', why: (err as Error).message, summary: '' };
    }
    return this.#record(title, tool, verdict, performance.now() - started);
  }

  /**
   * Runs `actions/<action>`'s committed bundle with `inputs`, as the runner does, and judges the
   * run. Returns it (its outputs feed the next steps).
   */
  async action(
    title: string,
    action: string,
    inputs: Record<string, string>,
    judge: (run: ActionRunResult) => Verdict,
    options: { timeoutMs?: number } = {},
  ): Promise<ActionRunResult> {
    const started = performance.now();
    const run = await runAction(distOf(action), inputs, {
      env: this.#env(),
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    let verdict: Verdict;
    try {
      verdict = judge(run);
    } catch (err) {
      verdict = { ok: false, result: 'unexpected', why: (err as Error).message };
    }
    if (!verdict.ok) verdict.why = verdict.why ? `${verdict.why}\n  ${errorLines(run)}` : errorLines(run);
    this.#record(title, action, { ...verdict, summary: run.summary }, performance.now() - started);
    return run;
  }

  #record(title: string, tool: string, verdict: Verdict & { summary: string }, ms: number): StepRecord {
    const step: StepRecord = {
      n: this.steps.length + 1,
      title,
      tool,
      ok: verdict.ok,
      result: verdict.result,
      ms,
      summary: verdict.summary,
    };
    this.steps.push(step);
    this.#print(
      `${String(step.n).padStart(3)}. ${verdict.ok ? '✓' : '✗'} ${title.padEnd(44)} ${tool.padEnd(17)} ${seconds(ms).padStart(7)}  ${verdict.result}`,
    );
    if (!verdict.ok) throw new ChainStopped(step, verdict.why ?? verdict.result);
    return step;
  }

  /** Milliseconds since the chain started. */
  elapsed(): number {
    return performance.now() - this.#started;
  }

  /** The summary table (Markdown, readable as plain text too). */
  table(): string {
    const rows = this.steps.map((s) => [
      String(s.n),
      s.title,
      s.tool,
      `${s.ok ? '✓' : '✗'} ${s.result.replace(/\|/g, '\\|')}`,
      seconds(s.ms),
    ]);
    const header = ['#', 'step', 'ran', 'result', 'time'];
    const right = (i: number) => i === 0 || i === 4;
    const widths = header.map((h, i) => Math.max(2, h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      `| ${cells.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
    return [
      line(header),
      `| ${widths.map((w, i) => (right(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
      ...rows.map(line),
    ].join('\n');
  }

  /** Writes `report.md`: the verdict, the table, then every step's job summary in order. */
  async writeReport(file: string, heading: string, verdict: string): Promise<void> {
    const sections = this.steps.map(
      (s) =>
        `## ${s.n}. ${s.title}\n\n_${s.tool} · ${s.ok ? 'as designed' : 'NOT as designed'}: ${s.result} · ${seconds(s.ms)}_\n\n${nest(s.summary.trim()) || '(no job summary)'}\n`,
    );
    await writeFile(
      file,
      `# ${heading}\n\n${verdict}\n\n${this.table()}\n\nTotal: ${seconds(this.elapsed())}\n\n${sections.join('\n')}`,
    );
  }
}
