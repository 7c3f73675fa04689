/**
 * jest's node environment, plus the process lifecycle that the service harnesses rely on.
 *
 * A test file sees a copy of `process` that jest makes for it: `process.on('exit')` and signal
 * handlers registered there (packages/shared/src/testing/process.ts kills forgotten services and
 * removes their directories from them) would never run, because only the real process exits or
 * receives signals. node:test ran each test file in a process of its own, so "the process exits"
 * meant "the test file is over". This environment keeps that meaning:
 *
 * - when the test file ends (teardown), its `process` emits 'exit';
 * - when the real process exits while the file runs (a worker ended early), or receives SIGINT,
 *   SIGTERM or SIGHUP that nothing else handles, the file's `process` emits 'exit' first; the
 *   signal is then raised again so its default action (ending the process) still happens.
 *
 * A test file also runs in a realm of its own, while what Node's built-in modules make (an fs
 * error, fetch's TypeError and its cause, readdir's array, fs/promises' promises) comes from
 * Node's realm: `err instanceof Error` would be false for them, unlike anywhere else the code
 * runs. The realm's own Error, TypeError, …, Array, Object, Map, Set, Date, RegExp and Promise
 * therefore also recognise instances of Node's (not their subclasses: `instanceof ScanError`
 * stays exact). `assert.deepStrictEqual` still tells the realms apart (it compares prototypes):
 * copy such arrays before comparing them with literals, `[...(await readdir(dir))]`.
 *
 * Tests that call an action's `getInputs()` in the test's own process make `@actions/core` write
 * its `::add-mask::<secret>` commands to stdout, which the runner would swallow; here they would
 * end up in the test log (test keys and passwords, line by line). While a file runs, writes that
 * are only such commands are dropped. A test that checks the masking replaces `process.stdout.write`
 * itself (`captureStdout` in __tests__/inputs.ts) and still sees every one of them.
 */
import { TestEnvironment } from 'jest-environment-node';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const SHARED_INSTANCEOF = [
  'Error',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'AggregateError',
  'Array',
  'Object',
  'Map',
  'Set',
  'Date',
  'RegExp',
  'Promise',
] as const;

/** A write made only of `::add-mask::` workflow commands, one per line. */
const MASK_COMMANDS = /^(?:::add-mask::[^\n]*\r?\n?)+$/;

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

export default class HarnessEnvironment extends TestEnvironment {
  #exited = false;
  #onExit = (): void => this.#emitExit();
  #onSignal = new Map<NodeJS.Signals, () => void>();
  #stdoutWrite: typeof process.stdout.write | undefined;

  override async setup(): Promise<void> {
    await super.setup();
    const sandbox = this.global as unknown as Record<string, unknown>;
    for (const name of SHARED_INSTANCEOF) {
      const own = sandbox[name] as object;
      const node = globalThis[name] as object;
      if (own === node) continue;
      Object.defineProperty(own, Symbol.hasInstance, {
        configurable: true,
        value(this: object, value: unknown): boolean {
          return (
            ordinaryHasInstance.call(this, value) || (this === own && ordinaryHasInstance.call(node, value))
          );
        },
      });
    }
    const write = process.stdout.write;
    this.#stdoutWrite = write;
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
      typeof chunk === 'string' && MASK_COMMANDS.test(chunk)
        ? true
        : write.call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
    process.on('exit', this.#onExit);
    for (const signal of SIGNALS) {
      if (process.listenerCount(signal) > 0) continue;
      const onSignal = () => {
        this.#emitExit();
        this.#removeListeners();
        process.kill(process.pid, signal);
      };
      this.#onSignal.set(signal, onSignal);
      process.once(signal, onSignal);
    }
  }

  override async teardown(): Promise<void> {
    this.#emitExit();
    this.#removeListeners();
    if (this.#stdoutWrite) process.stdout.write = this.#stdoutWrite;
    await super.teardown();
  }

  #emitExit(): void {
    if (this.#exited) return;
    this.#exited = true;
    const sandboxProcess = this.global.process as NodeJS.Process;
    try {
      sandboxProcess.emit('exit', 0);
    } catch (err) {
      process.stderr.write(`an exit handler of the test file failed: ${String(err)}\n`);
    }
  }

  #removeListeners(): void {
    process.off('exit', this.#onExit);
    for (const [signal, onSignal] of this.#onSignal) process.off(signal, onSignal);
    this.#onSignal.clear();
  }
}
