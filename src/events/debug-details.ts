/**
 * Debug details: after an event is recorded, its `/v1/requests/{id}/debug` payload is
 * fetched in the background with the caller's own credentials and a timeout, and the event
 * is recorded again with the payload. A failed lookup is logged and the event kept as is.
 */
import type { Logger } from 'pino';

import type { DebugEventRow } from '../stores/types.js';
import { redactPayload, type DebugLookup } from './capture.js';
import { statusClassOf } from './event-row.js';
import type { DebugDetailsSettings } from './settings.js';
import { isObject } from './usage.js';

/** Lookups waiting beyond the concurrent ones; more than this are logged and skipped. */
const MAX_WAITING = 1_000;

export class DebugDetailsFetcher {
  readonly #settings: DebugDetailsSettings;
  readonly #logger: Logger;
  readonly #onDetails: (row: DebugEventRow) => void;
  readonly #waiting: DebugLookup[] = [];
  readonly #running = new Set<Promise<void>>();
  /** Lookups in flight, with when each started. */
  readonly #controllers = new Map<AbortController, number>();

  constructor(options: {
    settings: DebugDetailsSettings;
    logger: Logger;
    onDetails: (row: DebugEventRow) => void;
  }) {
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#onDetails = options.onDetails;
  }

  /** Queues a lookup; returns at once. */
  schedule(lookup: DebugLookup): void {
    if (this.#waiting.length >= MAX_WAITING) {
      this.#failed(lookup.row, 'too many debug lookups waiting');
      return;
    }
    this.#waiting.push(lookup);
    this.#pump();
  }

  /**
   * Gives up every lookup still waiting or running, logging each as failed with `reason`:
   * for a flush that must not wait longer than one lookup's timeout.
   */
  abandon(reason: string): void {
    for (const lookup of this.#waiting.splice(0)) this.#failed(lookup.row, reason);
    const now = performance.now();
    for (const [controller, startedAt] of this.#controllers) {
      // A lookup already past its own timeout (its timer is late on a busy loop) timed out.
      const timedOut = now - startedAt >= this.#settings.timeoutMs;
      controller.abort(new Error(timedOut ? timeoutReason(this.#settings.timeoutMs) : reason));
    }
  }

  /** Resolves when every lookup scheduled so far has finished. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #pump(): void {
    while (this.#running.size < this.#settings.maxConcurrent && this.#waiting.length > 0) {
      const lookup = this.#waiting.shift() as DebugLookup;
      const run: Promise<void> = this.#lookup(lookup).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #lookup(lookup: DebugLookup): Promise<void> {
    const { row, baseUrl, headers, fetch } = lookup;
    const url = `${baseUrl}/requests/${encodeURIComponent(row.requestId)}/debug`;
    const controller = new AbortController();
    this.#controllers.set(controller, performance.now());
    let payload: unknown;
    try {
      const response = await fetch(url, {
        headers,
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(this.#settings.timeoutMs)]),
      });
      const text = await response.text();
      if (!response.ok) {
        this.#failed(row, lookup.redact(`HTTP ${response.status}: ${text.slice(0, 200)}`));
        return;
      }
      payload = JSON.parse(text);
    } catch (error) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
      this.#failed(row, lookup.redact(reasonOf(reason, this.#settings.timeoutMs)));
      return;
    } finally {
      this.#controllers.delete(controller);
    }
    if (!isObject(payload)) {
      this.#failed(row, 'the debug payload is not a JSON object');
      return;
    }
    this.#onDetails(withDetails(row, redactPayload(payload, lookup)));
  }

  #failed(row: DebugEventRow, reason: string): void {
    this.#logger.warn(
      {
        event: 'openai.debug_fetch_failed',
        request_id: row.requestId,
        endpoint: row.endpoint,
        reason,
      },
      'could not fetch debug details for an OpenAI request',
    );
  }
}

/** The row with its debug payload, and the status code the payload reports, if any. */
export function withDetails(row: DebugEventRow, payload: Record<string, unknown>): DebugEventRow {
  const response = payload.response;
  const reported = isObject(response) ? response.status_code : undefined;
  if (typeof reported !== 'number' || !Number.isInteger(reported))
    return { ...row, debug: payload };
  const statusClass = statusClassOf(reported);
  const tags = row.metadata.tags.map((tag) =>
    tag.startsWith('status:') ? `status:${statusClass}` : tag,
  );
  return {
    ...row,
    debug: payload,
    statusCode: reported,
    statusClass,
    metadata: { ...row.metadata, tags },
  };
}

function timeoutReason(timeoutMs: number): string {
  return `no answer within ${timeoutMs} ms`;
}

function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return timeoutReason(timeoutMs);
  if (error instanceof SyntaxError) return 'the debug payload is not valid JSON';
  return error instanceof Error ? error.message : String(error);
}
