/**
 * The spool's disk fails while the store is down: a 64 KiB tmpfs that fills up, and one
 * mounted read-only. Mounting needs root; without it these tests are skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  configureOpenAIEvents,
  flushOpenAIEvents,
  getOpenAIEventStats,
  shutdownOpenAIEvents,
} from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import { cli } from '../support/cli.js';
import { captureLogs, type CapturedLogs } from '../support/log-capture.js';
import { closedPort } from '../support/ports.js';
import { FAULT_KEY, readSpool, serviceEnv } from './fault-support.js';

const mountProblem = probeMount();
const mounted: string[] = [];
let sim: Simulator;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ keys: [{ key: FAULT_KEY, organization: 'org-faults' }] });
  env = serviceEnv(sim.baseURL);
});

afterEach(async () => {
  // Room first: a spool shut down with rows it could not write keeps retrying them, and
  // would recreate its folder after the unmount. Then shut down, so no segment stays open.
  for (const dir of mounted) spawnSync('mount', ['-o', 'remount,rw,size=4m', dir]);
  await shutdownOpenAIEvents();
  for (const dir of mounted.splice(0)) unmount(dir);
});

afterAll(async () => {
  await sim?.close();
});

describe('the spool disk fills up while the store is down', () => {
  it.skipIf(mountProblem !== null)(
    'serves every caller, reports ENOSPC and loses no event once there is room again',
    async () => {
      const spoolDir = mountTmpfs('64k');
      const logs = await startPipeline(spoolDir);
      const ids = await callMany(client(), 120);
      await flushOpenAIEvents();

      const stats = getOpenAIEventStats();
      expect(ids).toHaveLength(120);
      expect(logs.events('openai.spool_write_failed').length).toBeGreaterThan(0);
      expect(stats.spool.writeErrors).toBeGreaterThan(0);
      expect(stats.spool.lastWriteError).toMatch(/ENOSPC/);

      const full = readSpool(spoolDir);
      const status = await envSpool(spoolDir);
      console.log(
        `spool disk full: ${stats.recorded} recorded, ${full.rows.length} readable on disk, ` +
          `${full.unreadableLines} unreadable line(s), ${stats.spool.pendingRows} waiting in ` +
          `memory, ${stats.dropped} dropped; env reports ${JSON.stringify(status.spool)}`,
      );
      expect(status.spool).toMatchObject({ dir: spoolDir, writable: false });
      // Every event is on disk, waiting in memory for the disk, or counted as dropped.
      expect.soft(full.rows.length + stats.spool.pendingRows + stats.dropped).toBe(stats.recorded);

      run('mount', ['-o', 'remount,size=4m', spoolDir]);
      await flushOpenAIEvents();
      const after = readSpool(spoolDir);
      const onDisk = new Set(after.rows.map((row) => row.requestId));
      console.log(
        `spool disk with room again: ${after.rows.length} readable on disk, ` +
          `${after.unreadableLines} unreadable line(s)`,
      );
      expect.soft(after.unreadableLines).toBe(0);
      expect(ids.filter((id) => !onDisk.has(id))).toEqual([]);
    },
  );
});

describe('the spool disk is read-only while the store is down', () => {
  it.skipIf(mountProblem !== null)(
    'serves every caller, reports EROFS, holds the events and writes them once it can',
    async () => {
      const spoolDir = mountTmpfs('1m');
      run('mount', ['-o', 'remount,ro', spoolDir]);
      const logs = await startPipeline(spoolDir);
      const ids = await callMany(client(), 40);
      await flushOpenAIEvents();

      const stats = getOpenAIEventStats();
      expect(ids).toHaveLength(40);
      expect(logs.events('openai.spool_write_failed').length).toBeGreaterThan(0);
      expect(stats.spool.writeErrors).toBeGreaterThan(0);
      expect(stats.spool.lastWriteError).toMatch(/EROFS/);
      expect(stats.spool.pendingRows + stats.dropped).toBe(stats.recorded);

      run('mount', ['-o', 'remount,rw', spoolDir]);
      await flushOpenAIEvents();
      const onDisk = new Set(readSpool(spoolDir).rows.map((row) => row.requestId));
      expect(ids.filter((id) => !onDisk.has(id))).toEqual([]);
    },
  );

  it.skipIf(mountProblem !== null)(
    'is reported by `openai-ops env` as a spool that is not writable',
    async () => {
      const spoolDir = mountTmpfs('1m');
      run('mount', ['-o', 'remount,ro', spoolDir]);
      const status = await envSpool(spoolDir);
      console.log(
        `read-only spool: env exits ${status.code}, reports ${JSON.stringify(status.spool)}`,
      );
      expect(status.spool).toMatchObject({ dir: spoolDir, writable: false });
      expect(JSON.stringify(status.spool)).toMatch(/EROFS|read-only/i);
      expect(status.code).toBe(1);
    },
  );
});

function client(): OpenAI {
  return getOpenAIClientForWorkload('default', { env, maxRetries: 0 });
}

/** Starts the pipeline with the store on a closed port, so every event goes to the spool. */
async function startPipeline(spoolDir: string): Promise<CapturedLogs> {
  const logs = captureLogs();
  const url = `postgres://postgres@127.0.0.1:${await closedPort()}/openai_ops`;
  configureOpenAIEvents({
    env,
    openStore: () => Promise.resolve(createPostgresStore({ url, connectTimeoutSeconds: 1 })),
    settings: { spoolDir, flushIntervalMs: 10, spoolWriteIntervalMs: 20, replayIntervalMs: 200 },
    logger: logs.logger,
  });
  return logs;
}

/** Makes `count` calls, four at a time; any failure fails the test. */
async function callMany(openai: OpenAI, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const result = await openai.embeddings.create({
        model: 'text-embedding-3-small',
        input: `spool disk call ${next}`,
      });
      ids.push(result._request_id ?? 'missing');
    }
  };
  await Promise.all([caller(), caller(), caller(), caller()]);
  return ids;
}

async function envSpool(spoolDir: string): Promise<{ code: number; spool: unknown }> {
  const result = await cli(['--json', 'env'], { ...env, OPENAI_OPS_SPOOL_DIR: spoolDir });
  return { code: result.code, spool: result.json<{ spool?: unknown }>().spool };
}

function mountTmpfs(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'openai-ops-spool-disk-'));
  mounted.push(dir);
  run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return dir;
}

function unmount(dir: string): void {
  const result = spawnSync('umount', [dir]);
  if (result.status !== 0) spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
}

/** Why a tmpfs cannot be mounted here, or null when it can. */
function probeMount(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'openai-ops-mount-probe-'));
  try {
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], {
      encoding: 'utf8',
    });
    if (result.status !== 0) return `mount is not permitted: ${result.stderr.trim()}`;
    spawnSync('umount', [dir]);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (mountProblem !== null) console.warn(`spool disk fault tests skipped: ${mountProblem}`);
