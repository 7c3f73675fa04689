import { ReleaseError } from '../errors.ts';

/** One input at fault and what would be valid instead. */
export interface InputProblem {
  /** The input's name as written in action.yml, e.g. `max-attempts`. */
  input: string;
  message: string;
  /** The code of the library error behind the problem, when there is one (e.g. `WRONG_PASSWORD`). */
  code?: string;
}

/**
 * Bad action inputs, found before any request. It lists every input at fault at once, each message
 * naming the input and saying what would be valid, so one run shows the user everything to fix.
 */
export class InputError extends ReleaseError<'INVALID_INPUT'> {
  readonly problems: readonly InputProblem[];

  constructor(problems: readonly InputProblem[]) {
    const lines = problems.map((p) => `input "${p.input}": ${p.message}`);
    super(
      'INVALID_INPUT',
      lines.length === 1 ? lines[0]! : `${lines.length} inputs are invalid:\n- ${lines.join('\n- ')}`,
    );
    this.problems = problems;
  }
}

/**
 * Collects the problems of several inputs so they can all be reported together.
 *
 *     const check = new InputChecker();
 *     const timeout = check.field('timeout', () => parseDuration(raw));
 *     check.throwIfAny();
 */
export class InputChecker {
  readonly problems: InputProblem[] = [];

  /**
   * Runs `parse`; on a throw, records its message (and the code of a {@link ReleaseError}) against
   * `input` and returns `fallback`. An {@link InputError} thrown by `parse` keeps its own problems
   * (inputs and codes).
   */
  field<T>(input: string, parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (err) {
      if (err instanceof InputError) this.problems.push(...err.problems);
      else
        this.problems.push({
          input,
          message: err instanceof Error ? err.message : String(err),
          ...(err instanceof ReleaseError && { code: err.code }),
        });
      return fallback;
    }
  }

  /** Records a problem found by a check across inputs. */
  add(input: string, message: string): void {
    this.problems.push({ input, message });
  }

  /** Whether `input` already has a problem recorded (to skip checks that depend on it). */
  has(input: string): boolean {
    return this.problems.some((p) => p.input === input);
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new InputError(this.problems);
  }
}
