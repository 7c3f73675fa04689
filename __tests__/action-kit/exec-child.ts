/**
 * Runs one ExecRequest through the kit's runnerExec in a process of its own, as an action does:
 * what @actions/exec streams goes to this process's stdout (the job log), then one last line
 * `@@result <json>` or `@@error <json>` says what the ExecFn resolved or rejected with.
 *
 *   node exec-child.ts '<ExecRequest json>' '<RunnerExecOptions json>' [times]
 *
 * With `times`, the request runs that many times over (the result is the last one's).
 */
import { runnerExec } from '../../packages/action-kit/src/exec.ts';

const request = JSON.parse(process.argv[2]!);
const options = JSON.parse(process.argv[3] ?? '{}');
const times = Number(process.argv[4] ?? '1');
try {
  const exec = runnerExec(options);
  let result = await exec(request);
  for (let i = 1; i < times; i++) result = await exec(request);
  process.stdout.write(`\n@@result ${JSON.stringify(result)}\n`);
} catch (err) {
  const { code, message } = err as NodeJS.ErrnoException;
  process.stdout.write(`\n@@error ${JSON.stringify({ code, message })}\n`);
}
