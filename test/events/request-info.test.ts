import { describe, expect, it } from 'vitest';

import {
  bodyAskingForUsage,
  mayAskForStreamUsage,
  readRequestInfo,
} from '../../src/events/request-info.js';

const URL_BASE = 'https://api.openai.com/v1';

function read(path: string, body: unknown) {
  return readRequestInfo(`${URL_BASE}${path}`, {
    method: 'post',
    headers: new Headers({ 'x-stainless-retry-count': '2', 'x-client-request-id': 'call-1' }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('readRequestInfo', () => {
  it('reads endpoint, method, attempt and model from a JSON body without parsing it', () => {
    const info = read('/embeddings', '{ "input" : "a", "model" : "text-embedding-3-small" }');
    expect(info).toMatchObject({
      endpoint: '/embeddings',
      method: 'POST',
      attempt: 3,
      clientRequestId: 'call-1',
      model: 'text-embedding-3-small',
      stream: false,
    });
  });

  it('takes the first model key whose value is a plain string, nested ones included', () => {
    expect(read('/responses', { metadata: { model: null }, model: 'gpt-4.1' }).model).toBe(
      'gpt-4.1',
    );
    expect(read('/realtime/client_secrets', { session: { model: 'gpt-realtime' } }).model).toBe(
      'gpt-realtime',
    );
    // Inside a string the quotes are escaped, so mentions in content are not keys.
    expect(read('/responses', { input: 'use "model": "x"' }).model).toBeNull();
    expect(read('/responses', { model: 'a\\"b' }).model).toBeNull();
  });

  it('sees stream: true at either end of a large body, and nowhere else', () => {
    const long = 'x'.repeat(10_000);
    expect(read('/responses', { model: 'm', input: long, stream: true }).stream).toBe(true);
    expect(read('/responses', { stream: true, model: 'm', input: long }).stream).toBe(true);
    expect(read('/responses', { model: 'm', stream: false }).stream).toBe(false);
    expect(read('/responses', { model: 'm', input: '"stream": true' }).stream).toBe(false);
    expect(read('/responses', '{"model":"m","stream" :\n true}').stream).toBe(true);
  });

  it('reads model and stream of a chat body from its parsed value', () => {
    const messages = [{ role: 'user', content: 'say "model": "x", "stream": true' }];
    const info = read('/chat/completions', { model: 'gpt-4.1', messages, stream: true });
    expect(info).toMatchObject({ model: 'gpt-4.1', stream: true });
    expect(read('/chat/completions', { model: 'gpt-4.1', messages }).stream).toBe(false);
  });
});

describe('bodyAskingForUsage', () => {
  const messages = [{ role: 'user', content: 'hi' }];
  const asking = (body: unknown) => bodyAskingForUsage(JSON.stringify(body));

  it('asks a chat stream for usage unless the caller decided', () => {
    const asked = asking({ model: 'm', messages, stream: true });
    expect(JSON.parse(asked ?? 'null')).toEqual({
      model: 'm',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(
      JSON.parse(asking({ stream: true, stream_options: { include_obfuscation: false } }) ?? ''),
    ).toEqual({
      stream: true,
      stream_options: { include_obfuscation: false, include_usage: true },
    });
    const declined = { stream: true, stream_options: { include_usage: false } };
    expect(asking({ model: 'm', messages, ...declined })).toBeUndefined();
    expect(asking({ model: 'm', messages })).toBeUndefined();
    expect(asking({ model: 'm', messages: [{ content: '"stream":true' }] })).toBeUndefined();
    expect(bodyAskingForUsage('not json')).toBeUndefined();
  });
});

describe('mayAskForStreamUsage', () => {
  const messages = [{ role: 'user', content: 'say "stream": true' }];
  const may = (endpoint: string, body: unknown) =>
    mayAskForStreamUsage(`${URL_BASE}${endpoint}`, JSON.stringify(body));

  it('is true for a chat stream whose caller left usage unset, wherever stream is', () => {
    expect(may('/chat/completions', { model: 'm', messages, stream: true })).toBe(true);
    const long = [{ role: 'user', content: 'x'.repeat(50_000) }];
    expect(may('/chat/completions', { model: 'm', messages: long, stream: true, n: 1 })).toBe(true);
    expect(
      may('/chat/completions', { stream: true, stream_options: { include_obfuscation: false } }),
    ).toBe(true);
  });

  it('is false for chat calls that need no rewriting, which are read later', () => {
    expect(may('/chat/completions', { model: 'm', messages })).toBe(false);
    expect(may('/chat/completions', { model: 'm', messages, stream: false })).toBe(false);
    const decided = { stream: true, stream_options: { include_usage: false } };
    expect(may('/chat/completions', { model: 'm', messages, ...decided })).toBe(false);
    expect(may('/responses', { model: 'm', input: 'hi', stream: true })).toBe(false);
    expect(mayAskForStreamUsage(`${URL_BASE}/chat/completions`, new FormData())).toBe(false);
    expect(may('/foo/chat/completions', { model: 'm', messages, stream: true })).toBe(false);
  });

  it('agrees with the rewriting bodyAskingForUsage does', () => {
    const bodies = [
      { model: 'm', messages, stream: true },
      { model: 'm', messages },
      { model: 'm', messages, stream: true, stream_options: { include_usage: true } },
      { model: 'm', messages, stream: true, stream_options: {} },
    ];
    for (const body of bodies) {
      expect(bodyAskingForUsage(JSON.stringify(body)) !== undefined).toBe(
        may('/chat/completions', body),
      );
    }
  });
});
