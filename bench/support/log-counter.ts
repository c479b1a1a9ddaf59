/**
 * A pino logger that keeps only a count per `event` name, so a long run can report what
 * the pipeline logged without holding its lines in memory.
 */
import { Writable } from 'node:stream';

import { pino, type Logger } from 'pino';

export interface LogCounter {
  logger: Logger;
  /** Lines logged per `event` field, e.g. `{ 'openai.events_spooled': 12 }`. */
  counts(): Record<string, number>;
}

export function createLogCounter(): LogCounter {
  const counts = new Map<string, number>();
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        const { event = 'unnamed' } = JSON.parse(line) as { event?: string };
        counts.set(event, (counts.get(event) ?? 0) + 1);
      }
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, destination),
    counts: () => Object.fromEntries(counts),
  };
}
