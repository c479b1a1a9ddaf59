/**
 * The library's structured log: pino JSON lines on standard error, so a host's own
 * standard output stays clean. Event names are stable (`openai.events_spooled`); data
 * from outside the process is nested under a key, never spread into the line.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

import { processEnv, readVar, type EnvSource } from './env.js';

export type { Logger } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

let current: Logger | undefined;

/**
 * A logger at `OPENAI_OPS_LOG_LEVEL` (default `info`) writing to `destination` (default
 * standard error).
 */
export function createLogger(
  destination: DestinationStream = pino.destination({ fd: 2, sync: false }),
  env: EnvSource = processEnv(),
): Logger {
  const wanted = readVar(env, 'OPENAI_OPS_LOG_LEVEL')?.toLowerCase() ?? 'info';
  const level = LEVELS.has(wanted) ? wanted : 'info';
  return pino({ name: 'openai-ops', level, base: { pid: process.pid } }, destination);
}

/** The shared logger, created on first use. */
export function getLogger(): Logger {
  current ??= createLogger();
  return current;
}

/** Replaces the shared logger (a host's own pino instance, or a test's capture). */
export function setLogger(logger: Logger | undefined): void {
  current = logger;
}
