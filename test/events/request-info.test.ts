import { describe, expect, it } from 'vitest';

import { mayAskForStreamUsage, readRequestInfo } from '../../src/events/request-info.js';

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
      injectedUsage: false,
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

  it('asks a chat stream for usage unless the caller decided', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const asked = read('/chat/completions', { model: 'm', messages, stream: true });
    expect(asked.injectedUsage).toBe(true);
    expect(JSON.parse(asked.body as string)).toMatchObject({
      stream_options: { include_usage: true },
    });

    const declined = read('/chat/completions', {
      model: 'm',
      messages,
      stream: true,
      stream_options: { include_usage: false },
    });
    expect(declined.injectedUsage).toBe(false);
    expect(read('/chat/completions', { model: 'm', messages }).injectedUsage).toBe(false);
  });
});

describe('mayAskForStreamUsage', () => {
  const messages = [{ role: 'user', content: 'say "stream": true' }];
  const may = (endpoint: string, body: unknown) =>
    mayAskForStreamUsage(endpoint, JSON.stringify(body));

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
    expect(mayAskForStreamUsage('/chat/completions', new FormData())).toBe(false);
  });

  it('agrees with the rewriting readRequestInfo does', () => {
    const bodies = [
      { model: 'm', messages, stream: true },
      { model: 'm', messages },
      { model: 'm', messages, stream: true, stream_options: { include_usage: true } },
      { model: 'm', messages, stream: true, stream_options: {} },
    ];
    for (const body of bodies) {
      expect(read('/chat/completions', body).injectedUsage).toBe(may('/chat/completions', body));
    }
  });
});
