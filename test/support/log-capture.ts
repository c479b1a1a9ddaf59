/** A pino logger whose lines a test can read back. */
import { Writable } from 'node:stream';

import { pino, type Logger } from 'pino';

export interface CapturedLogs {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** Lines whose `event` field equals `name`. */
  events(name: string): Record<string, unknown>[];
  text(): string;
}

export function captureLogs(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = pino({ level: 'debug' }, destination);
  return {
    logger,
    lines,
    events: (name) => lines.filter((line) => line.event === name),
    text: () => raw.join('\n'),
  };
}
