/**
 * `openai-ops validate`: the validation checklist, automated. Against the real API when the
 * workload has a key, against the built-in simulator with `--simulate` or without a key.
 */
import type { Command } from 'commander';

import type { EnvSource } from '../../config/env.js';
import { configureOpenAIEvents, shutdownOpenAIEvents } from '../../events/runtime.js';
import {
  readOpenAiWorkloadEnv,
  resolveWorkloadName,
  workloadVariables,
  type OpenAIWorkload,
} from '../../openai/workloads.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { openReadableStore } from '../store.js';
import { CliExit, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { collectLogs } from '../log-collector.js';
import type { Output } from '../output.js';
import type { CommandContext } from '../program.js';
import {
  VALIDATION_KINDS,
  validateKind,
  type KindResult,
  type ValidationKind,
} from '../validation.js';

interface ValidateOptions {
  workload: string;
  kinds: string;
  simulate?: boolean;
}

export function registerValidate(program: Command, context: () => CommandContext): void {
  program
    .command('validate')
    .description('send a test request of each kind and check its stored event (runbook step 4)')
    .option('--workload <name>', 'workload to validate', 'default')
    .option('--kinds <list>', 'comma-separated kinds to send', VALIDATION_KINDS.join(','))
    .option('--simulate', 'use the built-in simulator instead of the API')
    .action(async (options: ValidateOptions) => {
      const { output, env } = context();
      process.exitCode = await runValidation(options, env, output);
    });
}

/** Runs the checklist and returns the exit code. */
export async function runValidation(
  options: ValidateOptions,
  env: EnvSource,
  output: Output,
): Promise<number> {
  const workload = resolveWorkloadName(options.workload, env);
  const kinds = parseKinds(options.kinds);
  const configured = readOpenAiWorkloadEnv(workload, env);
  const simulate = options.simulate === true || configured.apiKey === null;
  if (simulate && options.simulate !== true) {
    output.line(output.warn(`no API key for ${workload}: validating against the simulator`));
  }
  const sim = simulate ? await startSimulator() : undefined;
  try {
    const runEnv = validationEnv(env, workload, sim);
    const results = await runChecks(workload, kinds, runEnv, output);
    output.result({ workload, simulated: simulate, results });
    printChecklist(output, results);
    return results.every((result) => result.ok) ? EXIT_OK : EXIT_CHECK_FAILED;
  } finally {
    await sim?.close();
  }
}

async function runChecks(
  workload: OpenAIWorkload,
  kinds: ValidationKind[],
  env: EnvSource,
  output: Output,
): Promise<KindResult[]> {
  const config = readOpenAiWorkloadEnv(workload, env);
  const store = await openReadableStore(env);
  const logs = collectLogs();
  await shutdownOpenAIEvents();
  configureOpenAIEvents({ env, logger: logs.logger, openStore: () => Promise.resolve(store) });
  try {
    await store.migrate();
    const results: KindResult[] = [];
    for (const kind of kinds) {
      output.progress(`validating ${kind} on ${workload}…`);
      results.push(
        await validateKind(kind, { config, env, store, debugFailures: () => logs.debugFailures() }),
      );
    }
    return results;
  } finally {
    await shutdownOpenAIEvents();
  }
}

/**
 * The environment of the run: recording on (it is the point of the check) and, against the
 * simulator, the workload's base URL and a simulated key when none is configured.
 */
function validationEnv(env: EnvSource, workload: OpenAIWorkload, sim: Simulator | undefined) {
  const variables = workloadVariables(workload);
  const runEnv: Record<string, string | undefined> = { ...env, OPENAI_DEBUG_LOGGING: 'true' };
  if (sim === undefined) return runEnv;
  runEnv[variables.baseUrl] = sim.baseURL;
  runEnv[variables.key] =
    readOpenAiWorkloadEnv(workload, env).apiKey?.reveal() ?? `sk-simulated-${workload}-key`;
  runEnv.OPENAI_DEBUG_FETCH_DETAILS ??= 'true';
  return runEnv;
}

function parseKinds(text: string): ValidationKind[] {
  const kinds = text
    .split(',')
    .map((kind) => kind.trim())
    .filter((kind) => kind !== '');
  const unknown = kinds.filter((kind) => !(VALIDATION_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0 || kinds.length === 0) {
    throw new CliExit(
      `--kinds: unknown ${unknown.join(', ') || '(empty list)'}; ` +
        `use ${VALIDATION_KINDS.join(', ')}`,
      EXIT_USAGE,
    );
  }
  return kinds as ValidationKind[];
}

function printChecklist(output: Output, results: KindResult[]): void {
  for (const result of results) {
    const mark = result.ok ? output.ok('PASS') : output.bad('FAIL');
    output.line(
      `${mark} ${result.kind}${result.requestId === null ? '' : ` (${result.requestId})`}`,
    );
    for (const check of result.checks) {
      const tick = check.ok ? output.ok('  ✓') : output.bad('  ✗');
      output.line(`${tick} ${check.name}: ${output.dim(check.detail)}`);
    }
  }
  const failed = results.filter((result) => !result.ok).length;
  output.line(
    failed === 0 ? output.ok('all checks passed') : output.bad(`${failed} kind(s) failed`),
  );
}
