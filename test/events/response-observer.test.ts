import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { setLogger } from '../../src/config/logger.js';

import {
  observeBody,
  observeResponse,
  observeStream,
  type BodySummary,
} from '../../src/events/response-observer.js';
import { captureLogs } from '../support/log-capture.js';

const encoder = new TextEncoder();

function streamOf(parts: string[], failAfter?: number): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      if (failAfter !== undefined && index === failAfter) {
        controller.error(new TypeError('terminated'));
        return;
      }
      const part = parts[index++];
      if (part === undefined) controller.close();
      else controller.enqueue(encoder.encode(part));
    },
  });
}

async function consume(
  parts: string[],
  kind: 'json' | 'sse' | 'binary',
  options: { hideUsageChunk?: boolean; failAfter?: number } = {},
): Promise<{ text: string; summary: BodySummary; error: unknown }> {
  let summarise: (() => BodySummary) | undefined;
  const body = observeBody(
    streamOf(parts, options.failAfter),
    kind,
    (fn) => (summarise = fn),
    options,
  );
  let error: unknown;
  let text = '';
  try {
    text = await new Response(body).text();
  } catch (caught) {
    error = caught;
  }
  if (summarise === undefined) throw new Error('onEnd was not called');
  return { text, summary: summarise(), error };
}

const usageChunk =
  'data: {"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\n';

/**
 * The data of each event that a reader of server-sent events dispatches from `text`, as
 * the SDK's decoder does: comment lines (a leading colon) are skipped, and a blank line
 * ends an event that has data.
 */
function eventData(text: string): string[] {
  const events: string[] = [];
  let data: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      if (data.length > 0) events.push(data.join('\n'));
      data = [];
    } else if (line.startsWith('data:')) {
      data.push(line.slice(5).replace(/^ /, ''));
    }
  }
  return events;
}

