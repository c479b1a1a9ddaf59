/**
 * Watches a response body on its way to the SDK: time to first chunk, the end of the body,
 * the usage it reports, and how it ended. The SDK receives the same bytes, except the
 * usage-only chunk of a chat stream that instrumentation itself asked for.
 */
import { isObject, modelOf, NO_USAGE, usageOf, type TokenUsage } from './usage.js';

/** Bodies up to this size are parsed whole; larger ones only at their edges. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const EDGE_BYTES = 16 * 1024;

export type BodyKind = 'json' | 'sse' | 'binary';

export type BodyEnd = 'complete' | 'cancelled' | 'broken';

export interface BodySummary {
  end: BodyEnd;
  endedAt: number;
  firstChunkAt: number | null;
  bytes: number;
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
 * Returns a stream that yields `body`'s chunks and calls `onEnd` once, after the last
 * chunk has been handed on, when the consumer cancels, or when the source fails. `onEnd`
 * receives a function that summarises the body: parsing is left to whoever calls it, so
 * it can happen off the caller's path.
 */
export function observeBody(
  body: ReadableStream<Uint8Array>,
  kind: BodyKind,
  onEnd: (summarise: () => BodySummary) => void,
  options: { hideUsageChunk?: boolean; keepText?: boolean } = {},
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const collector =
    kind === 'sse'
      ? new SseCollector(options.hideUsageChunk === true, options.keepText === true)
      : null;
  const buffer = kind === 'json' ? new EdgeBuffer() : null;
  let firstChunkAt: number | null = null;
  let bytes = 0;
  let ended = false;

  const finish = (end: BodyEnd, failure?: unknown): void => {
    if (ended) return;
    ended = true;
    const endedAt = performance.now();
    onEnd(() => {
      const parsed = collector?.summary(end) ?? buffer?.summary() ?? EMPTY_PARSE;
      return { end, endedAt, firstChunkAt, bytes, failure, ...parsed };
    });
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Loop until something is handed on: a pull that enqueues nothing is not repeated.
      for (;;) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          finish('broken', error);
          throw error;
        }
        if (result.done) {
          const rest = collector?.flush();
          if (rest !== undefined && rest.length > 0) controller.enqueue(rest);
          controller.close();
          finish('complete');
          return;
        }
        firstChunkAt ??= performance.now();
        bytes += result.value.byteLength;
        buffer?.add(result.value);
        const chunk = collector === null ? result.value : collector.pass(result.value);
        if (chunk.byteLength > 0) {
          controller.enqueue(chunk);
          return;
        }
      }
    },
    cancel(reason) {
      finish('cancelled', reason);
      return reader.cancel(reason);
    },
  });
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
 * error. With `hideUsage`, events whose only content is usage are held back.
 */
class SseCollector {
  readonly #hideUsage: boolean;
  readonly #keepText: boolean;
  readonly #decoder = new TextDecoder();
  readonly #encoder = new TextEncoder();
  #pending = '';
  #lastInteresting: string | null = null;
  #lastData: string | null = null;
  #text = '';

  constructor(hideUsage: boolean, keepText: boolean) {
    this.#hideUsage = hideUsage;
    this.#keepText = keepText;
  }

  pass(chunk: Uint8Array): Uint8Array {
    const text = this.#decoder.decode(chunk, { stream: true });
    if (this.#keepText && this.#text.length < MAX_BUFFERED_BYTES) this.#text += text;
    if (!this.#hideUsage) {
      this.#scan(text);
      return chunk;
    }
    return this.#encoder.encode(this.#filter(text));
  }

  flush(): Uint8Array | undefined {
    if (!this.#hideUsage || this.#pending === '') return undefined;
    const rest = this.#pending;
    this.#pending = '';
    return this.#encoder.encode(rest);
  }

  /** `end` tells whether to check that the last event was JSON: a reader that gave up. */
  summary(end: BodyEnd): ParsedBody {
    const text = this.#keepText ? this.#text : null;
    if (end === 'cancelled' && this.#lastData !== null && this.#lastData !== '[DONE]') {
      const last = this.#lastData === this.#lastInteresting ? true : tryParse(this.#lastData);
      if (last === undefined) return { ...INVALID_JSON, text };
    }
    const value = this.#lastInteresting === null ? undefined : tryParse(this.#lastInteresting);
    return parseBodyValue(value, text);
  }

  #scan(text: string): void {
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) this.#consider(line);
  }

