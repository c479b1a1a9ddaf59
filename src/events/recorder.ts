/**
 * The recorder: a constant-time `record` on the request path, and in the background,
 * batches to the store, the spool when the store fails or falls behind, and replay of the
 * spool once the store answers again. Every event is counted on its way.
 */
import type { Logger } from 'pino';

import type { DebugEventRow, EventStore } from '../stores/types.js';
import type { EventSink } from './capture.js';
import { DEFAULT_BATCH_SIZE, type RecorderSettings } from './settings.js';
import { Spool, type SpoolClaim, type SpoolStats } from './spool.js';

/** Counters since the recorder started; `queueDepth` is the events waiting in memory. */
export interface EventStats {
  recorded: number;
  /** Events recorded again with their debug details. */
  enriched: number;
  stored: number;
  spooled: number;
  replayed: number;
  dropped: number;
  queueDepth: number;
  inFlight: number;
  storeAvailable: boolean;
  lastStoreError: string | null;
  spool: SpoolStats;
}

export interface RecorderOptions {
  openStore: () => Promise<EventStore>;
  settings: RecorderSettings;
  logger: Logger;
}

/**
 * Store writes at once. Each write spends part of its time on this side (encoding) and
 * part waiting for the database (parsing, index updates, commit); with four under way both
 * sides stay busy, where two left PostgreSQL idle between batches (docs/performance.md,
 * "Ingest"). The Postgres store's pool has a connection for each, and one more.
 */
export const MAX_WRITES_IN_FLIGHT = 4;

/**
 * Deferred events built at most in one go: each holds its response until it is built, so
 * more than this are built on the next turn rather than waiting for a full batch.
 */
export const MAX_DEFERRED_BUILDS = 256;

export class EventRecorder implements EventSink {
  readonly #settings: RecorderSettings;
  readonly #logger: Logger;
  readonly #openStore: () => Promise<EventStore>;
  readonly #spool: Spool;
  readonly #writes = new Set<Promise<void>>();
  /** Events per write: the setting, else the store's own choice once it is open. */
  #batchSize: number;
  #queue: DebugEventRow[] = [];
  #deferred: (() => DebugEventRow)[] = [];
  #store: Promise<EventStore> | undefined;
  #storeAvailable = true;
  #flushTimer: NodeJS.Timeout | undefined;
  /** A full batch is waiting for the drain already scheduled; one drain takes them all. */
  #drainScheduled = false;
  #replayTimer: NodeJS.Timeout;
  #replaying: Promise<void> | undefined;
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #spoolLogPending = 0;
  #counts = { recorded: 0, enriched: 0, stored: 0, spooled: 0, replayed: 0, dropped: 0 };
  #lastStoreError: string | null = null;

