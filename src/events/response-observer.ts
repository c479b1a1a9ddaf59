/**
 * Watches a response body on its way to the SDK: time to first chunk, the end of the body,
 * the usage it reports, and how it ended. The SDK receives the same bytes, except that the
 * usage-only event of a chat stream that instrumentation itself asked for is turned into a
 * comment, which readers of server-sent events skip.
 */
import type { ReadableWritablePair, StreamPipeOptions } from 'node:stream/web';
import { TextDecoder } from 'node:util';

import { getLogger } from '../config/logger.js';
import { isObject, modelOf, NO_USAGE, usageOf, type TokenUsage } from './usage.js';

/** Bodies up to this size are parsed whole; larger ones only at their edges. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Bytes of a stream held unscanned until its event is built (see `SseCollector`). */
const MAX_UNSCANNED_BYTES = 32 * 1024;
const EDGE_BYTES = 16 * 1024;

export type BodyKind = 'json' | 'sse' | 'binary';

export type BodyEnd = 'complete' | 'cancelled' | 'broken';

export interface BodySummary {
  end: BodyEnd;
  endedAt: number;
  firstChunkAt: number | null;
  usage: TokenUsage;
  model: string | null;
  errorType: string | null;
  errorMessage: string | null;
  /** The body as text, for content capture (JSON and SSE, within the buffer limit). */
  text: string | null;
  /** Why the body broke, when it did. */
  failure: unknown;
}

export function bodyKindOf(contentType: string | null): BodyKind {
  if (contentType === null) return 'binary';
  if (contentType.includes('text/event-stream')) return 'sse';
  return contentType.includes('json') ? 'json' : 'binary';
}

/**
 * Follows one body: time to first chunk, what the body says (through a collector for
 * server-sent events, a buffer for JSON), and how it ended. `onEnd` is called once; it
 * receives a function that summarises the body, so parsing is left to whoever calls it and
 * can happen off the caller's path.
 */
class BodyTracker {
  readonly #collector: SseCollector | null;
  readonly #buffer: EdgeBuffer | null;
  readonly #onEnd: (summarise: () => BodySummary) => void;
  #firstChunkAt: number | null = null;
  #ended = false;

  constructor(
    kind: BodyKind,
    onEnd: (summarise: () => BodySummary) => void,
    options: ObserveOptions,
  ) {
    this.#collector = kind === 'sse' ? new SseCollector(options) : null;
    this.#buffer = kind === 'json' ? new EdgeBuffer() : null;
    this.#onEnd = onEnd;
  }

  /** Takes in a chunk from the source and returns what to hand on (maybe nothing). */
  chunk(value: Uint8Array): Uint8Array {
    this.#firstChunkAt ??= performance.now();
    this.#buffer?.add(value);
    return this.#collector === null ? value : this.#collector.pass(value);
  }

  /** The source has ended: returns what is still to be handed on, and finishes. */
  complete(): Uint8Array | undefined {
    const rest = this.#collector?.flush();
    this.#finish('complete');
    return rest;
  }

  fail(error: unknown): void {
    this.#finish('broken', error);
  }

  cancel(reason: unknown): void {
    this.#finish('cancelled', reason);
  }

  #finish(end: BodyEnd, failure?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const endedAt = performance.now();
    this.#collector?.settle(end);
    const firstChunkAt = this.#firstChunkAt;
    this.#onEnd(() => {
      const parsed = this.#collector?.summary(end) ?? this.#buffer?.summary() ?? EMPTY_PARSE;
      return { end, endedAt, firstChunkAt, failure, ...parsed };
    });
  }
}

export interface ObserveOptions {
  /** Hide the usage-only event of a chat stream (one instrumentation asked for). */
  hideUsageChunk?: boolean;
  /**
   * The chunks are the reader's alone, as those of a fetched response's body are: hiding
   * may change them in place. Otherwise a chunk is copied before it is changed. For a
   * response given to `observeResponse`, its type settles this unless it is given.
   */
  chunksOwned?: boolean;
  /** Keep the body's text for content capture. */
  keepText?: boolean;
}

/** A stream that hands on what `tracker` passes of the chunks `reader` yields. */
function trackingStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  tracker: BodyTracker,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Loop until something is handed on: a pull that enqueues nothing is not repeated.
      for (;;) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          tracker.fail(error);
          throw error;
        }
        if (result.done) {
          const rest = tracker.complete();
          if (rest !== undefined && rest.byteLength > 0) controller.enqueue(rest);
          controller.close();
          return;
        }
        const chunk = tracker.chunk(result.value);
        if (chunk.byteLength > 0) {
          controller.enqueue(chunk);
          return;
        }
      }
    },
    cancel(reason) {
      tracker.cancel(reason);
      return reader.cancel(reason);
    },
  });
}

