/**
 * The process-wide recording pipeline behind the instrumented clients: one recorder and one
 * debug-details fetcher, created on the first recorded event, and the public functions to
 * flush, inspect and shut them down.
 */
import { processEnv, type EnvSource } from '../config/env.js';
import { getLogger, type Logger } from '../config/logger.js';
import { openEventStore } from '../stores/select-store.js';
import type { EventStore } from '../stores/types.js';
import type { DebugLookup, EventSink } from './capture.js';
import { DebugDetailsFetcher } from './debug-details.js';
import { EventRecorder, type EventStats } from './recorder.js';
import { handOnObservedEnds } from './response-observer.js';
import {
  readDebugDetailsSettings,
  readRecorderSettings,
  type RecorderSettings,
} from './settings.js';

export type { EventStats } from './recorder.js';

interface Pipeline {
  recorder: EventRecorder;
  details: DebugDetailsFetcher;
  /** How long a flush waits for debug lookups in flight: one lookup's timeout, shared. */
  detailsWaitMs: number;
}

/** Overrides for embedding hosts and tests; anything left out comes from the environment. */
export interface EventPipelineOptions {
  env?: EnvSource;
  openStore?: () => Promise<EventStore>;
  settings?: Partial<RecorderSettings>;
  logger?: Logger;
}

let pipeline: Pipeline | undefined;
let exitHooksInstalled = false;

/**
 * Starts the pipeline with explicit options, replacing none that is running (shut that down
 * first). Without this call the pipeline starts from the environment on first use.
 */
export function configureOpenAIEvents(options: EventPipelineOptions = {}): void {
  if (pipeline !== undefined) {
    throw new Error('openai-ops events are already running; call shutdownOpenAIEvents() first');
  }
  pipeline = createPipeline(options);
}

/** The sink the capture fetch records into. */
export function eventSink(): EventSink {
  return ensurePipeline().recorder;
}

/** Queues a debug-details lookup for a recorded event. */
export function scheduleDebugLookup(lookup: DebugLookup): void {
  ensurePipeline().details.schedule(lookup);
}

/**
 * Resolves once every event recorded so far (and every pending debug lookup) is stored or
 * spooled. Serverless handlers call this before returning.
 *
 * @example
 * export async function handler(event) {
 *   const reply = await getOpenAIClient().responses.create({ model: 'gpt-5.1', input: event.q });
 *   await flushOpenAIEvents();
 *   return reply.output_text;
 * }
 */
export async function flushOpenAIEvents(): Promise<void> {
  handOnObservedEnds();
  if (pipeline === undefined) return;
  pipeline.recorder.buildDeferred();
  await waitForDetails(pipeline);
  await pipeline.recorder.flush();
}

/** Flushes, then closes the store and the spool. Recording starts afresh on the next event. */
export async function shutdownOpenAIEvents(): Promise<void> {
  const current = await closePipeline();
  if (current !== undefined && pipeline === current) pipeline = undefined;
}

/**
 * Shuts the pipeline down for a process that is about to end, as the exit hooks do. Calls
 * go on while it shuts down; the events of those that end meanwhile or afterwards go to the
 * closed recorder, which writes each to the spool before returning (slower than a batch,
 * but nothing runs in the background any more), rather than to a new pipeline that nothing
 * would flush before the process ends. The next start replays them.
 */
export async function shutdownOpenAIEventsForExit(): Promise<void> {
  await closePipeline();
  handOnObservedEnds();
}

/** Flushes, then closes the store and the spool of the running pipeline, if any. */
async function closePipeline(): Promise<Pipeline | undefined> {
  handOnObservedEnds();
  const current = pipeline;
  if (current === undefined) return undefined;
  current.recorder.buildDeferred();
  await waitForDetails(current);
  await current.recorder.shutdown();
  return current;
}

/** Counters of the running pipeline; all zero before the first event. */
export function getOpenAIEventStats(): EventStats {
  // Calls whose responses have been read count as recorded, though their ends are handed
  // on at the next turn of the event loop.
  handOnObservedEnds();
  return pipeline?.recorder.stats() ?? emptyStats();
}

/**
 * Flushes on SIGTERM, SIGINT and when the event loop empties, then lets the process end as
 * it would have. Set `OPENAI_OPS_FLUSH_ON_EXIT=true` to install these automatically.
 */
export function installOpenAIEventsExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    void shutdownOpenAIEventsForExit().finally(() => {
      // Calls that ended since, in the promise steps before this one.
      handOnObservedEnds();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // The event loop is empty, so the process would end: store what is left and close the
  // store's connections (they would keep it alive). This fires again afterwards, as a no-op.
  process.on('beforeExit', () => {
    if (pipeline !== undefined) void shutdownOpenAIEvents();
  });
}

/**
 * Waits for debug lookups in flight, at most one lookup timeout in all: lookups that take
 * longer finish in the background, and their events are already recorded without them.
 */
async function waitForDetails(current: Pipeline): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, current.detailsWaitMs);
  });
  const idle = current.details.idle();
  const finished = await Promise.race([idle.then(() => true), deadline.then(() => false)]);
  clearTimeout(timer);
  if (finished) return;
  current.details.abandon('the flush waited one lookup timeout and gave up the rest');
  await idle;
}

function ensurePipeline(): Pipeline {
  pipeline ??= createPipeline({});
  return pipeline;
}

function createPipeline(options: EventPipelineOptions): Pipeline {
  const env = options.env ?? processEnv();
  const logger = options.logger ?? getLogger();
  const settings = { ...readRecorderSettings(env), ...options.settings };
  const recorder = new EventRecorder({
    openStore: options.openStore ?? (() => openEventStore(env)),
    settings,
    logger,
  });
  const detailsSettings = readDebugDetailsSettings(env);
  const details = new DebugDetailsFetcher({
    settings: detailsSettings,
    logger,
    onDetails: (row) => recorder.recordDetails(row),
  });
  if (settings.flushOnExit) installOpenAIEventsExitHooks();
  // The margin lets lookups end by their own timeout, with its reason, on a busy loop.
  return { recorder, details, detailsWaitMs: detailsSettings.timeoutMs + 250 };
}

function emptyStats(): EventStats {
  return {
    recorded: 0,
    enriched: 0,
    stored: 0,
    spooled: 0,
    replayed: 0,
    dropped: 0,
    queueDepth: 0,
    inFlight: 0,
    storeAvailable: true,
    lastStoreError: null,
    spool: { bytes: 0, pendingRows: 0, writeErrors: 0, lastWriteError: null, dropped: 0 },
  };
}
