/**
 * A logger for commands that run the recording pipeline themselves: its JSON lines are kept
 * (up to a bound) instead of interleaving with the command's own output, so the command can
 * report on them — for instance which debug lookups failed and why.
 */
import { Writable } from 'node:stream';

import { pino, type Logger } from 'pino';

const MAX_LINES = 10_000;

export interface LogCollector {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** `reason` of each `openai.debug_fetch_failed` line, by request id. */
  debugFailures(): Map<string, string>;
}

export function collectLogs(): LogCollector {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '' && lines.length < MAX_LINES)
          lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return {
    logger: pino({ name: 'openai-ops', level: 'info' }, destination),
    lines,
    debugFailures() {
      const failures = new Map<string, string>();
      for (const line of lines) {
        if (line.event !== 'openai.debug_fetch_failed') continue;
        failures.set(String(line.request_id), String(line.reason));
      }
      return failures;
    },
  };
}
