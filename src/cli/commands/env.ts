/**
 * `openai-ops env`: every workload's resolved configuration and the store, with each problem
 * and its fix. The key is only ever shown as its fingerprint.
 */
import type { Command } from 'commander';

import type { EnvSource } from '../../config/env.js';
import { readRecorderSettings } from '../../events/settings.js';
import { inspectSpool, type SpoolStatus } from '../../events/spool-status.js';
import { OPENAI_WORKLOADS, resolveWorkloadName } from '../../openai/workloads.js';
import { describeStoreConfig } from '../../stores/select-store.js';
import { diagnoseWorkload, type Problem, type WorkloadDiagnosis } from '../diagnose.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { Output } from '../output.js';
import type { CommandContext } from '../program.js';

export function registerEnv(program: Command, context: () => CommandContext): void {
  program
    .command('env')
    .description('show the resolved configuration of each workload and what to fix')
    .option('--workload <name>', 'only this workload (default, finance-prod, finance-staging)')
    .action(async (options: { workload?: string }) => {
      const { output, env } = context();
      const workloads =
        options.workload === undefined
          ? [...OPENAI_WORKLOADS]
          : [resolveWorkloadName(options.workload, env)];
      const diagnoses = workloads.map((workload) => diagnoseWorkload(workload, env));
      const store = storeSummary(env);
      const spool = await spoolSummary(env);
      output.result({ workloads: diagnoses.map(toJson), store, spool });
      for (const diagnosis of diagnoses) printWorkload(output, diagnosis);
      output.line(`store: ${store.kind ?? 'invalid'} ${store.location ?? ''}`.trimEnd());
      for (const problem of store.problems) printProblem(output, problem);
      printSpool(output, spool);
      process.exitCode = exitCodeOf(diagnoses, store.problems, spool.problems);
    });
}

function storeSummary(env: EnvSource) {
  try {
    const { kind, location } = describeStoreConfig(env);
    return { kind, location, problems: [] as Problem[] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      kind: null,
      location: null,
      problems: [{ severity: 'error', message, fix: 'correct the store variables' } as Problem],
    };
  }
}

type SpoolSummary = Partial<SpoolStatus> & { problems: Problem[] };

async function spoolSummary(env: EnvSource): Promise<SpoolSummary> {
  let dir: string;
  try {
    dir = readRecorderSettings(env).spoolDir;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { problems: [{ severity: 'error', message, fix: 'correct the recorder variables' }] };
  }
  const status = await inspectSpool(dir);
  const problems: Problem[] = [];
  if (!status.writable) {
    problems.push({
      severity: 'error',
      message: `the spool directory ${dir} is not writable (${status.writeError ?? 'unknown'})`,
      fix: 'free space or fix permissions there, or set OPENAI_OPS_SPOOL_DIR to a writable place',
      variable: 'OPENAI_OPS_SPOOL_DIR',
    });
  }
  if (status.segments > 0) {
    problems.push({
      severity: 'warning',
      message: `${status.bytes} bytes in ${status.segments} spool file(s) wait to be replayed`,
      fix: 'make sure the store is reachable; a running recorder replays them by itself',
    });
  }
  return { ...status, problems };
}

function printSpool(output: Output, spool: SpoolSummary): void {
  if (spool.dir !== undefined) {
    const state = spool.writable === true ? 'writable' : 'not writable';
    output.line(
      `spool: ${spool.dir} (${state}, ${spool.segments ?? 0} file(s), ${spool.bytes ?? 0} bytes)`,
    );
  }
  for (const problem of spool.problems) printProblem(output, problem);
}

function toJson(diagnosis: WorkloadDiagnosis) {
  const { config } = diagnosis;
  return {
    workload: diagnosis.workload,
    keyFingerprint: config?.keyFingerprint ?? null,
    keySource: config?.apiKey?.source ?? null,
    organization: config?.organization ?? null,
    baseUrl: config?.baseUrl ?? null,
    tags: config?.tags ?? [],
    quotaTag: config?.quotaTag ?? null,
    debugLogging: config?.debugLogging ?? null,
    debugFetchDetails: config?.debugFetchDetails ?? null,
    problems: diagnosis.problems,
  };
}

function printWorkload(output: Output, diagnosis: WorkloadDiagnosis): void {
  const json = toJson(diagnosis);
  output.line(output.ok(diagnosis.workload));
  output.table(
    ['setting', 'value'],
    [
      [
        'key',
        json.keyFingerprint === null ? '(none)' : `${json.keyFingerprint} from ${json.keySource}`,
      ],
      ['organization', json.organization ?? '(none)'],
      ['base URL', json.baseUrl],
      ['tags', json.tags.join(',') || '(none)'],
      ['quota tag', json.quotaTag ?? '(none)'],
      ['debug logging', String(json.debugLogging)],
      ['debug details', String(json.debugFetchDetails)],
    ],
  );
  for (const problem of diagnosis.problems) printProblem(output, problem);
  output.line();
}

function printProblem(output: Output, problem: Problem): void {
  const label = problem.severity === 'error' ? output.bad('error') : output.warn('warning');
  output.line(`  ${label}: ${problem.message}`);
  output.line(`    fix: ${problem.fix}`);
}

function exitCodeOf(
  diagnoses: WorkloadDiagnosis[],
  storeProblems: Problem[],
  otherProblems: Problem[],
): number {
  const malformed = diagnoses.some((diagnosis) => diagnosis.malformed);
  if (malformed || storeProblems.length > 0) return EXIT_USAGE;
  const problems = [...diagnoses.flatMap((diagnosis) => diagnosis.problems), ...otherProblems];
  return problems.some((problem) => problem.severity === 'error') ? EXIT_CHECK_FAILED : EXIT_OK;
}
