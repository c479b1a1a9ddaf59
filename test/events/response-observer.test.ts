import { describe, expect, it } from 'vitest';

import { observeBody, type BodySummary } from '../../src/events/response-observer.js';

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

  it('holds back only the usage chunk it was told to hide', async () => {
    const first = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';
    const parts = [first, usageChunk, 'data: [DONE]\n\n'];
    const { text, summary } = await consume(parts, 'sse', { hideUsageChunk: true });
    expect(text).toBe(`${first}data: [DONE]\n\n`);
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

  it('counts binary bytes without buffering them', async () => {
    const { summary } = await consume(['abc', 'defg'], 'binary');
    expect(summary.bytes).toBe(7);
    expect(summary.text).toBeNull();
  });
});
