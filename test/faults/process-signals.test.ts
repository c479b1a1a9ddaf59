/**
 * A service process that is told to stop (SIGTERM) or killed outright (SIGKILL) while it is
 * calling OpenAI: what its recorder leaves in the store and the spool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  configureOpenAIEvents,
  getOpenAIEventStats,
  shutdownOpenAIEvents,
} from '../../src/events/runtime.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { ReadableEventStore } from '../../src/stores/types.js';
import { captureLogs } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { closedPort } from '../support/ports.js';
import {
  FAULT_KEY,
  readSpool,
  runFixture,
  serviceEnv,
  storedCounts,
  waitFor,
  type FixtureProcess,
} from './fault-support.js';

const FLUSH_INTERVAL_MS = 100;
const SPOOL_WRITE_INTERVAL_MS = 100;
/** Calls the child must have finished before it is signalled: well into the stream. */
const CALLS_BEFORE_SIGNAL = 150;
/** How long a process that has finished its work may take to flush and end. */
const EXIT_BOUND_MS = 3_000;

let sim: Simulator;
let db: TestDatabase;
let reader: ReadableEventStore;
let scratch: string | undefined;
let child: FixtureProcess | undefined;

beforeAll(async () => {
  sim = await startSimulator({ keys: [{ key: FAULT_KEY, organization: 'org-faults' }] });
  db = await createTestDatabase('openai_ops_faults');
  reader = createPostgresStore({ url: db.url });
  await reader.migrate();
});

afterAll(async () => {
  await reader?.close();
  await db?.drop();
  await sim?.close();
});

