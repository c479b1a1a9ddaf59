/**
 * Wiring for tests that drive the instrumented client end to end: a simulator with the
 * fleet's keys, a fresh PostgreSQL database as the store, and a spool in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { configureOpenAIEvents, shutdownOpenAIEvents } from '../../src/events/runtime.js';
import type { RecorderSettings } from '../../src/events/settings.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { DebugEventRow, ReadableEventStore } from '../../src/stores/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { captureLogs, type CapturedLogs } from './log-capture.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export const DEFAULT_KEY = 'sk-test-default-key-000000000000dflt';
export const PROD_KEY = 'sk-test-finance-prod-key-0000000prod';
export const STAGING_KEY = 'sk-test-finance-staging-key-0000stag';

export interface Harness {
  sim: Simulator;
  db: TestDatabase;
  reader: ReadableEventStore;
  logs: CapturedLogs;
  spoolDir: string;
  /** Environment for the fleet, pointed at the simulator, recording on. */
  env: Record<string, string>;
  /** Starts (or restarts) the recording pipeline with a fresh log capture. */
  startRecording(settings?: Partial<RecorderSettings>, env?: Record<string, string>): void;
  /** All stored rows, oldest first. */
  rows(): Promise<DebugEventRow[]>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const sim = await startSimulator({
    keys: [
      { key: DEFAULT_KEY, organization: 'org-default' },
      { key: PROD_KEY, organization: 'org-finance' },
      { key: STAGING_KEY, organization: 'org-finance-staging' },
    ],
  });
  const db = await createTestDatabase();
  const reader = createPostgresStore({ url: db.url });
  await reader.migrate();
  const spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-spool-'));
  const env: Record<string, string> = {
    OPENAI_API_KEY: DEFAULT_KEY,
    OPENAI_ORG_ID: 'org-default',
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_REQUEST_TAGS: 'service:rag,env:staging',
    OPENAI_API_KEY_FINANCE_PROD: PROD_KEY,
    OPENAI_ORG_ID_FINANCE_PROD: 'org-finance',
    OPENAI_REQUEST_TAGS_FINANCE_PROD: 'env:prod,team:ledger',
    OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'finance-emea',
    OPENAI_API_KEY_FINANCE_STAGING: STAGING_KEY,
    OPENAI_ORG_ID_FINANCE_STAGING: 'org-finance-staging',
    OPENAI_DEBUG_LOGGING: 'true',
  };
  const harness: Harness = {
    sim,
    db,
    reader,
    logs: captureLogs(),
    spoolDir,
    env,
    startRecording(settings = {}, extraEnv = {}) {
      harness.logs = captureLogs();
      configureOpenAIEvents({
        env: { ...env, ...extraEnv },
        openStore: () => Promise.resolve(createPostgresStore({ url: db.url })),
        settings: { spoolDir, flushIntervalMs: 10, replayIntervalMs: 100, ...settings },
        logger: harness.logs.logger,
      });
    },
    async rows() {
      const rows = await reader.queryEvents({ limit: 10_000 });
      return rows.reverse();
    },
    async close() {
      await shutdownOpenAIEvents();
      await reader.close();
      await sim.close();
      await db.drop();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
  return harness;
}
