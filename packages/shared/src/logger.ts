/**
 * How the library speaks to whoever runs it. Actions pass one backed by `@actions/core`; tests and
 * scripts pass `consoleLogger` or `silentLogger`. The library never writes to stdout itself.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warning() {} };

export const consoleLogger: Logger = {
  debug: (m) => {
    if (process.env.RUNNER_DEBUG === '1') console.debug(m);
  },
  info: (m) => console.log(m),
  warning: (m) => console.warn(`warning: ${m}`),
};
