/** What `bench/run.ts` needs from each benchmark. */
import type { Flags } from './flags.js';

export interface Benchmark {
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Flag names (without `--`) and what they set, for `--help` and validation. */
  flags: Record<string, string>;
  /** Runs, prints a summary for people, and returns the figures to store as JSON. */
  run(flags: Flags): Promise<BenchmarkResult>;
}

export interface BenchmarkResult {
  /** True when every target the benchmark checks was met. */
  targetsMet: boolean;
  [figure: string]: unknown;
}
