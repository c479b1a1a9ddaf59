/**
 * `openai-ops keys check`: after rotating keys or onboarding an organization (runbook
 * section 6), check for each workload that its key, organization and quota tag are set,
 * that the API accepts the key, and that it answers for the configured organization.
 */
import type { Command } from 'commander';

import {
  OPENAI_WORKLOADS,
  resolveWorkloadName,
  type OpenAIWorkload,
} from '../../openai/workloads.js';
import { parseDurationMs } from '../duration.js';
import { CliExit, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { checkWorkloadKeys, type KeyCheck, type WorkloadKeyReport } from '../keys-checks.js';
import type { Output } from '../output.js';
import type { CommandContext } from '../program.js';

interface KeysCheckOptions {
  workload?: string;
  timeout: string;
}

/** Longest probe timeout accepted; a key check that waits longer is not a quick check. */
const MAX_TIMEOUT_MS = 120_000;

const HELP = `
Each workload's key is tried with one GET /v1/models (no retries, nothing recorded);
keys are shown only as fingerprints (sk-…abcd). A missing organization or quota tag on
a finance workload is a warning.

Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 a variable is
malformed or the command line is wrong.`;

export function registerKeysCheck(program: Command, context: () => CommandContext): void {
  const keys =
    program.commands.find((command) => command.name() === 'keys') ??
    program.command('keys').description('API key checks (runbook section 6)');
  keys
    .command('check')
    .description('check each workload key, organization and quota tag against the API')
    .option('--workload <name>', `only this workload (${OPENAI_WORKLOADS.join(', ')} or finance)`)
    .option('--timeout <duration>', 'how long to wait for the API, e.g. 10s', '10s')
    .addHelpText('after', HELP)
    .action(async (options: KeysCheckOptions) => {
      const { output, env } = context();
      const timeoutMs = parseTimeout(options.timeout);
      const workloads: OpenAIWorkload[] =
        options.workload === undefined
          ? [...OPENAI_WORKLOADS]
          : [resolveWorkloadName(options.workload, env)];
      const reports = await Promise.all(
        workloads.map((workload) => checkWorkloadKeys(workload, env, timeoutMs)),
      );
      const exitCode = exitCodeOf(reports);
      output.result({ ok: exitCode === EXIT_OK, workloads: reports });
      printReports(output, reports);
      process.exitCode = exitCode;
    });
}

function parseTimeout(text: string): number {
  const timeoutMs = parseDurationMs(text, '--timeout');
  if (timeoutMs >= 1_000 && timeoutMs <= MAX_TIMEOUT_MS) return timeoutMs;
  throw new CliExit(`--timeout must be from 1s to 2m; got ${JSON.stringify(text)}`, EXIT_USAGE);
}

function exitCodeOf(reports: readonly WorkloadKeyReport[]): number {
  if (reports.some((report) => report.malformed)) return EXIT_USAGE;
  const failed = reports.some((report) => report.checks.some((check) => check.status === 'fail'));
  return failed ? EXIT_CHECK_FAILED : EXIT_OK;
}

function printReports(output: Output, reports: readonly WorkloadKeyReport[]): void {
  for (const report of reports) {
    const where = report.base_url === null ? '' : ` ${output.dim(report.base_url)}`;
    output.line(`${report.workload}${where}`);
    for (const check of report.checks) output.line(formatCheck(output, check));
  }
  const checks = reports.flatMap((report) => report.checks);
  const failed = checks.filter((check) => check.status === 'fail').length;
  const warnings = checks.filter((check) => check.status === 'warn').length;
  if (reports.some((report) => report.malformed)) {
    output.line(output.bad('configuration is malformed: fix the variables above and run again'));
  } else if (failed > 0) {
    output.line(output.bad(`${failed} check(s) failed, ${warnings} warning(s)`));
  } else {
    output.line(output.ok(`all checks passed, ${warnings} warning(s)`));
  }
}

function formatCheck(output: Output, check: KeyCheck): string {
  const marks = {
    pass: output.ok('  ✓'),
    fail: output.bad('  ✗'),
    warn: output.warn('  !'),
    skip: output.dim('  -'),
  };
  const fix = check.fix === undefined ? '' : `\n      fix: ${check.fix}`;
  return `${marks[check.status]} ${check.name}: ${check.detail}${fix}`;
}
