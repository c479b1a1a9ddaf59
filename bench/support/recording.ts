/**
 * The instrumented client's environment and its recording pipeline, wired as a service
 * would wire them: events go to a Postgres store, failures to a spool in a temp folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { configureOpenAIEvents, shutdownOpenAIEvents } from '../../src/events/runtime.js';
import type { RecorderSettings } from '../../src/events/settings.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import { createLogCounter, type LogCounter } from './log-counter.js';

/** Any `sk-` key is accepted by a simulator started without a key list. */
export const BENCH_API_KEY = 'sk-bench-0000000000000000000000000abcd';

/** The default workload's variables, recording on, with tags and a quota tag to merge. */
export function instrumentedEnv(baseURL: string): Record<string, string> {
  return {
    OPENAI_API_KEY: BENCH_API_KEY,
    OPENAI_BASE_URL: baseURL,
    OPENAI_ORG_ID: 'org-bench',
    OPENAI_REQUEST_TAGS: 'service:bench,env:perf,team:platform',
    OPENAI_REQUEST_QUOTA_TAG: 'bench-q1',
    OPENAI_DEBUG_LOGGING: 'true',
  };
}

export interface Recording {
  spoolDir: string;
  logs: LogCounter;
  /** Flushes and shuts the pipeline down, then removes the spool folder. */
  stop(): Promise<void>;
}

/** Starts the process-wide pipeline, writing to the Postgres database at `storeUrl`. */
export async function startRecording(options: {
  env: Record<string, string>;
  storeUrl: string;
  settings?: Partial<RecorderSettings>;
}): Promise<Recording> {
  const spoolDir = await mkdtemp(join(tmpdir(), 'openai-ops-bench-spool-'));
  const logs = createLogCounter();
  configureOpenAIEvents({
    env: options.env,
    openStore: () => Promise.resolve(createPostgresStore({ url: options.storeUrl })),
    settings: { ...options.settings, spoolDir },
    logger: logs.logger,
  });
  return {
    spoolDir,
    logs,
    async stop() {
      await shutdownOpenAIEvents();
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}
