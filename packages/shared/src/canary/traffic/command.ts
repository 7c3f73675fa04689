/**
 * The command traffic adapter: any router the user can drive from a shell line (Argo Rollouts'
 * `kubectl argo rollouts set weight`, `kubectl patch` of an HTTPRoute, `gcloud run services
 * update-traffic`, a load balancer's CLI). The line (`set-weight-command`) runs as `sh -c <line>`
 * with `CANARY_WEIGHT` and `STABLE_WEIGHT` (whole percentages that add up to 100) in its environment;
 * it must return once the split is in effect.
 */
import { spawnExec, type ExecFn } from '../../build/exec.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { CanaryError } from '../errors.ts';
import type { TrafficAdapter } from '../types.ts';
import { checkWeight, runShellChecked } from './shell.ts';

export interface CommandTrafficOptions {
  /** The shell line (`set-weight-command`). */
  command: string;
  /** Extra environment for every run (e.g. `CANARY_IMAGE`), under CANARY_WEIGHT and STABLE_WEIGHT. */
  env?: Record<string, string>;
  /** How the line is run; default {@link spawnExec} (actions pass the runner's exec). */
  exec?: ExecFn;
  logger?: Logger;
}

/** A router driven by the user's `set-weight-command`. */
export class CommandTraffic implements TrafficAdapter {
  readonly description = 'set-weight-command';
  private readonly command: string;
  private readonly env: Record<string, string>;
  private readonly exec: ExecFn;
  private last: number | undefined;

  constructor(options: CommandTrafficOptions) {
    if (options.command.trim() === '')
      throw new CanaryError(
        'TRAFFIC_ERROR',
        'set-weight-command is empty: traffic command needs a shell line',
        {
          fix: 'Give set-weight-command a shell line that sets the split from $CANARY_WEIGHT and $STABLE_WEIGHT.',
        },
      );
    this.command = options.command;
    this.env = options.env ?? {};
    this.exec = options.exec ?? spawnExec({ logger: options.logger ?? silentLogger });
  }

  /** Runs the command with CANARY_WEIGHT=canary and STABLE_WEIGHT=100−canary; COMMAND_FAILED on a non-zero exit. */
  async setWeight(canary: number): Promise<void> {
    checkWeight(canary);
    // A failed command may have changed part of the split: from then on the weight is unknown.
    this.last = undefined;
    await runShellChecked(
      {
        exec: this.exec,
        line: this.command,
        env: { ...this.env, CANARY_WEIGHT: String(canary), STABLE_WEIGHT: String(100 - canary) },
        what: 'set-weight-command',
        code: 'COMMAND_FAILED',
      },
      `setting the canary to ${canary}%`,
      'Run set-weight-command by hand with CANARY_WEIGHT and STABLE_WEIGHT set to see why it fails.',
    );
    this.last = canary;
  }

  /** The weight the last successful run set: the command cannot be asked (undefined before any, or after a failed run). */
  current(): Promise<number | undefined> {
    return Promise.resolve(this.last);
  }
}
