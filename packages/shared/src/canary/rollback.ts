/**
 * After the weight is back at 0: redeploy the previous release, but only when it verifies with the
 * same trust as the canary did, then smoke-test it. Each part is injected (the verifier, the
 * redeploy command, the probe), so the library decides the order and the refusals, and the action
 * wires the real ones.
 */
import { errorMessage, ReleaseError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';

export interface RollbackOptions {
  /** The previous verified release, by digest (`registry/repo@sha256:…`); without it nothing is redeployed. */
  previousImage: string | undefined;
  /** Verifies `image` with the canary's trust inputs; throws (a coded error) when it does not verify. */
  verify: (image: string) => Promise<void>;
  /** Redeploys `image` (the `rollback-command`); absent when none was given. */
  redeploy?: (image: string) => Promise<void>;
  /** Smoke-tests the service after the redeploy (`smoke-url`); absent when none was given. */
  smoke?: () => Promise<{ healthy: boolean; detail: string }>;
  logger?: Logger;
}

export interface RollbackReport {
  previousImage: string | undefined;
  /** undefined: there was no previous image to verify. */
  verified: boolean | undefined;
  verifyError?: { code: string; message: string };
  redeployed: boolean;
  redeployError?: string;
  smoke?: { healthy: boolean; detail: string };
}

export async function rollBack(options: RollbackOptions): Promise<RollbackReport> {
  const logger = options.logger ?? silentLogger;
  const report: RollbackReport = {
    previousImage: options.previousImage,
    verified: undefined,
    redeployed: false,
  };
  if (!options.previousImage) {
    logger.info('no previous-image: traffic is back on the stable servers, nothing is redeployed');
    return report;
  }
  try {
    await options.verify(options.previousImage);
    report.verified = true;
    logger.info(`previous image ${options.previousImage} verifies`);
  } catch (err) {
    report.verified = false;
    report.verifyError = {
      code: err instanceof ReleaseError ? err.code : 'ERROR',
      message: errorMessage(err),
    };
    logger.warning(
      `previous image ${options.previousImage} does not verify (${report.verifyError.code}): it is not redeployed; traffic stays on the stable servers`,
    );
    return report;
  }
  if (options.redeploy) {
    try {
      await options.redeploy(options.previousImage);
      report.redeployed = true;
    } catch (err) {
      report.redeployError = errorMessage(err);
      logger.warning(`rollback-command failed: ${report.redeployError}`);
      return report;
    }
  }
  if (options.smoke) {
    report.smoke = await options.smoke();
    if (!report.smoke.healthy) logger.warning(`smoke test after the rollback failed: ${report.smoke.detail}`);
  }
  return report;
}