  constructor(options: RecorderOptions) {
    this.#settings = options.settings;
    this.#batchSize = options.settings.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#logger = options.logger;
    this.#openStore = options.openStore;
    this.#spool = new Spool({
      dir: options.settings.spoolDir,
      maxBytes: options.settings.spoolMaxBytes,
      writeIntervalMs: options.settings.spoolWriteIntervalMs,
      onWriteError: (error) =>
        this.#logger.error(
          { event: 'openai.spool_write_failed', spool_dir: options.settings.spoolDir, err: error },
          'could not write debug events to the spool',
        ),
    });
    this.#replayTimer = setInterval(() => void this.#replay(), options.settings.replayIntervalMs);
    this.#replayTimer.unref();
    setImmediate(() => {
      // Connecting and migrating take many round trips, which on a loop busy with traffic
      // could outlast the first write's timeout; start them before the first batch is due.
      void this.#getStore().catch(() => undefined);
      // A spool left by an earlier run is offered to the store straight away.
      void this.#replay();
    });
  }

  /** Queues an event. Never throws, never waits; the work happens in the background. */
  record(row: DebugEventRow): void {
    this.#counts.recorded += 1;
    this.#enqueue(row);
  }

  /**
   * Queues the event `build` returns. It is built with the batch it leaves in, in one go
   * with the others, rather than on the turn after each call, where it would delay
   * whatever the caller does next.
   */
  defer(build: () => DebugEventRow): void {
    if (this.#closed) {
      this.#buildOne(build);
      return;
    }
    this.#deferred.push(build);
    const waiting = this.#deferred.length + this.#queue.length;
    this.#scheduleDrain(waiting >= this.#batchSize || this.#deferred.length >= MAX_DEFERRED_BUILDS);
  }

  /** Builds and records every deferred event now. */
  buildDeferred(): void {
    const builds = this.#deferred;
    this.#deferred = [];
    for (const build of builds) this.#buildOne(build);
  }

  #buildOne(build: () => DebugEventRow): void {
    try {
      this.record(build());
    } catch (error) {
      this.#logger.error(
        { event: 'openai.capture_failed', err: error },
        'could not build an event',
      );
    }
  }

  /** Queues a recorded event again, now carrying its debug details; it replaces the first. */
  recordDetails(row: DebugEventRow): void {
    this.#counts.enriched += 1;
    this.#enqueue(row);
  }

  #enqueue(row: DebugEventRow): void {
    if (this.#closed) {
      // After shutdown nothing runs in the background any more: write it down at once.
      this.#spool.appendNow([row]);
      this.#counts.spooled += 1;
      return;
    }
    this.#queue.push(row);
    this.#scheduleDrain(this.#queue.length + this.#deferred.length >= this.#batchSize);
  }

  /** Drains on the next turn of the event loop when `soon`, else within the flush interval. */
  #scheduleDrain(soon: boolean): void {
    if (soon) {
      if (!this.#drainScheduled) {
        this.#drainScheduled = true;
        setImmediate(() => {
          this.#drainScheduled = false;
          this.#drain();
        });
      }
    } else if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => this.#drain(true), this.#settings.flushIntervalMs);
      this.#flushTimer.unref();
    }
  }

  /** Resolves once every event recorded so far is stored or written to the spool. */
  async flush(): Promise<void> {
    this.buildDeferred();
    this.#drain(true);
    while (this.#writes.size > 0) {
      await Promise.allSettled([...this.#writes]);
      this.#drain(true);
    }
    await this.#spool.flush();
  }

  /**
   * Flushes until nothing is left (events keep arriving while a service shuts down), stops
   * the background timers and closes the store and the spool. Events recorded afterwards
   * are appended to the spool synchronously. A second call waits for the first.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#shutDown();
    return this.#shutdown;
  }

  async #shutDown(): Promise<void> {
    await this.flush();
    clearInterval(this.#replayTimer);
    await this.#replaying;
    while (this.#queue.length > 0 || this.#deferred.length > 0 || this.#writes.size > 0) {
      await this.flush();
    }
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    await this.#spool.close();
    const store = await this.#store?.catch(() => undefined);
    await store?.close().catch(() => undefined);
  }

  stats(): EventStats {
    const spool = this.#spool.stats();
    return {
      ...this.#counts,
      dropped: this.#counts.dropped + spool.dropped,
      queueDepth: this.#queue.length,
      inFlight: this.#writes.size,
      storeAvailable: this.#storeAvailable,
      lastStoreError: this.#lastStoreError,
      spool,
    };
  }

  /** Sends queued events to the store, or to the spool while the store is failing or full. */
  #drain(includePartial = false): void {
    this.buildDeferred();
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const batchSize = this.#batchSize;
    const { maxQueue } = this.#settings;
    while (this.#queue.length >= batchSize || (includePartial && this.#queue.length > 0)) {
      if (!this.#storeAvailable) {
        this.#toSpool(this.#takeQueue(this.#queue.length));
      } else if (this.#writes.size < MAX_WRITES_IN_FLIGHT) {
        this.#startWrite(this.#takeQueue(batchSize));
      } else {
        if (this.#queue.length > maxQueue) this.#toSpool(this.#takeQueue(this.#queue.length));
        break;
      }
    }
    if (this.#queue.length > 0 && this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => this.#drain(true), this.#settings.flushIntervalMs);
      this.#flushTimer.unref();
    }
  }

  #takeQueue(count: number): DebugEventRow[] {
    if (count >= this.#queue.length) {
      const all = this.#queue;
      this.#queue = [];
      return all;
    }
    return this.#queue.splice(0, count);
  }

  #startWrite(batch: DebugEventRow[]): void {
    const write = this.#write(batch).then(
      () => {
        this.#counts.stored += batch.length;
      },
      (error: unknown) => {
        this.#storeFailed(error, batch.length);
        this.#toSpool(batch);
      },
    );
    const tracked = write.finally(() => {
      this.#writes.delete(tracked);
      this.#drain();
    });
    this.#writes.add(tracked);
  }

  /**
   * One store write, abandoned (and its batch spooled) when it outlasts the write timeout.
   * Opening the store (connecting and migrating, on first use or after a failure) has an
   * allowance of its own of the same length: on a loop busy with traffic its many round
   * trips can take tens of seconds, and a batch waiting for them would otherwise hold
   * memory, and keep a flush waiting, for as long.
   */
  async #write(batch: readonly DebugEventRow[]): Promise<void> {
    const timeoutMs = this.#settings.writeTimeoutMs;
    const store = await withTimeout(this.#getStore(), timeoutMs, 'opening the store');
    // The store passes the timeout on, so the database cancels the write when we give up.
    await withTimeout(store.writeEvents(batch, { timeoutMs }), timeoutMs, 'store write');
  }

  #getStore(): Promise<EventStore> {
    this.#store ??= this.#openStore().then(async (store) => {
      await store.migrate();
      if (this.#settings.batchSize === undefined && store.batchSize !== undefined) {
        this.#batchSize = store.batchSize;
      }
      return store;
    });
    const store = this.#store;
    // A store that failed to open is opened again on the next attempt.
    store.catch(() => {
      if (this.#store === store) this.#store = undefined;
    });
    return store;
  }

  #storeFailed(error: unknown, count: number): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#storeAvailable) {
      this.#logger.error(
        { event: 'openai.debug_event_persist_failed', events: count, err: error },
        'debug events could not be stored; spooling them until the store answers',
      );
    }
    this.#storeAvailable = false;
    this.#lastStoreError = message;
  }

  #toSpool(rows: DebugEventRow[]): void {
    if (rows.length === 0) return;
    this.#spool.append(rows);
    this.#counts.spooled += rows.length;
    if (this.#spoolLogPending === 0) {
      setTimeout(() => this.#logSpooled(), 1_000).unref();
    }
    this.#spoolLogPending += rows.length;
  }

  #logSpooled(): void {
    this.#logger.warn(
      { event: 'openai.events_spooled', events: this.#spoolLogPending, ...this.#spool.stats() },
      'debug events written to the spool',
    );
    this.#spoolLogPending = 0;
  }

  /** Offers spooled events to the store, oldest segment first, until one fails. */
  #replay(): Promise<void> {
    this.#replaying ??= this.#replayAll().finally(() => {
      this.#replaying = undefined;
    });
    return this.#replaying;
  }

  async #replayAll(): Promise<void> {
    if (this.#closed) return;
    if (!this.#storeAvailable && !(await this.#probeStore())) return;
    for (;;) {
      const claim = await this.#spool.claimOldest().catch(() => undefined);
      if (claim === undefined) {
        // The store answers and nothing waits for it on disk: live batches may go to it.
        this.#markStoreAvailable();
        return;
      }
      const outcome = await this.#replayClaim(claim);
      if (outcome === 'unreadable') return;
      if (outcome === 'store-failed') {
        await claim.release().catch(() => undefined);
        return;
      }
      await claim.commit();
      this.#counts.replayed += claim.rowCount;
      this.#logger.info(
        {
          event: 'openai.events_replayed',
          events: claim.rowCount,
          skipped: claim.unreadableLines,
        },
        'spooled debug events stored',
      );
    }
  }

  /**
   * Writes a claimed segment to the store one batch at a time, so replaying holds one batch
   * in memory whatever the segment's size. Rows written before a failure are written again
   * with the rest on the next attempt, which the store's upsert makes harmless.
   *
   * A segment that cannot be read stays claimed by this process, as before a replay began:
   * once the process ends, a later one takes it over.
   */
  async #replayClaim(claim: SpoolClaim): Promise<'stored' | 'store-failed' | 'unreadable'> {
    try {
      for await (const batch of claim.batches(this.#batchSize)) {
        try {
          await this.#write(batch);
        } catch (error) {
          this.#storeFailed(error, batch.length);
          return 'store-failed';
        }
        // Only a write that succeeded shows the store can take events again.
        this.#markStoreAvailable();
      }
      return 'stored';
    } catch {
      return 'unreadable';
    }
  }

  /**
   * Asks the store whether it answers again, before reading a segment to replay. A ping
   * that answers does not yet make the store available to live batches: on a slow database
   * pings succeed while writes still time out, and each such write would hold a batch for
   * the whole timeout and log the failure again. The replay's first write decides.
   */
  async #probeStore(): Promise<boolean> {
    const timeoutMs = this.#settings.writeTimeoutMs;
    try {
      const store = await withTimeout(this.#getStore(), timeoutMs, 'opening the store');
      await withTimeout(store.ping(), timeoutMs, 'store ping');
      return true;
    } catch (error) {
      this.#lastStoreError = error instanceof Error ? error.message : String(error);
      return false;
    }
  }

  #markStoreAvailable(): void {
    this.#storeAvailable = true;
    this.#lastStoreError = null;
  }
}

/** Rejects when `work` has not settled within `timeoutMs`; the work itself carries on. */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
