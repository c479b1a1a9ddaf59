/**
 * Server-sent event responses, written one event per read so that a `cutStream` fault
 * can destroy the socket right after a chosen event has gone out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimContext } from './context.js';
import { cutAfterEvents } from './faults.js';

/** Time for the last event before a cut to leave the socket; loopback needs very little. */
const cutFlushMs = 10;

export interface SseEvent {
  /** The `event:` field; chat completions send none. */
  event?: string;
  data: string;
}

export function sseResponse(c: SimContext, events: readonly SseEvent[]): Response {
  const cutAfter = cutAfterEvents(c.get('fault'));
  const stopAt = cutAfter === undefined ? events.length : Math.min(cutAfter, events.length - 1);
  const socket = c.env.incoming.socket;
  const encoder = new TextEncoder();
  let index = 0;

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const event = index < stopAt ? events[index] : undefined;
        index += 1;
        if (event) {
          controller.enqueue(encoder.encode(formatEvent(event)));
          return;
        }
        if (cutAfter !== undefined) {
          await sleep(cutFlushMs);
          socket.destroy();
        }
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return c.body(body, 200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
}

function formatEvent(event: SseEvent): string {
  const name = event.event === undefined ? '' : `event: ${event.event}\n`;
  return `${name}data: ${event.data}\n\n`;
}
