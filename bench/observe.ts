/**
 * The request path's own pieces, without a network: the CPU a caller spends reading a
 * response, natively and through the capture's observation, in one process, interleaved
 * over rounds (best round counts, since other work on a shared machine only adds time).
 * This isolates what instrumentation adds on the caller's path from the noise of a whole
 * call, which the `overhead` benchmark measures.
 */
import { readRequestInfo } from '../src/events/request-info.js';
import { observeBody, observeResponse, observeStream } from '../src/events/response-observer.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import type { Flags } from './support/flags.js';
import { printTable, round } from './support/stats.js';

interface ObserveOptions {
  /** Responses read per variant and round. */
  iterations: number;
  rounds: number;
}

type Variant = () => unknown;

const encoder = new TextEncoder();

/** A `responses` answer of the usual size. */
const JSON_BODY = JSON.stringify({
  id: 'resp_bench',
  object: 'response',
  model: 'gpt-4.1-mini',
  output: [{ type: 'message', content: [{ type: 'output_text', text: 'ok '.repeat(40) }] }],
  usage: { input_tokens: 12, output_tokens: 40, total_tokens: 52 },
});
const JSON_HEADERS = { 'content-type': 'application/json', 'x-request-id': 'req_bench' };

/**
 * A short chat stream as the API sends it when asked for usage: eight content chunks that
 * carry `"usage":null`, the usage chunk and the end marker.
 */
const SSE_CHUNKS = [
  ...Array.from(
    { length: 8 },
    (_, i) => `data: {"id":"c","choices":[{"delta":{"content":"token ${i}"}}],"usage":null}\n\n`,
  ),
  'data: {"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":8}}\n\n',
  'data: [DONE]\n\n',
].map((chunk) => encoder.encode(chunk));
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' };

/**
 * The sources hand out a fresh copy of each chunk, as a network read does: hiding the
 * usage event turns its lines into comments in the chunk itself.
 */
function sseSource(): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk = SSE_CHUNKS[index++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk.slice());
    },
  });
}

/**
 * A longer chat stream as it arrives over loopback, where the server's writes come
 * together: 40 content events of the API's size and the usage event, in one chunk of
 * about 10 KB.
 */
const WHOLE_STREAM = encoder.encode(
  [
    ...Array.from(
      { length: 40 },
      (_, i) =>
        `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1796383968,` +
        `"model":"gpt-4.1-mini","system_fingerprint":"fp_bench","usage":null,"choices":` +
        `[{"index":0,"delta":{"content":" token ${i}"},"logprobs":null,"finish_reason":null}]}\n\n`,
    ),
    'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","choices":[],"usage":' +
      '{"prompt_tokens":16,"completion_tokens":40,"total_tokens":56}}\n\n',
    'data: [DONE]\n\n',
  ].join(''),
);

function wholeStreamSource(): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (sent) controller.close();
      else controller.enqueue(WHOLE_STREAM.slice());
      sent = true;
    },
  });
}

/** Reads a stream the way the SDK reads server-sent events. */
async function iterate(body: ReadableStream<Uint8Array> | null): Promise<number> {
  let bytes = 0;
  for await (const chunk of body ?? []) bytes += chunk.byteLength;
  return bytes;
}

const ignoreEnd = (): void => undefined;

/** Resolves once `read` has and the event loop has turned once more. */
async function withTurn(read: Promise<unknown>): Promise<void> {
  await read;
  await new Promise((resolve) => setImmediate(resolve));
}
/** What the event's build does later, off the caller's path: summarise the body. */
const summariseAtEnd = (summarise: () => unknown): void => void summarise();

const REQUEST_HEADERS = new Headers({
  'content-type': 'application/json',
  authorization: 'Bearer sk-bench-0000000000000000000000000abcd',
  'openai-organization': 'org-bench',
  'x-stainless-retry-count': '0',
  'x-client-request-id': 'stainless-node-retry-7d1f9a52-4c1e-4b8e-9a57-6e0b3c2d1f00',
});
const REQUEST_BODY = JSON.stringify({ model: 'gpt-4.1-mini', input: 'Summarise invoice 12.' });

/** How the capture observes a fetched chat stream it asked for usage. */
const IN_PLACE = { hideUsageChunk: true, chunksOwned: true };

