/**
 * Replaying a large spool segment holds one batch in memory, not the segment: the recorder
 * reads a claimed segment a chunk at a time and hands the store batches as it goes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { collectGarbage } from '../../bench/support/gc.js';
import { EventRecorder } from '../../src/events/recorder.js';
import type { DebugEventRow, EventStore } from '../../src/stores/types.js';
import { makeRow } from '../support/rows.js';
import { MB } from './drive.js';

/** About 19 MB of JSON lines. */
const ROWS = 20_000;
const BATCH_SIZE = 500;
/** Longer than a read chunk (256 KiB), so it is assembled across reads. */
const LONG_TEXT = 'x'.repeat(600 * 1024);
/**
 * Measured: at most 1.8 MB above the heap before the replay (one batch, a read chunk and
 * the ids this test keeps). Read whole, as the spool once did, the segment's rows held
 * 18.5 MB at every write.
 */
const HEAP_LIMIT_MB = 8;

let spoolDir: string | undefined;
let recorder: EventRecorder | undefined;

afterEach(async () => {
  await recorder?.shutdown();
  if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
});

/** A segment as an earlier process would have left it; the last line lacks its newline. */
function writeSegment(dir: string): void {
  const lines: string[] = [];
  for (let index = 0; index < ROWS; index += 1) {
    const row =
      index === ROWS / 2
        ? makeRow(index, { errorMessage: LONG_TEXT })
        : makeRow(index, { errorMessage: `é ${index}` });
    lines.push(JSON.stringify(row));
  }
  writeFileSync(join(dir, '20260101T000000000Z-1-000001.ndjson'), lines.join('\n'));
}

/** A store that keeps only what the test checks, and samples the heap at every write. */
function observingStore(seen: { ids: Set<string>; largest: number; heapPeak: number }) {
  const writeEvents = (rows: readonly DebugEventRow[]): Promise<void> => {
    for (const row of rows) seen.ids.add(row.requestId);
    seen.largest = Math.max(seen.largest, rows.length);
    if (rows.some((row) => row.errorMessage === LONG_TEXT)) seen.ids.add('long text intact');
    collectGarbage();
    seen.heapPeak = Math.max(seen.heapPeak, process.memoryUsage().heapUsed);
    return Promise.resolve();
  };
  const store: EventStore = {
    kind: 'postgres',
    location: 'memory',
    migrate: () => Promise.resolve(),
    writeEvents,
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return store;
}

describe('replaying a large spool segment', () => {
  it('stores every row once, a batch at a time, without reading the segment whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openai-ops-replay-'));
    spoolDir = dir;
    writeSegment(dir);
    const seen = { ids: new Set<string>(), largest: 0, heapPeak: 0 };
    const store = observingStore(seen);
    collectGarbage();
    const baseline = process.memoryUsage().heapUsed;

    recorder = new EventRecorder({
      openStore: () => Promise.resolve(store),
      logger: pino({ level: 'silent' }),
      settings: {
        batchSize: BATCH_SIZE,
        flushIntervalMs: 10,
        maxQueue: 5_000,
        writeTimeoutMs: 5_000,
        spoolDir: dir,
        spoolMaxBytes: 0,
        spoolWriteIntervalMs: 20,
        replayIntervalMs: 100,
        flushOnExit: false,
      },
    });
    const started = performance.now();
    while (recorder.stats().replayed < ROWS && performance.now() - started < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(recorder.stats()).toMatchObject({ replayed: ROWS, dropped: 0 });
    expect(seen.ids.size).toBe(ROWS + 1);
    expect(seen.ids.has('long text intact')).toBe(true);
    expect(seen.largest).toBeLessThanOrEqual(BATCH_SIZE);
    const growthMb = (seen.heapPeak - baseline) / MB;
    console.log(`replay of ${ROWS} spooled rows: heap at most ${growthMb.toFixed(1)} MB above`);
    expect(growthMb).toBeLessThanOrEqual(HEAP_LIMIT_MB);
  }, 60_000);
});
