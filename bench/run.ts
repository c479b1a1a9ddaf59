/**
 * `npm run bench [-- <benchmark> [--flag value]...]`: runs one benchmark, or all of them
 * when none is named, each in a Node.js process of its own so that one's heap and JIT state
 * do not colour the next. Each prints a summary and writes its figures to
 * `bench/results/<benchmark>.json`, or `<benchmark>.<flag>-<value>.json` when flags changed
 * its defaults. `npm run bench -- --help` lists benchmarks and flags.
 *
 * @example
 * npm run bench
 * npm run bench -- overhead --calls 2000
 * npm run bench -- ingest --events 50000 --batch-sizes 500,2000
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

import { ingestBenchmark } from './ingest.js';
import { observeBenchmark } from './observe.js';
import { outageBenchmark } from './outage.js';
import { overheadBenchmark } from './overhead.js';
import type { Benchmark } from './support/benchmark.js';
import { readServerVersion } from './support/database.js';
import { parseCommandLine, type Flags } from './support/flags.js';
import { describeMachine, writeResult } from './support/results.js';
import { round } from './support/stats.js';

const BENCHMARKS: readonly Benchmark[] = [
  overheadBenchmark,
  observeBenchmark,
  ingestBenchmark,
  outageBenchmark,
];

/** Exit codes: every target met, a target missed, the benchmark could not run. */
const EXIT_MET = 0;
const EXIT_MISSED = 1;
const EXIT_FAILED = 2;

async function main(argv: readonly string[]): Promise<number> {
  const { names, flags } = parseCommandLine(argv);
  if (flags.names().includes('help')) {
    printHelp();
    return EXIT_MET;
  }
  if (names.length > 1) throw new Error('Name one benchmark, or none to run them all.');
  const selected = names.length === 0 ? BENCHMARKS : [findBenchmark(names[0] ?? '')];
  const known = new Set(selected.flatMap((benchmark) => Object.keys(benchmark.flags)));
  const unknown = flags.names().find((name) => !known.has(name));
  if (unknown !== undefined) throw new Error(`Unknown flag --${unknown}; see --help.`);

  const [only] = selected;
  if (only !== undefined && selected.length === 1) return runHere(only, flags, argv);
  let worst = EXIT_MET;
  for (const benchmark of selected) {
    worst = Math.max(worst, await runInChild(benchmark, flags));
    if (worst === EXIT_FAILED) break;
  }
  return worst;
}

/** Runs `benchmark` in this process and writes its result file. */
async function runHere(
  benchmark: Benchmark,
  flags: Flags,
  argv: readonly string[],
): Promise<number> {
  const machine = describeMachine(await readServerVersion());
  console.log(`\n== ${benchmark.name}: ${benchmark.description}`);
  const { cpu, cores, node, postgres } = machine;
  console.log(`${cpu}, ${cores} cores, Node.js ${node}, PostgreSQL ${postgres}`);
  const loadBefore = loadavg()[0] ?? 0;
  const startedAt = performance.now();
  const result = await benchmark.run(flags);
  const durationS = Math.round((performance.now() - startedAt) / 1000);

  const variant = flags.describe(Object.keys(benchmark.flags));
  const path = await writeResult(variant === '' ? benchmark.name : `${benchmark.name}.${variant}`, {
    benchmark: benchmark.name,
    command: `npm run bench -- ${argv.join(' ')}`,
    finishedAt: new Date().toISOString(),
    durationS,
    machine,
    // The 1-minute load average: above the core count, other work competed for the CPU.
    loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? 0, 2) },
    ...result,
  });
  console.log(`targets ${result.targetsMet ? 'met' : 'NOT met'}; ${durationS} s; wrote ${path}`);
  return result.targetsMet ? EXIT_MET : EXIT_MISSED;
}

/** Runs `benchmark` through this script in a child process, with the flags it takes. */
async function runInChild(benchmark: Benchmark, flags: Flags): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  const args = [benchmark.name, ...flags.toArgs(Object.keys(benchmark.flags))];
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code === EXIT_MET || code === EXIT_MISSED ? code : EXIT_FAILED;
}

function findBenchmark(name: string): Benchmark {
  const benchmark = BENCHMARKS.find((candidate) => candidate.name === name);
  if (benchmark !== undefined) return benchmark;
  const choices = BENCHMARKS.map((candidate) => candidate.name).join(', ');
  throw new Error(`Unknown benchmark "${name}"; choose from ${choices}.`);
}

function printHelp(): void {
  console.log('npm run bench -- [benchmark] [--flag value...]\n');
  for (const benchmark of BENCHMARKS) {
    console.log(`${benchmark.name}: ${benchmark.description}`);
    for (const [flag, help] of Object.entries(benchmark.flags)) {
      console.log(`  --${flag.padEnd(18)} ${help}`);
    }
  }
}

try {
  // A missed target is a finding, not a crash; the exit code still tells scripts about it.
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = EXIT_FAILED;
}