/** Each comparison: the native way first, then the observed ways. */
const COMPARISONS: Record<string, Record<string, Variant>> = {
  // Each read is followed by a turn of the event loop, where an observed response's summary
  // is made: a caller of the network turns it between responses anyway.
  'JSON response, read with json()': {
    native: () => withTurn(new Response(JSON_BODY, { headers: JSON_HEADERS }).json()),
    observed: () =>
      withTurn(
        observeResponse(new Response(JSON_BODY, { headers: JSON_HEADERS }), ignoreEnd).json(),
      ),
  },
  'chat stream, 10 chunks, async iteration': {
    native: () => iterate(new Response(sseSource(), { headers: SSE_HEADERS }).body),
    'observed in place (observeStream)': () => {
      const response = new Response(sseSource(), { headers: SSE_HEADERS });
      observeStream(response.body as ReadableStream<Uint8Array>, 'sse', ignoreEnd, IN_PLACE);
      return iterate(response.body);
    },
    'through a tracking stream (observeBody)': () => {
      const source = new Response(sseSource(), { headers: SSE_HEADERS });
      const body = observeBody(
        source.body as ReadableStream<Uint8Array>,
        'sse',
        ignoreEnd,
        IN_PLACE,
      );
      return iterate(new Response(body, { headers: source.headers }).body);
    },
  },
  'chat stream, 10 KB in one chunk, async iteration': {
    native: () => iterate(wholeStreamSource()),
    // A fetched response's chunks are the reader's own, and the usage is hidden in place.
    'observed, usage hidden': () =>
      iterate(observeStream(wholeStreamSource(), 'sse', ignoreEnd, IN_PLACE)),
    'observed, usage hidden in a copy': () =>
      iterate(observeStream(wholeStreamSource(), 'sse', ignoreEnd, { hideUsageChunk: true })),
    "observed, usage the caller's": () =>
      iterate(observeStream(wholeStreamSource(), 'sse', ignoreEnd, { hideUsageChunk: false })),
    'observed, usage hidden, and summarised': () =>
      iterate(observeStream(wholeStreamSource(), 'sse', summariseAtEnd, IN_PLACE)),
  },
  'request, read before sending': {
    native: () => undefined,
    'readRequestInfo()': () =>
      readRequestInfo('http://127.0.0.1:4010/v1/responses', {
        method: 'POST',
        headers: REQUEST_HEADERS,
        body: REQUEST_BODY,
      }),
  },
};

export const observeBenchmark: Benchmark = {
  name: 'observe',
  description: 'CPU per response of the capture path alone, native against observed (no target)',
  flags: {
    iterations: 'responses per variant and round (default 20000)',
    rounds: 'interleaved rounds; the best counts (default 7)',
  },
  run: (flags) => runObserve(readOptions(flags)),
};

function readOptions(flags: Flags): ObserveOptions {
  return { iterations: flags.int('iterations', 20_000), rounds: flags.int('rounds', 7) };
}

/**
 * CPU microseconds per call of `variant`, user plus system, over `iterations` calls, with
 * what the calls leave for the next turn of the event loop (an observed response's summary).
 */
async function cpuPerCall(variant: Variant, iterations: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) await variant();
  await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

async function runObserve(options: ObserveOptions): Promise<BenchmarkResult> {
  const best = new Map<string, number>();
  const warmup = Math.max(1, Math.round(options.iterations / 10));
  for (let round = 0; round < options.rounds; round += 1) {
    for (const [comparison, variants] of Object.entries(COMPARISONS)) {
      for (const [name, variant] of Object.entries(variants)) {
        const key = `${comparison}\u0000${name}`;
        await cpuPerCall(variant, warmup);
        const microseconds = await cpuPerCall(variant, options.iterations);
        best.set(key, Math.min(best.get(key) ?? Infinity, microseconds));
      }
    }
  }

  const figures = Object.entries(COMPARISONS).flatMap(([comparison, variants]) => {
    const native = best.get(`${comparison}\u0000native`) ?? 0;
    return Object.keys(variants).map((name) => {
      const cpuUs = best.get(`${comparison}\u0000${name}`) ?? 0;
      return { comparison, variant: name, cpuUs, addedUs: cpuUs - native };
    });
  });
  printTable(
    ['what', 'variant', 'CPU µs per response', 'added'],
    figures.map((f) => [
      f.comparison,
      f.variant,
      f.cpuUs.toFixed(1),
      f.variant === 'native' ? '' : `${f.addedUs >= 0 ? '+' : ''}${f.addedUs.toFixed(1)}`,
    ]),
  );
  return {
    // A measurement of parts, with nothing to meet.
    targetsMet: true,
    options,
    figures: figures.map((f) => ({ ...f, cpuUs: round(f.cpuUs, 1), addedUs: round(f.addedUs, 1) })),
  };
}
