/**
 * Recording settings, read once from the environment when the recorder starts. Every
 * variable here is listed, with its default, in the README's configuration reference.
 */
import { join } from 'node:path';

import { OpenAIOpsConfigError } from '../config/errors.js';
import { processEnv, readFlag, readInt, readVar, type EnvSource } from '../config/env.js';

export interface RecorderSettings {
  /**
   * Events per store write; undefined lets the store choose (`EventStore.batchSize`, else
   * `DEFAULT_BATCH_SIZE`).
   */
  batchSize: number | undefined;
  /** Longest time an event waits in memory before it leaves for the store or the spool. */
  flushIntervalMs: number;
  /** Events held in memory at most; beyond this, batches go straight to the spool. */
  maxQueue: number;
  /** A store write slower than this counts as failed and its batch is spooled. */
  writeTimeoutMs: number;
  spoolDir: string;
  /** Spool size at which new events are dropped (and counted); 0 means no limit. */
  spoolMaxBytes: number;
  /** How often the spool is written to disk, which bounds what a crash can lose. */
  spoolWriteIntervalMs: number;
  /** How often a non-empty spool is offered back to the store. */
  replayIntervalMs: number;
  /** Flush on SIGTERM, SIGINT and normal exit. */
  flushOnExit: boolean;
}

/** Events per store write when neither the environment nor the store says otherwise. */
export const DEFAULT_BATCH_SIZE = 500;

export interface ContentSettings {
  captureContent: boolean;
  contentMaxBytes: number;
  redactPatterns: RegExp[];
}

export interface DebugDetailsSettings {
  timeoutMs: number;
  maxConcurrent: number;
}

/** `OPENAI_OPS_DATA_DIR`, where the embedded store and the spool live by default. */
export function dataDir(env: EnvSource = processEnv()): string {
  return readVar(env, 'OPENAI_OPS_DATA_DIR') ?? '.openai-ops';
}

export function readRecorderSettings(env: EnvSource = processEnv()): RecorderSettings {
  return {
    batchSize:
      readVar(env, 'OPENAI_OPS_BATCH_SIZE') === undefined
        ? undefined
        : readInt(env, 'OPENAI_OPS_BATCH_SIZE', DEFAULT_BATCH_SIZE, { min: 1, max: 50_000 }),
    flushIntervalMs: readInt(env, 'OPENAI_OPS_FLUSH_INTERVAL_MS', 200, { min: 1, max: 60_000 }),
    maxQueue: readInt(env, 'OPENAI_OPS_MAX_QUEUE', 20_000, { min: 1 }),
    writeTimeoutMs: readInt(env, 'OPENAI_OPS_WRITE_TIMEOUT_MS', 5_000, { min: 10 }),
    spoolDir: readVar(env, 'OPENAI_OPS_SPOOL_DIR') ?? join(dataDir(env), 'spool'),
    spoolMaxBytes: readInt(env, 'OPENAI_OPS_SPOOL_MAX_BYTES', 1024 ** 3),
    spoolWriteIntervalMs: readInt(env, 'OPENAI_OPS_SPOOL_WRITE_INTERVAL_MS', 100, {
      min: 1,
      max: 10_000,
    }),
    replayIntervalMs: readInt(env, 'OPENAI_OPS_REPLAY_INTERVAL_MS', 2_000, { min: 10 }),
    flushOnExit: readFlag(env, 'OPENAI_OPS_FLUSH_ON_EXIT'),
  };
}

export function readContentSettings(env: EnvSource = processEnv()): ContentSettings {
  return {
    captureContent: readFlag(env, 'OPENAI_DEBUG_CAPTURE_CONTENT'),
    contentMaxBytes: readInt(env, 'OPENAI_DEBUG_CONTENT_MAX_BYTES', 8_192, { min: 0 }),
    redactPatterns: readPatterns(env, 'OPENAI_DEBUG_REDACT_PATTERNS'),
  };
}

export function readDebugDetailsSettings(env: EnvSource = processEnv()): DebugDetailsSettings {
  return {
    timeoutMs: readInt(env, 'OPENAI_DEBUG_FETCH_TIMEOUT_MS', 5_000, { min: 1 }),
    maxConcurrent: readInt(env, 'OPENAI_DEBUG_FETCH_CONCURRENCY', 4, { min: 1, max: 64 }),
  };
}

/** Space-separated regular expressions; write a literal space as `\s`. */
function readPatterns(env: EnvSource, name: string): RegExp[] {
  const value = readVar(env, name);
  if (value === undefined) return [];
  return value.split(/\s+/).map((source) => {
    try {
      return new RegExp(source, 'g');
    } catch (error) {
      throw new OpenAIOpsConfigError(
        `${name}: ${JSON.stringify(source)} is not a valid regular expression.`,
        { variable: name, cause: error },
      );
    }
  });
}