afterEach(async () => {
  child?.child.kill('SIGKILL');
  child = undefined;
  await shutdownOpenAIEvents();
  const admin = postgres(db.url, { max: 1, onnotice: () => undefined });
  await admin`truncate openai_debug_events`;
  await admin.end();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

interface Printed {
  id: string;
  at: number;
}

function startService(
  storeUrl: string,
  extraEnv: Record<string, string> = {},
): { spoolDir: string; process: FixtureProcess } {
  scratch = mkdtempSync(join(tmpdir(), 'openai-ops-signals-'));
  const spoolDir = join(scratch, 'spool');
  child = runFixture('calling-process.ts', {
    ...serviceEnv(sim.baseURL),
    FAULT_STORE_URL: storeUrl,
    OPENAI_OPS_DATA_DIR: scratch,
    OPENAI_OPS_SPOOL_DIR: spoolDir,
    OPENAI_OPS_FLUSH_ON_EXIT: 'true',
    OPENAI_OPS_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
    OPENAI_OPS_SPOOL_WRITE_INTERVAL_MS: String(SPOOL_WRITE_INTERVAL_MS),
    ...extraEnv,
  });
  return { spoolDir, process: child };
}

function printedCalls(service: FixtureProcess): Printed[] {
  const errors = service.lines.filter((line) => 'error' in line);
  expect(errors).toEqual([]);
  return service.lines.map((line) => ({ id: String(line.id), at: Number(line.at) }));
}

async function signalMidStream(service: FixtureProcess, signal: NodeJS.Signals) {
  await waitFor('the service to be mid-stream', () => {
    if (service.child.exitCode !== null) throw new Error(`service died: ${service.stderr()}`);
    return service.lines.length >= CALLS_BEFORE_SIGNAL;
  });
  const signalledAt = Date.now();
  service.child.kill(signal);
  const exit = await service.exited(15_000);
  return { signalledAt, exit, exitMs: Date.now() - signalledAt };
}

/** Request ids found neither in the store nor in any spool segment. */
async function lostCalls(printed: readonly Printed[], spoolDir: string): Promise<Printed[]> {
  const stored = await storedCounts(reader);
  const spooled = new Set(readSpool(spoolDir).rows.map((row) => row.requestId));
  return printed.filter((call) => !stored.requestIds.has(call.id) && !spooled.has(call.id));
}

/** Starts a pipeline on the spool with the store up, and waits until it has replayed it all. */
async function replayWithNextStart(spoolDir: string): Promise<void> {
  const logs = captureLogs();
  configureOpenAIEvents({
    env: serviceEnv(sim.baseURL),
    openStore: () => Promise.resolve(createPostgresStore({ url: db.url })),
    settings: { spoolDir, replayIntervalMs: 100 },
    logger: logs.logger,
  });
  await waitFor('the next start to replay the spool', () => readSpool(spoolDir).files.length === 0);
  expect(getOpenAIEventStats().replayed).toBeGreaterThan(0);
}

describe('SIGTERM mid-stream with flush on exit', () => {
  it('leaves every finished call in the store or the spool, and the next start stores each once', async () => {
    const service = startService(db.url);
    const { signalledAt, exit, exitMs } = await signalMidStream(service.process, 'SIGTERM');
    const printed = printedCalls(service.process);
    const lost = await lostCalls(printed, service.spoolDir);
    console.log(
      `SIGTERM, store up: ${printed.length} calls printed, exit after ${exitMs} ms ` +
        `(${JSON.stringify(exit)}), ${lost.length} in neither store nor spool ` +
        `${afterSignal(lost, signalledAt)}`,
    );
    expect(exit.signal).toBe('SIGTERM');
    expect.soft(lost).toEqual([]);

    await replayWithNextStartIfAny(service.spoolDir);
    const stored = await storedCounts(reader);
    const kept = printed.filter((call) => !lost.includes(call));
    expect(kept.filter((call) => !stored.requestIds.has(call.id))).toEqual([]);
    expect(stored.distinct).toBe(stored.total);
  });

  it('spools every finished call while the store is down, and the next start stores each once', async () => {
    const closed = new URL(db.url);
    closed.port = String(await closedPort());
    const service = startService(closed.href);
    const { signalledAt, exit, exitMs } = await signalMidStream(service.process, 'SIGTERM');
    const printed = printedCalls(service.process);
    const spooled = readSpool(service.spoolDir);
    const spooledIds = new Set(spooled.rows.map((row) => row.requestId));
    const lost = printed.filter((call) => !spooledIds.has(call.id));
    console.log(
      `SIGTERM, store down: ${printed.length} calls printed, ${spooled.rows.length} rows ` +
        `spooled, exit after ${exitMs} ms (${JSON.stringify(exit)}), ${lost.length} not spooled ` +
        afterSignal(lost, signalledAt),
    );
    expect(exit.signal).toBe('SIGTERM');
    expect(spooled.unreadableLines).toBe(0);
    expect.soft(lost).toEqual([]);

    await replayWithNextStart(service.spoolDir);
    const stored = await storedCounts(reader);
    expect(spooled.rows.filter((row) => !stored.requestIds.has(row.requestId))).toEqual([]);
    expect(stored.distinct).toBe(stored.total);
    expect(stored.total).toBe(spooled.rows.length);
  });
});

describe('a normal exit with flush on exit', () => {
  it('ends promptly after the last call and leaves every call stored', async () => {
    const service = startService(db.url, { FAULT_TOTAL_CALLS: '20' });
    const exit = await service.process.exited(EXIT_BOUND_MS + 5_000).catch(() => null);
    const exitedAt = Date.now();
    const printed = printedCalls(service.process);
    const lastCallAt = Math.max(...printed.map((call) => call.at));
    const lost = await lostCalls(printed, service.spoolDir);
    console.log(
      `normal exit, store up: ${printed.length} calls, ` +
        (exit === null
          ? `still running ${exitedAt - lastCallAt} ms after its last call (killed)`
          : `exited ${exitedAt - lastCallAt} ms after its last call (${JSON.stringify(exit)})`) +
        `, ${lost.length} in neither store nor spool`,
    );
    expect(printed).toHaveLength(20);
    expect.soft(lost).toEqual([]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAt - lastCallAt).toBeLessThanOrEqual(EXIT_BOUND_MS);
  });
});

describe('SIGKILL mid-stream', () => {
  it('loses at most the calls of the last flush and spool intervals', async () => {
    const service = startService(db.url);
    const { signalledAt, exit } = await signalMidStream(service.process, 'SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const printed = printedCalls(service.process);
    const lost = await lostCalls(printed, service.spoolDir);
    const ages = lost.map((call) => signalledAt - call.at);
    // An event waits at most one flush interval in memory, then one write is in flight; were
    // the store failing it would wait at most one spool write interval more.
    const boundMs = FLUSH_INTERVAL_MS + SPOOL_WRITE_INTERVAL_MS + 100;
    const span =
      lost.length === 0
        ? ''
        : `, finished ${Math.min(...ages)} to ${Math.max(...ages)} ms before the kill`;
    console.log(
      `SIGKILL, store up: ${printed.length} calls printed, ${lost.length} lost${span} ` +
        `(bound ${boundMs} ms = flush ${FLUSH_INTERVAL_MS} + spool write ` +
        `${SPOOL_WRITE_INTERVAL_MS} + 100 for the write in flight)`,
    );
    expect(Math.max(0, ...ages)).toBeLessThanOrEqual(boundMs);

    await replayWithNextStartIfAny(service.spoolDir);
    const stored = await storedCounts(reader);
    expect(stored.distinct).toBe(stored.total);
  });
});

async function replayWithNextStartIfAny(spoolDir: string): Promise<void> {
  if (readSpool(spoolDir).files.length > 0) await replayWithNextStart(spoolDir);
}

/** When the given calls finished, relative to the signal, for the test's summary line. */
function afterSignal(calls: readonly Printed[], signalledAt: number): string {
  if (calls.length === 0) return '';
  const offsets = calls.map((call) => call.at - signalledAt);
  return `(finished ${Math.min(...offsets)} to ${Math.max(...offsets)} ms after the signal)`;
}
