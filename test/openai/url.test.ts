import { describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import {
  buildOpenAiUrl,
  DEFAULT_OPENAI_BASE_URL,
  normalizeOpenAiBaseUrl,
} from '../../src/openai/url.js';

describe('normalizeOpenAiBaseUrl', () => {
  it.each([
    ['https://api.openai.com', 'https://api.openai.com/v1'],
    ['https://api.openai.com/', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1'],
    ['https://api.openai.com/V1/', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/v1', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1//V1///', 'https://api.openai.com/v1'],
    ['https://gateway.internal/openai', 'https://gateway.internal/openai/v1'],
    ['https://gateway.internal//openai//v1/', 'https://gateway.internal/openai/v1'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/v1'],
    ['  https://api.openai.com/v1  ', 'https://api.openai.com/v1'],
    ['HTTPS://API.OPENAI.COM/v1', 'https://api.openai.com/v1'],
    ['http://[::1]:9000/proxy/v1', 'http://[::1]:9000/proxy/v1'],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalizeOpenAiBaseUrl(input)).toBe(expected);
  });

  it('keeps a path segment that merely contains v1', () => {
    expect(normalizeOpenAiBaseUrl('https://host/apiv1')).toBe('https://host/apiv1/v1');
    expect(normalizeOpenAiBaseUrl('https://host/v1beta')).toBe('https://host/v1beta/v1');
  });

  it('falls back to the public API when unset or blank', () => {
    expect(normalizeOpenAiBaseUrl(undefined)).toBe(DEFAULT_OPENAI_BASE_URL);
    expect(normalizeOpenAiBaseUrl('   ')).toBe(DEFAULT_OPENAI_BASE_URL);
  });

  it('is idempotent', () => {
    const once = normalizeOpenAiBaseUrl('https://gateway.internal/openai/v1/v1/');
    expect(normalizeOpenAiBaseUrl(once)).toBe(once);
  });

  it.each([
    ['api.openai.com', /must be an http\(s\) URL/],
    ['not a url', /must be an http\(s\) URL/],
    ['ftp://api.openai.com/v1', /must be an http\(s\) URL/],
    ['file:///etc/passwd', /must be an http\(s\) URL/],
    ['localhost:8080', /must be an http\(s\) URL/],
    ['http:///v1', /must be an http\(s\) URL/],
    ['https://user:secret@api.openai.com', /must not embed credentials/],
    ['https://api.openai.com/v1?api-version=1', /must not have a query string/],
    ['https://api.openai.com/v1#frag', /must not have a query string/],
  ])('rejects %s naming OPENAI_BASE_URL', (input, message) => {
    let error: unknown;
    try {
      normalizeOpenAiBaseUrl(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OpenAIOpsConfigError);
    expect((error as OpenAIOpsConfigError).variable).toBe('OPENAI_BASE_URL');
    expect((error as Error).message).toMatch(/^OPENAI_BASE_URL /);
    expect((error as Error).message).toMatch(message);
  });

  it('never echoes credentials or key-like text in its errors', () => {
    const messages = ['https://user:hunter2@host', 'sk-live-abcdef123456 oops'].map((input) => {
      try {
        normalizeOpenAiBaseUrl(input);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(messages.join('\n')).not.toMatch(/hunter2|abcdef123456/);
  });

  it('names the variable it was given', () => {
    expect(() => normalizeOpenAiBaseUrl('nope', 'OPENAI_BASE_URL_FINANCE_PROD')).toThrow(
      /^OPENAI_BASE_URL_FINANCE_PROD must be/,
    );
  });
});

describe('buildOpenAiUrl', () => {
  const base = 'https://api.openai.com/v1';

  it.each([
    'requests/req_1/debug',
    '/requests/req_1/debug',
    'v1/requests/req_1/debug',
    '/v1/requests/req_1/debug',
    'V1/requests/req_1/debug',
    '/v1//requests//req_1/debug',
    '/v1/v1/requests/req_1/debug',
  ])('joins %s with a single /v1', (path) => {
    expect(buildOpenAiUrl(path, base)).toBe('https://api.openai.com/v1/requests/req_1/debug');
  });

  it('keeps query strings on the path', () => {
    expect(buildOpenAiUrl('/v1/files?purpose=batch&limit=2', base)).toBe(
      'https://api.openai.com/v1/files?purpose=batch&limit=2',
    );
    expect(buildOpenAiUrl('models?after=v1/x', base)).toBe(
      'https://api.openai.com/v1/models?after=v1/x',
    );
  });

  it('joins onto a base with a path prefix', () => {
    expect(buildOpenAiUrl('/v1/responses', 'https://gateway.internal/openai/')).toBe(
      'https://gateway.internal/openai/v1/responses',
    );
  });

  it('keeps path segments that start with v1 but are not /v1', () => {
    expect(buildOpenAiUrl('v1beta/things', base)).toBe('https://api.openai.com/v1/v1beta/things');
  });

  it('returns the base for an empty path', () => {
    expect(buildOpenAiUrl('', base)).toBe(base);
    expect(buildOpenAiUrl('/v1/', base)).toBe(base);
  });

  it('reads OPENAI_BASE_URL from the environment it is given', () => {
    const env = { OPENAI_BASE_URL: 'http://127.0.0.1:4010/v1/' };
    expect(buildOpenAiUrl('/v1/embeddings', undefined, env)).toBe(
      'http://127.0.0.1:4010/v1/embeddings',
    );
    expect(buildOpenAiUrl('embeddings', undefined, {})).toBe(
      'https://api.openai.com/v1/embeddings',
    );
  });

  it('rejects a full URL where a path belongs', () => {
    expect(() => buildOpenAiUrl('https://evil.example/v1/x', base)).toThrow(OpenAIOpsConfigError);
    expect(() => buildOpenAiUrl('//evil.example/x', base)).toThrow(/not a full URL/);
  });

  it('reports a bad OPENAI_BASE_URL from the environment', () => {
    expect(() => buildOpenAiUrl('/x', undefined, { OPENAI_BASE_URL: 'localhost:1' })).toThrow(
      /^OPENAI_BASE_URL must be an http\(s\) URL/,
    );
  });
});