/**
 * Returns a new stream that yields `body`'s chunks and calls `onEnd` once, after the last
 * chunk has been handed on, when the consumer cancels, or when the source fails.
 */
export function observeBody(
  body: ReadableStream<Uint8Array>,
  kind: BodyKind,
  onEnd: (summarise: () => BodySummary) => void,
  options: ObserveOptions = {},
): ReadableStream<Uint8Array> {
  const reader = ReadableStream.prototype.getReader.call(
    body,
  ) as ReadableStreamDefaultReader<Uint8Array>;
  return trackingStream(reader, new BodyTracker(kind, onEnd, options));
}

interface StreamObservation {
  tracker: BodyTracker;
  /** The tracking stream behind every way of reading other than async iteration. */
  tracked: ReadableStream<Uint8Array> | undefined;
}

/**
 * Observations by stream (and, below, by response). Kept aside rather than as a property
 * of the object: a property added to a stream or a response changes its shape, which
 * slows every later use of it by the SDK and by undici; a prototype given to it, which
 * these objects need anyway, is a smaller change.
 */
const streamObservations = new WeakMap<ReadableStream<Uint8Array>, StreamObservation>();

function streamObservationOf(stream: ReadableStream<Uint8Array>): StreamObservation {
  const observation = streamObservations.get(stream);
  if (observation === undefined) throw new TypeError('the stream is not observed');
  return observation;
}

function trackedOf(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const observation = streamObservationOf(stream);
  observation.tracked ??= trackingStream(
    ReadableStream.prototype.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>,
    observation.tracker,
  );
  return observation.tracked;
}

/**
 * Async iteration of an observed stream, which is how the SDK reads server-sent events:
 * the stream's own iterator, with each chunk seen on its way past. This costs a few
 * microseconds per chunk, where a stream between the two costs a few tens.
 */
