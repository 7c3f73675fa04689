/**
 * Telling people: the webhook (Slack, Teams, anything that takes JSON) and, on a rollback or a
 * failure, a GitHub issue. A notification that cannot be sent is a warning in the log and a line
 * in the summary, never the step's outcome: the traffic decision has already been made.
 */
import * as github from '@actions/github';
import { errorMessage, HttpClient, redactUrl, type Logger } from '@release-actions/shared';
import { issueContent, webhookBody, type CanaryNotice } from '@release-actions/shared/canary';
import type { Inputs } from './context.ts';

export interface NotificationResults {
  webhook?: { sent: true } | { sent: false; error: string };
  issue?: { url: string; number: number } | { error: string };
}

export async function notify(
  inputs: Inputs,
  notice: CanaryNotice,
  logger: Logger,
): Promise<NotificationResults> {
  const results: NotificationResults = {};
  if (inputs['webhook-url']) {
    const http = new HttpClient({ logger });
    try {
      const res = await http.request({
        method: 'POST',
        url: inputs['webhook-url'],
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookBody(notice)),
        timeoutMs: 10_000,
      });
      const text = await res.body.text().catch(() => '');
      if (res.status >= 300)
        throw new Error(`answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
      results.webhook = { sent: true };
      logger.info('webhook: sent');
    } catch (err) {
      // The URL is a secret (it is the credential of an incoming webhook): never in a message.
      const error = errorMessage(err).replaceAll(
        inputs['webhook-url'],
        redactUrl(new URL(inputs['webhook-url']).origin),
      );
      results.webhook = { sent: false, error };
      logger.warning(`webhook not sent: ${error}`);
    } finally {
      await http.close().catch(() => undefined);
    }
  }
  const worth = notice.result === 'rolled-back' || notice.result === 'failed';
  if (inputs['issue-on-failure'] && worth) {
    try {
      const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '').split('/');
      if (!owner || !repo) throw new Error('GITHUB_REPOSITORY is not set: an issue needs the repository');
      const { title, body } = issueContent(notice);
      const octokit = github.getOctokit(inputs['github-token']);
      const { data } = await octokit.rest.issues.create({
        owner,
        repo,
        title,
        body,
        labels: inputs['issue-labels'],
      });
      results.issue = { url: data.html_url, number: data.number };
      logger.info(`issue #${data.number} opened: ${data.html_url}`);
    } catch (err) {
      const status = (err as { status?: number }).status;
      const error =
        status === 403 || status === 404
          ? `GitHub refused (${status}): the job needs permissions: issues: write`
          : errorMessage(err);
      results.issue = { error };
      logger.warning(`issue not opened: ${error}`);
    }
  }
  return results;
}