  #filter(text: string): string {
    const events = (this.#pending + text).split(/\r?\n\r?\n/);
    this.#pending = events.pop() ?? '';
    let forwarded = '';
    for (const event of events) {
      const usageOnly = event.split('\n').some((line) => this.#consider(line) === 'usage-only');
      if (!usageOnly) forwarded += `${event}\n\n`;
    }
    return forwarded;
  }

  #consider(rawLine: string): 'usage-only' | 'kept' | 'ignored' {
    const line = rawLine.trimEnd();
    if (!line.startsWith('data:')) return 'ignored';
    this.#lastData = line.slice(5).trim();
    if (!line.includes('"usage"') && !line.includes('"error"')) return 'ignored';
    const data = line.slice(5).trim();
    if (data.includes('"usage":null') && !data.includes('"error"')) return 'ignored';
    this.#lastInteresting = data;
    return /"choices"\s*:\s*\[\s*\]/.test(data) ? 'usage-only' : 'kept';
  }
}

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
 * Observes a JSON response without putting a stream between it and the SDK: the body
 * readers are wrapped on the response itself, so the body is read once, natively, and the
 * usage is taken from the value the SDK parses anyway. A reader of `body` gets an
 * observed stream instead.
 */
export function observeJsonResponse(
  response: Response,
  onEnd: (summarise: () => BodySummary) => void,
  options: { keepText?: boolean } = {},
): Response {
  const body = response.body;
  if (body === null) return response;
  let ended = false;
  const finish = (summarise: () => BodySummary): void => {
    if (ended) return;
    ended = true;
    onEnd(summarise);
  };
  const text = response.text.bind(response);
  const readText = async (): Promise<string> => {
    try {
      return await text();
    } catch (error) {
      const endedAt = performance.now();
      finish(() => ({ ...EMPTY_SUMMARY, end: 'broken', endedAt, failure: error }));
      throw error;
    }
  };
  const summaryOf = (value: unknown, raw: string, endedAt: number) => (): BodySummary => ({
    ...EMPTY_SUMMARY,
    endedAt,
    bytes: Buffer.byteLength(raw),
    ...(value === INVALID ? { ...INVALID_JSON, text: raw } : parseBodyValue(value, null)),
    text: options.keepText === true ? raw : null,
  });

  const readers: Record<BodyReader, () => Promise<unknown>> = {
    text: async () => {
      const raw = await readText();
      const endedAt = performance.now();
      finish(() =>
        summaryOf(raw.trim() === '' ? undefined : (tryParse(raw) ?? INVALID), raw, endedAt)(),
      );
      return raw;
    },
    json: async () => {
      const raw = await readText();
      const endedAt = performance.now();
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        finish(summaryOf(INVALID, raw, endedAt));
        throw error;
      }
      finish(summaryOf(value, raw, endedAt));
      return value;
    },
    arrayBuffer: async () => encodeText(await readers.text()).buffer,
    blob: async () => new Blob([encodeText(await readers.text())]),
    bytes: async () => encodeText(await readers.text()),
  };
  for (const [name, reader] of Object.entries(readers)) {
    Object.defineProperty(response, name, { value: reader, configurable: true });
  }
  let observed: ReadableStream<Uint8Array> | undefined;
  Object.defineProperty(response, 'body', {
    configurable: true,
    get: () => (observed ??= observeBody(body, 'json', finish, options)),
  });
  return response;
}

const INVALID = Symbol('invalid JSON');

const EMPTY_SUMMARY: BodySummary = {
  end: 'complete',
  endedAt: 0,
  firstChunkAt: null,
  bytes: 0,
  failure: undefined,
  ...EMPTY_PARSE,
};

function encodeText(value: unknown): Uint8Array {
  return new TextEncoder().encode(value as string);
}