function trackingIterator(
  stream: ReadableStream<Uint8Array>,
  options?: { preventCancel?: boolean },
): AsyncIterableIterator<Uint8Array> {
  const { tracker } = streamObservationOf(stream);
  const inner = ReadableStream.prototype.values.call(stream, options) as AsyncIterator<Uint8Array>;
  let done = false;
  const iterator: AsyncIterableIterator<Uint8Array> = {
    async next(): Promise<IteratorResult<Uint8Array>> {
      while (!done) {
        let result: IteratorResult<Uint8Array>;
        try {
          result = await inner.next();
        } catch (error) {
          tracker.fail(error);
          throw error;
        }
        if (result.done === true) {
          done = true;
          const rest = tracker.complete();
          if (rest !== undefined && rest.byteLength > 0) return { done: false, value: rest };
          break;
        }
        const chunk = tracker.chunk(result.value);
        if (chunk.byteLength > 0) return { done: false, value: chunk };
      }
      return { done: true, value: undefined };
    },
    async return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
      done = true;
      tracker.cancel(value);
      await inner.return?.(value);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * The prototype of observed streams. Async iteration is followed in place; every other way
 * of reading (a reader, a pipe, a tee, and with them `Response` readers and
 * `Readable.fromWeb`, which go through these methods) reads a tracking stream instead.
 */
const observedStreamPrototype = Object.create(ReadableStream.prototype, {
  values: {
    configurable: true,
    writable: true,
    value(this: ReadableStream<Uint8Array>, options?: { preventCancel?: boolean }) {
      return trackingIterator(this, options);
    },
  },
  [Symbol.asyncIterator]: {
    configurable: true,
    writable: true,
    value(this: ReadableStream<Uint8Array>, options?: { preventCancel?: boolean }) {
      return trackingIterator(this, options);
    },
  },
  getReader: {
    configurable: true,
    writable: true,
    value(this: ReadableStream<Uint8Array>, options?: { mode: 'byob' }) {
      const tracked = trackedOf(this);
      return options === undefined ? tracked.getReader() : tracked.getReader(options);
    },
  },
  pipeTo: {
    configurable: true,
    writable: true,
    value(
      this: ReadableStream<Uint8Array>,
      destination: WritableStream<Uint8Array>,
      options?: StreamPipeOptions,
    ) {
      return trackedOf(this).pipeTo(destination, options);
    },
  },
  pipeThrough: {
    configurable: true,
    writable: true,
    value(
      this: ReadableStream<Uint8Array>,
      transform: ReadableWritablePair<unknown, Uint8Array>,
      options?: StreamPipeOptions,
    ) {
      return trackedOf(this).pipeThrough(transform, options);
    },
  },
  tee: {
    configurable: true,
    writable: true,
    value(this: ReadableStream<Uint8Array>) {
      return trackedOf(this).tee();
    },
  },
  cancel: {
    configurable: true,
    writable: true,
    value(this: ReadableStream<Uint8Array>, reason?: unknown) {
      const { tracked, tracker } = streamObservationOf(this);
      if (tracked !== undefined) return tracked.cancel(reason);
      tracker.cancel(reason);
      return ReadableStream.prototype.cancel.call(this, reason);
    },
  },
}) as object;

/**
 * Observes `body` in place and returns it: the same stream, whose chunks are seen as they
 * are read, and which calls `onEnd` once, after the last chunk has been handed on, when the
 * consumer cancels, or when the source fails.
 */
export function observeStream(
  body: ReadableStream<Uint8Array>,
  kind: BodyKind,
  onEnd: (summarise: () => BodySummary) => void,
  options: ObserveOptions = {},
): ReadableStream<Uint8Array> {
  streamObservations.set(body, {
    tracker: new BodyTracker(kind, onEnd, options),
    tracked: undefined,
  });
  Object.setPrototypeOf(body, observedStreamPrototype);
  return body;
}

interface ParsedBody {
  usage: TokenUsage;
  model: string | null;
  errorType: string | null;
  errorMessage: string | null;
  text: string | null;
}

const EMPTY_PARSE: ParsedBody = {
  usage: NO_USAGE,
  model: null,
  errorType: null,
  errorMessage: null,
  text: null,
};

const INVALID_JSON: ParsedBody = {
  ...EMPTY_PARSE,
  errorType: 'invalid_json',
  errorMessage: 'the response body is not valid JSON',
};

/** Summarises a parsed JSON body or stream event. */
export function parseBodyValue(value: unknown, text: string | null): ParsedBody {
  const error = isObject(value) && isObject(value.error) ? value.error : undefined;
  return {
    usage: usageOf(value),
    model: modelOf(value),
    errorType: error === undefined ? null : errorTypeOf(error),
    errorMessage: typeof error?.message === 'string' ? error.message : null,
    text,
  };
}

function errorTypeOf(error: Record<string, unknown>): string | null {
  if (typeof error.code === 'string') return error.code;
  return typeof error.type === 'string' ? error.type : null;
}

/** Keeps a whole JSON body when small, else its first and last bytes. */
class EdgeBuffer {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #tail: Uint8Array = new Uint8Array(0);
  #overflow = false;

  add(chunk: Uint8Array): void {
    if (!this.#overflow && this.#size + chunk.byteLength <= MAX_BUFFERED_BYTES) {
      this.#chunks.push(chunk);
      this.#size += chunk.byteLength;
      return;
    }
    if (!this.#overflow) {
      this.#overflow = true;
      const head = Buffer.concat(this.#chunks).subarray(0, EDGE_BYTES);
      this.#chunks = [head];
    }
    const joined = Buffer.concat([this.#tail, chunk]);
    this.#tail = joined.subarray(Math.max(0, joined.byteLength - EDGE_BYTES));
  }

  summary(): ParsedBody {
    if (!this.#overflow) {
      const text = Buffer.concat(this.#chunks).toString('utf8');
      const value = tryParse(text);
      if (value === undefined && text.trim() !== '') return { ...INVALID_JSON, text };
      return parseBodyValue(value, text);
    }
    // Usage sits at the end of large bodies (embedding batches); the model near the start.
    const head = Buffer.from(this.#chunks[0] ?? []).toString('utf8');
    const tail = Buffer.from(this.#tail).toString('utf8');
    const usageText = /"usage"\s*:\s*(\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})/.exec(tail)?.[1];
    const model = /"model"\s*:\s*"([^"\\]{1,200})"/.exec(head)?.[1] ?? null;
    const parsed = parseBodyValue({ usage: tryParse(usageText ?? '') }, null);
    return { ...parsed, model };
  }
}

/**
 * Follows a server-sent event stream, keeping the last event that reports usage or an
 * error. With `hideUsage`, events whose only content is usage are turned into comments.
 */
class SseCollector {
  readonly #hideUsage: boolean;
  readonly #keepText: boolean;
  readonly #chunksOwned: boolean;
  /** Made for the first chunk that has to be decoded, which most streams never have. */
  #decoder: TextDecoder | undefined;
  #pending = '';
  /** Whether the bytes so far end where an event ends (so nothing is pending anywhere). */
  #atEventEnd = true;
  #lastInteresting: string | null = null;
  #lastData: string | null = null;
  /** The last chunk passed on without decoding, when it came after `#lastData`'s line. */
  #lastPlainChunk: Uint8Array | null = null;
  /**
   * Chunks of whole events handed on but not yet read for usage and errors: nothing in them
   * is needed before the event is built, so they are read then, off the caller's path.
   * Past MAX_UNSCANNED_BYTES they are read at once instead.
   */
  #unscanned: Uint8Array[] = [];
  #unscannedBytes = 0;
  /** Where the data lines hidden in unscanned chunks start, by chunk. */
  #hiddenLines: Map<Uint8Array, number[]> | undefined;
  #text = '';

  constructor(options: ObserveOptions) {
    this.#hideUsage = options.hideUsageChunk === true;
    this.#keepText = options.keepText === true;
    this.#chunksOwned = options.chunksOwned === true;
  }

  pass(chunk: Uint8Array): Uint8Array {
    const atEventEnd = this.#atEventEnd;
    this.#atEventEnd = endsAtEventEnd(chunk);
    if (!this.#keepText && atEventEnd && this.#atEventEnd) {
      // Whole events: hide what has to be hidden now, and read the rest later.
      const passed = this.#hideUsage ? this.#hideUsageOnlyEvents(chunk) : chunk;
      this.#keepUnscanned(passed);
      return passed;
    }
    // Chunks are considered in order: what came before this one first.
    this.#scanUnscanned();
    this.#decoder ??= new TextDecoder();
    const text = this.#decoder.decode(chunk, { stream: true });
    if (this.#keepText && this.#text.length < MAX_BUFFERED_BYTES) this.#text += text;
    if (this.#pending === '' && isPlainEvents(text)) {
      this.#noteLastData(text);
      return chunk;
    }
    if (!this.#hideUsage) {
      this.#scan(text);
      return chunk;
    }
    return encoder.encode(this.#filter(text));
  }

  #keepUnscanned(chunk: Uint8Array): void {
    if (this.#unscannedBytes + chunk.byteLength <= MAX_UNSCANNED_BYTES) {
      this.#unscanned.push(chunk);
      this.#unscannedBytes += chunk.byteLength;
      return;
    }
    this.#scanUnscanned();
    this.#scanWholeEvents(chunk);
  }

  /**
   * `chunk`, a run of whole events, with its usage-only events turned into comments, and
   * where their data lines start noted, so that reading the chunk later still finds their
   * usage. Such an event has an empty `choices` array, so the search is for `[]`, which
   * most chunks lack: one quick pass over the bytes, where reading the events would
   * decode them. Unless the chunks are the reader's own, a chunk with such an event is
   * copied before it is changed, since whoever made it may hold it too (a fetch of the
   * caller's that hands out the same bytes again, say); the copy keeps every offset.
   */
  #hideUsageOnlyEvents(chunk: Uint8Array): Uint8Array {
    let passed = chunk;
    let bytes = asBuffer(chunk);
    let hidden: number[] | undefined;
    let from = 0;
    for (let at = bytes.indexOf(EMPTY_ARRAY); at !== -1; at = bytes.indexOf(EMPTY_ARRAY, from)) {
      const lineStart = bytes.lastIndexOf(LF, at) + 1;
      const lineEnd = bytes.indexOf(LF, at);
      if (lineEnd === -1) break;
      from = lineEnd;
      const data = dataOf(bytes.toString('utf8', lineStart, lineEnd));
      if (data === null || verdictOf(data) !== 'usage-only') continue;
      if (hidden === undefined) {
        hidden = [];
        if (!this.#chunksOwned) {
          // Not `chunk.slice()`, which for a Buffer is a view of the same bytes.
          passed = Uint8Array.prototype.slice.call(chunk);
          bytes = asBuffer(passed);
        }
      }
      const eventEnd = eventEndAfter(bytes, lineEnd);
      commentOut(bytes, eventStartBefore(bytes, lineStart), eventEnd);
      hidden.push(lineStart);
      from = eventEnd;
    }
    if (hidden !== undefined) (this.#hiddenLines ??= new Map()).set(passed, hidden);
    return passed;
  }

  /**
   * Reads a chunk of whole events, the shape of almost every chunk, without decoding it:
   * one pass finds the lines that report usage or an error, and only those are decoded.
   */
  #scanWholeEvents(chunk: Uint8Array): void {
    const hidden = this.#hiddenLines?.get(chunk);
    this.#hiddenLines?.delete(chunk);
    const bytes = asBuffer(chunk);
    // One byte per character, so that offsets in the text are offsets in the chunk.
    const text = bytes.toString('latin1');
    const interesting = INTERESTING_KEY;
    interesting.lastIndex = 0;
    for (let match = interesting.exec(text); match !== null; match = interesting.exec(text)) {
      const lineStart = text.lastIndexOf('\n', match.index) + 1;
      const lineEnd = text.indexOf('\n', match.index);
      interesting.lastIndex = lineEnd;
      const line = bytes.toString('utf8', lineStart, lineEnd);
      // A data line hidden as a comment is read as the data line it was.
      this.#consider(hidden?.includes(lineStart) === true ? `d${line.slice(1)}` : line);
    }
    this.#lastPlainChunk = chunk;
  }

  #scanUnscanned(): void {
    if (this.#unscanned.length === 0) return;
    const chunks = this.#unscanned;
    this.#unscanned = [];
    this.#unscannedBytes = 0;
    for (const chunk of chunks) this.#scanWholeEvents(chunk);
  }

  flush(): Uint8Array | undefined {
    if (!this.#hideUsage || this.#pending === '') return undefined;
    const rest = this.#pending;
    this.#pending = '';
    return encoder.encode(rest);
  }

  /**
   * The stream has ended. Only the summary of a cancelled stream looks at its last event, so
   * the last chunk handed on undecoded is read now or let go, rather than kept for later;
   * chunks not yet scanned stay until the summary, which scans them.
   */
  settle(end: BodyEnd): void {
    if (end === 'cancelled') this.#scanUnscanned();
    if (end === 'cancelled' && this.#lastPlainChunk !== null) {
      this.#lastData = lastDataOf(this.#lastPlainChunk);
    }
    this.#lastPlainChunk = null;
  }

  /** `end` tells whether to check that the last event was JSON: a reader that gave up. */
  summary(end: BodyEnd): ParsedBody {
    this.#scanUnscanned();
    const text = this.#keepText ? this.#text : null;
    if (end === 'cancelled' && this.#lastData !== null && this.#lastData !== '[DONE]') {
      const last = this.#lastData === this.#lastInteresting ? true : tryParse(this.#lastData);
      if (last === undefined) return { ...INVALID_JSON, text };
    }
    const value = this.#lastInteresting === null ? undefined : tryParse(this.#lastInteresting);
    return parseBodyValue(value, text);
  }

  /** Remembers the data of the last `data:` line in `text`, which holds whole lines. */
  #noteLastData(text: string): void {
    this.#lastPlainChunk = null;
    let end = text.length;
    while (end > 0) {
      const start = text.lastIndexOf('\n', end - 1) + 1;
      const line = text.slice(start, end).trimEnd();
      if (line.startsWith('data:')) {
        this.#lastData = line.slice(5).trim();
        return;
      }
      end = start - 1;
    }
  }

  #scan(text: string): void {
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) this.#consider(line);
  }

  #filter(text: string): string {
    // Events alternate with the blank lines that end them, which are handed on as they came.
    const parts = (this.#pending + text).split(/(\r?\n\r?\n)/);
    this.#pending = parts.pop() ?? '';
    let forwarded = '';
    for (let index = 0; index < parts.length; index += 2) {
      const event = parts[index] ?? '';
      const usageOnly = event.split('\n').some((line) => this.#consider(line) === 'usage-only');
      forwarded += (usageOnly ? commentedOut(event) : event) + (parts[index + 1] ?? '');
    }
    return forwarded;
  }

  #consider(rawLine: string): LineVerdict {
    const data = dataOf(rawLine);
    if (data === null) return 'ignored';
    this.#lastData = data;
    this.#lastPlainChunk = null;
    const verdict = verdictOf(data);
    if (verdict !== 'ignored') this.#lastInteresting = data;
    return verdict;
  }
}

type LineVerdict = 'usage-only' | 'kept' | 'ignored';

/** What a `data:` line carries, or null for any other line. */
function dataOf(rawLine: string): string | null {
  const line = rawLine.trimEnd();
  return line.startsWith('data:') ? line.slice(5).trim() : null;
}

/** Whether an event's data reports usage or an error, and whether it reports usage alone. */
function verdictOf(data: string): LineVerdict {
  if (!data.includes('"usage"') && !data.includes('"error"')) return 'ignored';
  if (data.includes('"usage":null') && !data.includes('"error"')) return 'ignored';
  return /"choices"\s*:\s*\[\s*\]/.test(data) ? 'usage-only' : 'kept';
}

const EMPTY_ARRAY = Buffer.from('[]');

/**
 * Whether `text` is whole server-sent events (it ends where an event ends) of which none
 * reports usage or an error, the case of almost every chunk of a stream.
 */
function isPlainEvents(text: string): boolean {
  return EVENT_END.test(text) && !text.includes('"error"') && !reportsUsage(text);
}

/**
 * Whether `text` mentions usage other than as `"usage":null`, which every chunk of a chat
 * stream that asked for usage carries until the last.
 */
function reportsUsage(text: string): boolean {
  for (let at = text.indexOf(USAGE_KEY); at !== -1; at = text.indexOf(USAGE_KEY, at + 1)) {
    if (!text.startsWith(NO_USAGE_YET, at)) return true;
  }
  return false;
}

const USAGE_KEY = '"usage"';
const NO_USAGE_YET = '"usage":null';
/** A key that makes a line worth decoding: usage (other than `"usage":null`) or an error. */
const INTERESTING_KEY = /"(?:usage"(?!:null)|error")/g;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const encoder = new TextEncoder();

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Whether `chunk` ends with a blank line, as an event does (`\n\n`, with optional CRs). */
function endsAtEventEnd(chunk: Uint8Array): boolean {
  let at = chunk.length - 1;
  if (chunk[at] !== LF) return false;
  at -= 1;
  if (chunk[at] === CR) at -= 1;
  return chunk[at] === LF;
}

/** The data of the last `data:` line of a chunk of whole lines, decoded alone. */
function lastDataOf(chunk: Uint8Array): string | null {
  const bytes = asBuffer(chunk);
  const text = bytes.toString('latin1');
  let end = text.length;
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    if (text.startsWith('data:', start)) {
      return bytes.toString('utf8', start + 5, end).trim();
    }
    end = start - 1;
  }
  return null;
}

/**
 * Where the event holding the line that starts at `lineStart` begins: after the blank line
 * before it (empty, or a lone CR), or at the start of `bytes`.
 */
function eventStartBefore(bytes: Buffer, lineStart: number): number {
  let at = lineStart;
  while (at > 0) {
    const previousEnd = at - 1;
    const previousStart = previousEnd === 0 ? 0 : bytes.lastIndexOf(LF, previousEnd - 1) + 1;
    const length = previousEnd - previousStart;
    if (length === 0 || (length === 1 && bytes[previousStart] === CR)) return at;
    at = previousStart;
  }
  return 0;
}

/** Where the event holding the line that ends at `lineEnd` (its LF) ends: after its blank line. */
function eventEndAfter(bytes: Buffer, lineEnd: number): number {
  let end = lineEnd;
  while (end !== -1 && end + 1 < bytes.length) {
    const next = end + 1;
    if (bytes[next] === LF) return next + 1;
    if (bytes[next] === CR && bytes[next + 1] === LF) return next + 2;
    end = bytes.indexOf(LF, next);
  }
  return bytes.length;
}

/**
 * Turns the lines of the event between `start` and `end` into comments, which every
 * reader of server-sent events skips: their first byte becomes a colon. The bytes stay
 * where they are and as many, so nothing is copied.
 */
function commentOut(bytes: Buffer, start: number, end: number): void {
  for (let line = start; line < end;) {
    if (bytes[line] !== LF && bytes[line] !== CR) bytes[line] = COLON;
    const next = bytes.indexOf(LF, line);
    if (next === -1 || next >= end) return;
    line = next + 1;
  }
}

/** `event`, the text of one event, with each of its lines turned into a comment. */
function commentedOut(event: string): string {
  return event
    .split('\n')
    .map((line) => (line === '' || line === '\r' ? line : `:${line.slice(1)}`))
    .join('\n');
}

const EVENT_END = /\r?\n\r?\n$/;

function tryParse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type BodyReader = 'text' | 'json' | 'arrayBuffer' | 'blob' | 'bytes';

/**
 * An observed response. Nothing of it is read when it arrives: on the first use of its
 * body the kind of body is settled, from the reader used or the content type, and a body
 * that is not JSON is observed in place. Status and headers are read when the end of a
 * JSON body is handed on, and on the first use of any other body (see `headOf`).
 */
interface ResponseObservation {
  onEnd: ResponseEnd;
  options: ObserveOptions;
  /** Set on the first use of the body. */
  kind: BodyKind | undefined;
  ended: boolean;
  /** For a JSON body: the observing stream handed to a reader of `body`, made on first access. */
  stream: ReadableStream<Uint8Array> | undefined;
}

/**
 * Called once for an observed response, at the turn of the event loop after its body ended,
 * with what the body said and the response's status and headers.
 */
export type ResponseEnd = (summary: BodySummary, status: number, headers: Headers) => void;

const responseObservations = new WeakMap<Response, ResponseObservation>();

/**
 * The response's observation, settled now if this is the first use of its body. `kind` is
 * given by `json()`, which the SDK calls for JSON content types only; the others read the
 * content type.
 */
function settledObservationOf(response: Response, kind?: BodyKind): ResponseObservation {
  const observation = responseObservations.get(response);
  if (observation === undefined) throw new TypeError('the response is not observed');
  if (observation.kind === undefined) settle(response, observation, kind);
  return observation;
}

function settle(response: Response, observation: ResponseObservation, given?: BodyKind): void {
  const kind = given ?? bodyKindOf(response.headers.get('content-type'));
  observation.kind = kind;
  if (kind === 'json') return;
  const body = nativeBody(response);
  if (body !== null) {
    const head = headOf(response);
    observeStream(
      body,
      kind,
      (summarise) => finish(observation, head, summarise),
      streamOptionsOf(response, observation.options),
    );
  }
}

/**
 * The options for observing a response's stream. A fetched response's body (type `basic`
 * or `cors`) hands its reader chunks no one else holds, in which the usage event may be
 * hidden in place; a response made by other code (a test double's, a cache's) may share
 * its bytes, which are then copied first.
 */
function streamOptionsOf(response: Response, options: ObserveOptions): ObserveOptions {
  if (options.hideUsageChunk !== true || options.chunksOwned !== undefined) return options;
  const fetched = response.type === 'basic' || response.type === 'cors';
  return fetched ? { ...options, chunksOwned: true } : options;
}

/** The status and headers of a response, or the response itself, which has both. */
interface ResponseHead {
  readonly status: number;
  readonly headers: Headers;
}

/**
 * The status and headers of `response`, apart from it. What waits for a body's end, when
 * it is kept with the observation, must not hold the response: an observation is the
 * value of a weak map entry whose key is the response (or its body), and a value that
 * holds its own key makes every garbage collection work through the entry again, which
 * costs more than reading the two.
 */
function headOf(response: Response): ResponseHead {
  return { status: response.status, headers: response.headers };
}

/**
 * Ends the observation. What it says is summarised and handed on at the next turn of the
 * event loop, not here: the body's end is also the caller's, who has its response by then
 * and has gone on, as a rule to wait for its next one.
 */
function finish(
  observation: ResponseObservation,
  head: ResponseHead,
  summarise: () => BodySummary,
): void {
  if (observation.ended) return;
  observation.ended = true;
  endsDue.push(() => observation.onEnd(summarise(), head.status, head.headers));
  if (!endsScheduled) {
    endsScheduled = true;
    setImmediate(handOnObservedEnds);
  }
}

/** Ended observations whose summaries are still to be handed on. */
let endsDue: (() => void)[] = [];
let endsScheduled = false;

/**
 * Hands on, now, the summaries of every observed response that has ended. A flush calls
 * it, so that what the caller has already read is in what it flushes.
 */
export function handOnObservedEnds(): void {
  endsScheduled = false;
  while (endsDue.length > 0) {
    const ends = endsDue;
    endsDue = [];
    for (const end of ends) {
      try {
        end();
      } catch (error) {
        // Runs on its own turn of the event loop, where a throw would end the process.
        getLogger().error(
          { event: 'openai.capture_failed', err: error },
          "could not hand on a response's end",
        );
      }
    }
  }
}

/** The body as `Response.prototype` gives it, without the observed getter. */
function nativeBody(response: Response): ReadableStream<Uint8Array> | null {
  return Reflect.get(Response.prototype, 'body', response) as ReadableStream<Uint8Array> | null;
}

/**
 * The summary of a body read whole. It is made when the end is handed on, and only the
 * summary is held until the event is built, rather than the body and its parsed value,
 * which keeps a large response from outliving its caller's use of it.
 */
function summaryOf(
  value: unknown,
  raw: string | null,
  endedAt: number,
  keepText: boolean,
): BodySummary {
  const parsed = value === INVALID ? INVALID_JSON : parseBodyValue(value, null);
  const summary: BodySummary = {
    end: 'complete',
    endedAt,
    firstChunkAt: null,
    usage: parsed.usage,
    model: parsed.model,
    errorType: parsed.errorType,
    errorMessage: parsed.errorMessage,
    text: keepText || value === INVALID ? raw : null,
    failure: undefined,
  };
  return summary;
}

/**
 * Reads a JSON body as text natively and hands it to `then` with the time it ended; a body
 * that fails to arrive ends the observation as broken. One promise step, as the native
 * readers take, so that observing adds no turns to the caller's wait.
 */
function readText<T>(
  response: Response,
  observation: ResponseObservation,
  then: (raw: string, endedAt: number) => T,
): Promise<T> {
  return Response.prototype.text.call(response).then(
    (raw) => then(raw, performance.now()),
    (error: unknown) => {
      const endedAt = performance.now();
      finish(observation, response, () => brokenSummary(endedAt, error));
      throw error;
    },
  );
}

/**
 * Parses a JSON body with the native reader and returns its own promise, which the caller
 * waits for as it would without observation. The observation's reaction to it is
 * registered first, so it runs in the same step, just before the caller's, and takes the
 * summary from the value the caller gets.
 */
function parseNatively(response: Response, observation: ResponseObservation): Promise<unknown> {
  const parsing: Promise<unknown> = Response.prototype.json.call(response);
  parsing.then(
    (value) => {
      const endedAt = performance.now();
      finish(observation, response, () => summaryOf(value, null, endedAt, false));
    },
    (error: unknown) => {
      const endedAt = performance.now();
      // A body that arrived whole but is not JSON, or one that broke on the way.
      if (error instanceof SyntaxError) {
        finish(observation, response, () => summaryOf(INVALID, null, endedAt, false));
      } else {
        finish(observation, response, () => brokenSummary(endedAt, error));
      }
    },
  );
  return parsing;
}

/**
 * The body readers of an observed response. A JSON body is read once, natively, and its
 * summary taken from the value the caller gets; with content capture it is read as text,
 * which the event keeps. Any other body is read by the native reader through its stream,
 * which is observed in place.
 */
const readers: Record<BodyReader, (this: Response) => Promise<unknown>> = {
  text() {
    const observation = settledObservationOf(this);
    if (observation.kind !== 'json') return Response.prototype.text.call(this);
    return readText(this, observation, (raw, endedAt) => {
      finish(observation, this, () => {
        const value = raw.trim() === '' ? undefined : (tryParse(raw) ?? INVALID);
        return summaryOf(value, raw, endedAt, observation.options.keepText === true);
      });
      return raw;
    });
  },
  json() {
    const observation = settledObservationOf(this, 'json');
    if (observation.kind !== 'json') return Response.prototype.json.call(this);
    const keepText = observation.options.keepText === true;
    if (!keepText) return parseNatively(this, observation);
    return readText(this, observation, (raw, endedAt) => {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        finish(observation, this, () => summaryOf(INVALID, raw, endedAt, keepText));
        throw error;
      }
      finish(observation, this, () => summaryOf(value, raw, endedAt, keepText));
      return value;
    });
  },
  async arrayBuffer() {
    if (settledObservationOf(this).kind !== 'json')
      return Response.prototype.arrayBuffer.call(this);
    return encodeText(await readers.text.call(this)).buffer;
  },
  async blob() {
    if (settledObservationOf(this).kind !== 'json') return Response.prototype.blob.call(this);
    return new Blob([encodeText(await readers.text.call(this))]);
  },
  async bytes() {
    if (settledObservationOf(this).kind !== 'json') return nativeBytes(this);
    return encodeText(await readers.text.call(this));
  },
};

/** `Response.prototype.bytes`, which Node.js 20 lacks. */
async function nativeBytes(response: Response): Promise<Uint8Array> {
  const native = Reflect.get(Response.prototype, 'bytes') as unknown;
  if (typeof native === 'function') return (await native.call(response)) as Uint8Array;
  return new Uint8Array(await Response.prototype.arrayBuffer.call(response));
}

/**
 * The prototype of observed responses: `Response.prototype` with the body readers, `body`
 * and `clone` replaced. Giving a response this prototype costs next to nothing, where
 * defining the same properties on each response made every later property access on it
 * slower.
 */
const readerProperties: PropertyDescriptorMap = Object.fromEntries(
  Object.entries(readers).map(([name, value]) => [
    name,
    { value, configurable: true, writable: true },
  ]),
);

const observedResponsePrototype = Object.create(Response.prototype, {
  ...readerProperties,
  body: {
    configurable: true,
    get(this: Response): ReadableStream<Uint8Array> | null {
      const observation = settledObservationOf(this);
      const body = nativeBody(this);
      if (body === null || observation.kind !== 'json') return body;
      if (observation.stream === undefined) {
        const head = headOf(this);
        observation.stream = observeBody(
          body,
          'json',
          (summarise) => finish(observation, head, summarise),
          observation.options,
        );
      }
      return observation.stream;
    },
  },
  clone: {
    configurable: true,
    writable: true,
    value(this: Response): Response {
      // A body that is not JSON is observed in place first, so that the copy the clone
      // leaves behind is read through the observation.
      settledObservationOf(this);
      return Response.prototype.clone.call(this);
    },
  },
}) as object;

/**
 * Observes a response on its way to the SDK without putting a stream between them, and
 * without reading anything of it yet: `onEnd` is called once, with the body's summary and
 * the response's status and headers, when the body has been read, has broken or has been
 * cancelled. For responses with a body: one without never ends.
 */
export function observeResponse(
  response: Response,
  onEnd: ResponseEnd,
  options: ObserveOptions = {},
): Response {
  responseObservations.set(response, {
    onEnd,
    options,
    kind: undefined,
    ended: false,
    stream: undefined,
  });
  Object.setPrototypeOf(response, observedResponsePrototype);
  return response;
}

const INVALID = Symbol('invalid JSON');

function brokenSummary(endedAt: number, failure: unknown): BodySummary {
  return { ...EMPTY_SUMMARY, end: 'broken', endedAt, failure };
}

const EMPTY_SUMMARY: BodySummary = {
  end: 'complete',
  endedAt: 0,
  firstChunkAt: null,
  failure: undefined,
  ...EMPTY_PARSE,
};

function encodeText(value: unknown): Uint8Array {
  return new TextEncoder().encode(value as string);
}
