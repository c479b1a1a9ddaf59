/**
 * Drives a fixed number of embeddings calls at a fixed concurrency and samples the
 * process's memory as it goes. Shared by the load test and by the memory probe
 * (`memory-probe.ts`), so both measure the same traffic.
 */
import type OpenAI from 'openai';

/** One reading of `process.memoryUsage()` after `calls` calls had returned. */
export interface MemorySample {
  calls: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface DriveOptions {
  calls: number;
  /** Calls made before this run, for the numbering of inputs and samples (default 0). */
  callsBefore?: number;
  concurrency: number;
  /** A sample is taken every this many finished calls, and once after the last. */
  sampleEvery: number;
  /** Called with every sample, for progress lines or recorder readings. */
  onSample?: (sample: MemorySample) => void;
  /** Run before each sample, e.g. a forced garbage collection in the probe. */
  beforeSample?: () => void;
  /** Count failed calls instead of failing the run (the probe's bare baseline). */
  tolerateErrors?: boolean;
}

export interface DriveResult {
  /**
   * Distinct request ids the SDK returned. Only the count is kept: the ids of a full-size
   * run would be 8 MB of the test's own heap, beside what it measures.
   */
  distinctRequestIds: number;
  /** Calls that failed, with `tolerateErrors`; their messages, at most ten. */
  errors: number;
  errorMessages: string[];
  samples: MemorySample[];
  elapsedMs: number;
}

export function sampleMemory(calls: number): MemorySample {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { calls, rss, heapUsed, heapTotal, external, arrayBuffers };
}

/** Makes `calls` embeddings calls through `openai`, `concurrency` at a time. */
export async function driveEmbeddings(openai: OpenAI, options: DriveOptions): Promise<DriveResult> {
  const requestIds = new Set<string>();
  const samples: MemorySample[] = [];
  const errorMessages: string[] = [];
  let errors = 0;
  let started = 0;
  let finished = 0;
  const callsBefore = options.callsBefore ?? 0;
  const take = (): void => {
    options.beforeSample?.();
    const sample = sampleMemory(callsBefore + finished);
    samples.push(sample);
    options.onSample?.(sample);
  };
  const worker = async (): Promise<void> => {
    while (started < options.calls) {
      started += 1;
      try {
        const result = await openai.embeddings.create({
          model: 'text-embedding-3-small',
          input: `load ${callsBefore + started}`,
          dimensions: 8,
        });
        requestIds.add(result._request_id ?? '');
      } catch (error) {
        if (options.tolerateErrors !== true) throw error;
        errors += 1;
        if (errorMessages.length < 10) errorMessages.push(describeError(error));
      }
      finished += 1;
      if (finished % options.sampleEvery === 0 && finished < options.calls) take();
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - begin;
  take();
  return { distinctRequestIds: requestIds.size, errors, errorMessages, samples, elapsedMs };
}

function describeError(error: unknown): string {
  const messages: string[] = [];
  for (let cause = error; cause instanceof Error && messages.length < 4; cause = cause.cause) {
    messages.push(cause.message);
  }
  return messages.join(' <- ');
}

/**
 * Socket errors of a request sent on a keep-alive connection the server was closing: "other
 * side closed", or a reset. The simulator's embeddings are stateless, so sending the
 * request again is harmless even where the server had read it.
 */
const STALE_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);
const MAX_SENDS = 3;

function isStaleConnection(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && STALE_CONNECTION_CODES.has(code);
}

/**
 * `fetch` that sends a request again, at most twice, when it went out on a keep-alive
 * connection the server had just closed. At a thousand calls in flight the client's event
 * loop stalls for seconds at a time and its connection pool grows past the concurrency; an
 * idle connection then outlives the simulator's 5 s keep-alive timeout before the client
 * notices, and the next request on it fails with "other side closed". The bare SDK fails
 * the same way, so this is the test's transport, not the instrumentation under test: given
 * to the SDK as its `fetch`, it sits below the capture, which records one attempt per call.
 */
export function reconnectingFetch(counts: { resent: number }): typeof fetch {
  return async (input, init) => {
    for (let send = 1; ; send += 1) {
      try {
        return await fetch(input, init);
      } catch (error) {
        const resendable = typeof init?.body === 'string' || init?.body == null;
        const again = resendable && send < MAX_SENDS && init?.signal?.aborted !== true;
        if (!again || !isStaleConnection(error)) throw error;
        counts.resent += 1;
      }
    }
  };
}

export const MB = 2 ** 20;

export function toMb(bytes: number): number {
  return Math.round(bytes / MB);
}
