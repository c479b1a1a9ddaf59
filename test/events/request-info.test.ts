import { describe, expect, it } from 'vitest';

import { readRequestInfo } from '../../src/events/request-info.js';

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