describe('observeBody', () => {
  it('passes JSON through unchanged and reads usage, model and errors', async () => {
    const json = '{"model":"m","usage":{"prompt_tokens":5,"completion_tokens":2}}';
    const { text, summary } = await consume([json.slice(0, 10), json.slice(10)], 'json');
    expect(text).toBe(json);
    expect(summary.usage).toMatchObject({ inputTokens: 5, outputTokens: 2 });
    expect(summary.model).toBe('m');
    expect(summary.end).toBe('complete');

    const failure = await consume(
      ['{"error":{"code":"rate_limit_exceeded","message":"slow"}}'],
      'json',
    );
    expect(failure.summary).toMatchObject({
      errorType: 'rate_limit_exceeded',
      errorMessage: 'slow',
    });
  });

  it('marks a JSON body that does not parse', async () => {
    const { summary } = await consume(['{"truncated":'], 'json');
    expect(summary.errorType).toBe('invalid_json');
  });

  it('finds usage in an SSE event split across chunks', async () => {
    const parts = [
      'data: {"choices":[{"delta":{}}]}\n\n',
      usageChunk.slice(0, 30),
      usageChunk.slice(30),
      'data: [DONE]\n\n',
    ];
    const { text, summary } = await consume(parts, 'sse');
    expect(text).toBe(parts.join(''));
    expect(summary.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
  });

  it('hides only the usage event it was told to hide, in place', async () => {
    const first = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';
    const parts = [first, usageChunk, 'data: [DONE]\n\n'];
    const { text, summary } = await consume(parts, 'sse', { hideUsageChunk: true });
    expect(eventData(text)).toEqual(eventData(`${first}data: [DONE]\n\n`));
    expect(text).toHaveLength(parts.join('').length);
    expect(summary.usage.inputTokens).toBe(7);
  });

  it('reports a stream that breaks, with the usage seen before the break', async () => {
    const parts = [
      'data: {"response":{"usage":{"input_tokens":4,"output_tokens":1}}}\n\n',
      'data: x',
    ];
    const { summary, error } = await consume(parts, 'sse', { failAfter: 1 });
    expect(error).toBeInstanceOf(TypeError);
    expect(summary.end).toBe('broken');
    expect(summary.usage.inputTokens).toBe(4);
  });

  it('passes a binary body through without keeping it', async () => {
    const { text, summary } = await consume(['abc', 'defg'], 'binary');
    expect(text).toBe('abcdefg');
    expect(summary).toMatchObject({ end: 'complete', text: null, usage: { inputTokens: null } });
    expect(summary.firstChunkAt).toBeTypeOf('number');
  });
});

/** Every way a caller can read a stream body, each returning the text it read. */
const readers: Record<string, (body: ReadableStream<Uint8Array>) => Promise<string>> = {
  'async iteration (the SDK)': async (body) => {
    let text = '';
    for await (const chunk of body) text += Buffer.from(chunk).toString();
    return text;
  },
  'values()': async (body) => {
    let text = '';
    for await (const chunk of body.values()) text += Buffer.from(chunk).toString();
    return text;
  },
  getReader: async (body) => {
    const reader = body.getReader();
    let text = '';
    for (let result = await reader.read(); !result.done; result = await reader.read()) {
      text += Buffer.from(result.value).toString();
    }
    return text;
  },
  'Response#text': (body) => new Response(body).text(),
  'Response#arrayBuffer': async (body) =>
    Buffer.from(await new Response(body).arrayBuffer()).toString(),
  'Response#clone': async (body) => {
    const response = new Response(body);
    const copy = response.clone();
    const [first, second] = await Promise.all([response.text(), copy.text()]);
    expect(second).toBe(first);
    return first;
  },
  'Readable.fromWeb': async (body) => {
    let text = '';
    for await (const chunk of Readable.fromWeb(body as never)) text += String(chunk);
    return text;
  },
  pipeThrough: async (body) => {
    let text = '';
    for await (const part of body.pipeThrough(new TextDecoderStream())) text += part;
    return text;
  },
  pipeTo: async (body) => {
    let text = '';
    await body.pipeTo(
      new WritableStream({ write: (chunk) => void (text += Buffer.from(chunk).toString()) }),
    );
    return text;
  },
  tee: async (body) => {
    const [left, right] = body.tee();
    const [first, second] = await Promise.all([
      new Response(left).text(),
      new Response(right).text(),
    ]);
    expect(second).toBe(first);
    return first;
  },
};

describe('observeStream', () => {
  const first = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';
  const parts = [first, usageChunk.slice(0, 25), usageChunk.slice(25), 'data: [DONE]\n\n'];
  /** What a reader of the stream dispatches when the usage is hidden: all but the usage. */
  const shown = eventData(`${first}data: [DONE]\n\n`);

  for (const [name, read] of Object.entries(readers)) {
    it(`observes a stream read by ${name}, hiding the usage chunk, and ends once`, async () => {
      const ends: (() => BodySummary)[] = [];
      const source = streamOf(parts);
      const body = observeStream(source, 'sse', (summarise) => ends.push(summarise), {
        hideUsageChunk: true,
      });
      expect(body).toBe(source);

      const text = await read(body);
      expect(eventData(text)).toEqual(shown);
      expect(text).toHaveLength(parts.join('').length);
      expect(ends).toHaveLength(1);
      expect(ends[0]?.()).toMatchObject({
        end: 'complete',
        usage: { inputTokens: 7, outputTokens: 3 },
      });
    });
  }

  for (const reader of ['text', 'arrayBuffer', 'clone'] as const) {
    it(`observes a body in place, read by its own response's ${reader}()`, async () => {
      const ends: (() => BodySummary)[] = [];
      const response = new Response(streamOf(parts));
      observeStream(response.body as ReadableStream<Uint8Array>, 'sse', (s) => ends.push(s), {
        hideUsageChunk: true,
      });
      const read = async (from: Response) => Buffer.from(await from.arrayBuffer()).toString();
      const text =
        reader === 'text'
          ? await response.text()
          : reader === 'arrayBuffer'
            ? await read(response)
            : (await Promise.all([read(response.clone()), read(response)])).join('');
      expect(eventData(text)).toEqual(reader === 'clone' ? [...shown, ...shown] : shown);
      expect(ends).toHaveLength(1);
      expect(ends[0]?.()).toMatchObject({ end: 'complete', usage: { inputTokens: 7 } });
    });
  }

  it('hands chunks on as they came, and a copy with the usage event as a comment', async () => {
    // The API marks every chunk before the usage chunk with "usage":null once asked for usage.
    const waiting = 'data: {"choices":[{"delta":{"content":"!"}}],"usage":null}\r\n\r\n';
    const chunks = [first, waiting, usageChunk].map((text) => encoder.encode(text));
    let index = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks[index++];
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const received: Uint8Array[] = [];
    const ends: BodySummary[] = [];
    const body = observeStream(source, 'sse', (summarise) => ends.push(summarise()), {
      hideUsageChunk: true,
    });
    for await (const chunk of body) received.push(chunk);
    expect(received).toHaveLength(3);
    expect(received.slice(0, 2)).toEqual(chunks.slice(0, 2));
    received.slice(0, 2).forEach((chunk, at) => expect(chunk).toBe(chunks[at]));
    expect(received[2]?.byteLength).toBe(usageChunk.length);
    expect(eventData(Buffer.from(received[2] ?? []).toString())).toEqual([]);
    // The source's own bytes are left as they were, for whoever else holds them.
    expect(Buffer.from(chunks[2] ?? []).toString()).toBe(usageChunk);
    expect(ends).toMatchObject([{ end: 'complete', usage: { inputTokens: 7, outputTokens: 3 } }]);
  });

  it("turns the usage event into a comment in the chunk itself if it is the reader's", async () => {
    const chunk = encoder.encode(`${first}${usageChunk}data: [DONE]\n\n`);
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const ends: BodySummary[] = [];
    const body = observeStream(source, 'sse', (summarise) => ends.push(summarise()), {
      hideUsageChunk: true,
      chunksOwned: true,
    });
    const received: Uint8Array[] = [];
    for await (const passed of body) received.push(passed);
    expect(received).toHaveLength(1);
    expect(received[0]).toBe(chunk);
    expect(eventData(Buffer.from(chunk).toString())).toEqual(shown);
    expect(ends).toMatchObject([{ end: 'complete', usage: { inputTokens: 7, outputTokens: 3 } }]);
  });

  /** Reads a one-chunk stream of `text` by async iteration: the chunks and the summary. */
  async function readWhole(text: string, options: { hideUsageChunk?: boolean } = {}) {
    const ends: BodySummary[] = [];
    const body = observeStream(streamOf([text]), 'sse', (s) => ends.push(s()), options);
    const received: string[] = [];
    for await (const chunk of body) received.push(Buffer.from(chunk).toString());
    expect(ends).toHaveLength(1);
    return { received, summary: ends[0] as BodySummary };
  }

  it('hides only the usage event of a chunk that holds a whole stream', async () => {
    // Over loopback, a whole stream arrives as one chunk; its text is not only ASCII.
    const accented =
      'data: {"choices":[{"delta":{"content":"déjà vu ✓ []","tool_calls":[]}}],' +
      '"usage":null}\n\n';
    const whole = `${first}${accented}${usageChunk}data: [DONE]\n\n`;

    const hidden = await readWhole(whole, { hideUsageChunk: true });
    expect(hidden.received).toHaveLength(1);
    expect(eventData(hidden.received[0] ?? '')).toEqual(
      eventData(`${first}${accented}data: [DONE]\n\n`),
    );
    expect(hidden.received[0]).toHaveLength(whole.length);
    expect(hidden.summary).toMatchObject({
      end: 'complete',
      usage: { inputTokens: 7, outputTokens: 3 },
    });

    const kept = await readWhole(whole);
    expect(kept.received).toEqual([whole]);
    expect(kept.summary.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
  });

  it('reads an error event among plain events, and hides usage in CRLF streams too', async () => {
    const failed = await readWhole(
      `${first}data: {"error":{"message":"overloaded","type":"server_error"}}\n\n`,
      { hideUsageChunk: true },
    );
    expect(failed.summary).toMatchObject({ errorType: 'server_error', errorMessage: 'overloaded' });

    const crlf = (text: string) => text.replaceAll('\n', '\r\n');
    const whole = crlf(`${first}${usageChunk}data: [DONE]\n\n`);
    const hidden = await readWhole(whole, { hideUsageChunk: true });
    expect(eventData(hidden.received.join(''))).toEqual(shown);
    expect(hidden.received.join('')).toHaveLength(whole.length);
    expect(hidden.summary.usage).toMatchObject({ inputTokens: 7 });

    // Split inside the usage event, the chunks are decoded; the line ends still survive.
    const split = observeStream(
      streamOf([whole.slice(0, first.length + 30), whole.slice(first.length + 30)]),
      'sse',
      () => undefined,
      { hideUsageChunk: true },
    );
    const text = await new Response(split).text();
    expect(eventData(text)).toEqual(shown);
    expect(text).toHaveLength(whole.length);
  });

  it('takes the last event that reports usage or an error, wherever it stands', async () => {
    const waiting = 'data: {"choices":[{"delta":{"content":"!"}}],"usage":null}\n\n';
    const error = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
    const quoted = 'data: {"choices":[{"delta":{"content":"the \\"usage\\" key"}}]}\n\n';

    const usageFirst = await readWhole(`${usageChunk}${waiting}${quoted}data: [DONE]\n\n`);
    expect(usageFirst.summary).toMatchObject({ errorType: null, usage: { inputTokens: 7 } });

    const errorLast = await readWhole(`${usageChunk}${error}${waiting}`, { hideUsageChunk: true });
    expect(errorLast.summary).toMatchObject({ errorType: 'server_error' });

    const usageLast = await readWhole(`${error}${waiting}${usageChunk}`, { hideUsageChunk: true });
    expect(usageLast.summary).toMatchObject({ errorType: null, usage: { outputTokens: 3 } });
    expect(eventData(usageLast.received.join(''))).toEqual(eventData(`${error}${waiting}`));
  });

  it('reads usage the caller asked for from chunks scanned only when summarised', async () => {
    const usageOf = (input: number) =>
      `data: {"id":"c","choices":[],"usage":{"prompt_tokens":${input},"completion_tokens":1}}\n\n`;
    const plain = `data: {"choices":[{"delta":{"content":"${'x'.repeat(200)}"}}]}\n\n`;
    const summarise = async (parts: string[]) => {
      const ends: (() => BodySummary)[] = [];
      const body = observeStream(streamOf(parts), 'sse', (s) => ends.push(s));
      const received: string[] = [];
      for await (const chunk of body) received.push(Buffer.from(chunk).toString());
      expect(received).toEqual(parts);
      return ends[0]?.();
    };

    // Usage early, then more than the unscanned allowance of plain events.
    const long = [usageOf(5), ...Array.from({ length: 400 }, () => plain), 'data: [DONE]\n\n'];
    expect((await summarise(long))?.usage).toMatchObject({ inputTokens: 5 });

    // A later usage event split across chunks wins over an earlier whole one.
    const later = usageOf(9);
    const split = [first, usageOf(5), later.slice(0, 30), later.slice(30), 'data: [DONE]\n\n'];
    expect((await summarise(split))?.usage).toMatchObject({ inputTokens: 9 });
  });

  it('ends as cancelled when the reader stops early, as broken when the source fails', async () => {
    const ends: BodySummary[] = [];
    const early = observeStream(streamOf(parts), 'sse', (summarise) => ends.push(summarise()));
    for await (const chunk of early) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    expect(ends.map((e) => e.end)).toEqual(['cancelled']);

    const failing = observeStream(streamOf(parts, 1), 'sse', (summarise) => ends.push(summarise()));
    await expect(readers['async iteration (the SDK)']!(failing)).rejects.toThrow('terminated');
    expect(ends.map((e) => e.end)).toEqual(['cancelled', 'broken']);

    const cancelled = observeStream(streamOf(parts), 'binary', (summarise) =>
      ends.push(summarise()),
    );
    await cancelled.cancel('not needed');
    expect(ends.map((e) => e.end)).toEqual(['cancelled', 'broken', 'cancelled']);
  });
});

describe('observeResponse', () => {
  const json = '{"model":"m","usage":{"prompt_tokens":5,"completion_tokens":2}}';
  const stream =
    'data: {"id":"c","choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n' +
    usageChunk +
    'data: [DONE]\n\n';

  function observed(
    body: ConstructorParameters<typeof Response>[0],
    contentType: string,
    options: { hideUsageChunk?: boolean } = {},
  ): {
    response: Response;
    ends: { summary: BodySummary; head: { status: number; headers: Headers } }[];
  } {
    const ends: { summary: BodySummary; head: { status: number; headers: Headers } }[] = [];
    const response = observeResponse(
      new Response(body, { status: 201, headers: { 'content-type': contentType } }),
      (summary, status, headers) => ends.push({ summary, head: { status, headers } }),
      options,
    );
    return { response, ends };
  }

  /** The ends handed on by the turn of the event loop after a read. */
  async function endsAfter<T>(
    read: Promise<T>,
    ends: readonly unknown[],
  ): Promise<{ value: T; during: number }> {
    const value = await read;
    const during = ends.length;
    await new Promise((resolve) => setImmediate(resolve));
    return { value, during };
  }

  it.each([
    ['json()', (response: Response) => response.json().then((value) => JSON.stringify(value))],
    ['text()', (response: Response) => response.text()],
    ['body', (response: Response) => new Response(response.body).text()],
    ['bytes', async (response: Response) => Buffer.from(await response.arrayBuffer()).toString()],
  ])('reads a JSON body through %s, once, with its usage, status and headers', async (_, read) => {
    const { response, ends } = observed(json, 'application/json');
    const { value, during } = await endsAfter(read(response), ends);
    expect(value).toBe(json);
    // Nothing is summarised on the reader's way; the end comes at the next turn.
    expect(during).toBe(0);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.summary.usage).toMatchObject({ inputTokens: 5, outputTokens: 2 });
    expect(ends[0]?.summary.model).toBe('m');
    expect(ends[0]?.head.status).toBe(201);
    expect(ends[0]?.head.headers.get('content-type')).toBe('application/json');
  });

  it('follows an event stream read by async iteration, hiding the usage it asked for', async () => {
    const { response, ends } = observed(stream, 'text/event-stream', { hideUsageChunk: true });
    let text = '';
    for await (const chunk of response.body as ReadableStream<Uint8Array>) {
      text += Buffer.from(chunk).toString();
    }
    expect(eventData(text)).toHaveLength(2);
    expect(eventData(text).at(-1)).toBe('[DONE]');
    expect(eventData(text).some((data) => data.includes('prompt_tokens'))).toBe(false);
    await endsAfter(Promise.resolve(), ends);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.summary.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
  });

  it('observes a stream cloned before it is read, even when only the copy is read', async () => {
    const { response, ends } = observed(stream, 'text/event-stream');
    const copy = response.clone();
    expect((await endsAfter(copy.text(), ends)).value).toBe(stream);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.summary.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    expect((await endsAfter(response.text(), ends)).value).toBe(stream);
    expect(ends).toHaveLength(1);
  });

  it('hands binary bodies over byte for byte', async () => {
    const bytes = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]);
    const { response, ends } = observed(bytes, 'audio/mpeg');
    const { value } = await endsAfter(response.arrayBuffer(), ends);
    expect([...new Uint8Array(value)]).toEqual([...bytes]);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.summary.end).toBe('complete');
  });

  it('logs an end that fails and still hands on the others of its turn', async () => {
    const logs = captureLogs();
    setLogger(logs.logger);
    try {
      const failing = observeResponse(
        new Response(json, { headers: { 'content-type': 'application/json' } }),
        () => {
          throw new Error('sink gone');
        },
      );
      const { response, ends } = observed(json, 'application/json');
      await Promise.all([failing.json(), response.json()]);
      await endsAfter(Promise.resolve(), ends);
      expect(ends).toHaveLength(1);
      expect(logs.events('openai.capture_failed')).toHaveLength(1);
    } finally {
      setLogger(undefined);
    }
  });

  it('ends a JSON body that breaks as broken', async () => {
    const { response, ends } = observed(streamOf([json.slice(0, 8)], 1), 'application/json');
    await expect(response.json()).rejects.toThrow();
    await endsAfter(Promise.resolve(), ends);
    expect(ends).toHaveLength(1);
    expect(ends[0]?.summary.end).toBe('broken');
  });
});
