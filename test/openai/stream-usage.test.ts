import { describe, expect, it } from 'vitest';

import {
  askForStreamUsage,
  isStreamUsageAsked,
  type StreamableRequest,
} from '../../src/openai/stream-usage.js';

const messages = [{ role: 'user', content: 'say "stream": true' }];

function chatStream(body: Record<string, unknown>, extra: Partial<StreamableRequest> = {}) {
  return { path: '/chat/completions', stream: body.stream === true, body, ...extra };
}

describe('askForStreamUsage', () => {
  it('asks a chat stream for usage in a copy of the body, and marks the fetch options', () => {
    const params = { model: 'm', messages, stream: true };
    const caller = { timeout: 5 };
    const options = chatStream(params, { fetchOptions: caller });
    askForStreamUsage(options);
    expect(options.body).toEqual({ ...params, stream_options: { include_usage: true } });
    expect(params).toEqual({ model: 'm', messages, stream: true });
    expect(isStreamUsageAsked(options.fetchOptions)).toBe(true);
    expect(options.fetchOptions).toMatchObject(caller);
    expect(isStreamUsageAsked(caller)).toBe(false);
  });

  it("keeps the caller's other stream options", () => {
    const options = chatStream({ stream: true, stream_options: { include_obfuscation: false } });
    askForStreamUsage(options);
    expect(options.body).toMatchObject({
      stream_options: { include_obfuscation: false, include_usage: true },
    });
  });

  it('leaves a caller who decided either way, and requests that are no chat stream', () => {
    const cases = [
      chatStream({ model: 'm', messages, stream: true, stream_options: { include_usage: false } }),
      chatStream({ model: 'm', messages, stream: true, stream_options: { include_usage: true } }),
      chatStream({ model: 'm', messages }),
      { path: '/responses', stream: true, body: { model: 'm', input: 'hi', stream: true } },
      { path: '/chat/completions', stream: true, body: 'not an object' },
    ];
    for (const options of cases) {
      const before = structuredClone(options);
      askForStreamUsage(options);
      expect(options).toEqual(before);
      expect(isStreamUsageAsked(options.fetchOptions)).toBe(false);
    }
  });

  it('asks once for a request the SDK retries with the same options', () => {
    const options = chatStream({ model: 'm', messages, stream: true });
    askForStreamUsage(options);
    const asked = options.body;
    askForStreamUsage(options);
    expect(options.body).toBe(asked);
    expect(isStreamUsageAsked(options.fetchOptions)).toBe(true);
  });
});
