/**
 * Shared pieces of the fault tests: a steady stream of calls with per-call latency, latency
 * summaries, bounded waiting, reading spool segments back, and child processes that run a
 * fixture under tsx.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import type OpenAI from 'openai';

import type { DebugEventRow, ReadableEventStore } from '../../src/stores/types.js';

export const FAULT_KEY = 'sk-test-faults-key-00000000000000flt';
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The environment of a service whose default workload points at `baseURL`, recording on. */
export function serviceEnv(baseURL: string): Record<string, string> {
  return {
    OPENAI_API_KEY: FAULT_KEY,
    OPENAI_ORG_ID: 'org-faults',
    OPENAI_BASE_URL: baseURL,
    OPENAI_REQUEST_TAGS: 'service:faults,env:test',
    OPENAI_DEBUG_LOGGING: 'true',
  };
}

export interface CallRecord {
  phase: string;
  startedAt: number;
  endedAt: number;
  latencyMs: number;
  requestId: string | null;
}

export interface LatencySummary {
  count: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

export function summarise(latencies: readonly number[]): LatencySummary {
  return {
    count: latencies.length,
    medianMs: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    maxMs: round(Math.max(...latencies)),
  };
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export interface CallStream {
  /** Calls that started from now on are counted in `phase`. */
  setPhase(phase: string): void;
  /** Stops starting calls, waits for the ones in flight and returns every call made. */
  stop(): Promise<CallRecord[]>;
}

/**
 * `concurrency` callers, each making one embeddings call, pausing `pauseMs`, and again. A
 * failed call fails the stream: instrumentation must never fail a caller.
 */
export function startCallStream(
  client: OpenAI,
  options: { concurrency: number; pauseMs: number; phase: string },
): CallStream {
  const records: CallRecord[] = [];
  let phase = options.phase;
  let running = true;
  let sequence = 0;

  const caller = async (): Promise<void> => {
    while (running) {
      const callPhase = phase;
      sequence += 1;
      const startedAt = performance.now();
      const result = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: `fault stream call ${sequence}`,
      });
      const endedAt = performance.now();
      records.push({
        phase: callPhase,
        startedAt,
        endedAt,
        latencyMs: endedAt - startedAt,
        requestId: result._request_id ?? null,
      });
      await sleep(options.pauseMs);
    }
  };

  const callers = Array.from({ length: options.concurrency }, () => caller());
  return {
    setPhase(next) {
      phase = next;
    },
    async stop() {
      running = false;
      await Promise.all(callers);
      return records;
    },
  };
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface StoredCounts {
  total: number;
  distinct: number;
  requestIds: Set<string>;
}

/** Every stored row's request id, the row count and the count of distinct (id, attempt). */
export async function storedCounts(reader: ReadableEventStore): Promise<StoredCounts> {
  const rows = await reader.sql('select request_id, attempt from openai_debug_events');
  const keys = new Set(rows.map((row) => `${String(row.request_id)}#${String(row.attempt)}`));
  return {
    total: rows.length,
    distinct: keys.size,
    requestIds: new Set(rows.map((row) => String(row.request_id))),
  };
}

export interface SpoolContents {
  files: string[];
  rows: DebugEventRow[];
  unreadableLines: number;
}

/** The rows in every spool segment (sealed, active or claimed), parsed line by line. */
export function readSpool(dir: string): SpoolContents {
  if (!existsSync(dir)) return { files: [], rows: [], unreadableLines: 0 };
  const names = readdirSync(dir).filter((name) => /\.(ndjson|active)$|\.claimed-\d+$/.test(name));
  const rows: DebugEventRow[] = [];
  let unreadableLines = 0;
  for (const name of names) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        rows.push(JSON.parse(line) as DebugEventRow);
      } catch {
        unreadableLines += 1;
      }
    }
  }
  return { files: names, rows, unreadableLines };
}

export interface FixtureProcess {
  child: ChildProcessWithoutNullStreams;
  /** Parsed JSON lines from standard output, in order. */
  lines: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the exit code and signal; rejects if the process outlives `timeoutMs`. */
  exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  send(line: string): void;
}

/** Runs `test/faults/fixtures/<name>` under tsx, reading its standard output as JSON lines. */
export function runFixture(
  name: string,
  env: Record<string, string>,
  nodeOptions: string[] = [],
): FixtureProcess {
  const script = join(REPO_ROOT, 'test', 'faults', 'fixtures', name);
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const errors: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    lines,
    stderr: () => errors.join(''),
    async exited(timeoutMs) {
      const timer = sleep(timeoutMs, 'timeout' as const, { ref: false });
      const outcome = await Promise.race([exit, timer]);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`fixture ${name} still running after ${timeoutMs} ms`);
      }
      return outcome;
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
  };
}
