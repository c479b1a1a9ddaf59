/**
 * Properties of base-URL normalisation and REST-path joining, over arbitrary strings and
 * over URL-shaped strings built from the pieces operators actually get wrong.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import { buildOpenAiUrl, normalizeOpenAiBaseUrl } from '../../src/openai/url.js';
import { outcomeOf, RUNS, tricky } from './support.js';

const DOUBLE_V1 = /\/v1\/v1(?:[/?#]|$)/i;
/** A `/v1` segment right after the base, which already ends in `/v1`. */
const LEADING_V1 = /^\/v1(?:[/?#]|$)/i;

const scheme = fc.constantFrom('http', 'https', 'HTTPS', 'hTtP', 'ftp', 'ws', 'file', 'javascript');
const separator = fc.constantFrom('://', ':/', ':', ':///', ':\\\\', '://\\');
const userinfo = fc.constantFrom('', '@', ':@', 'user@', 'user:pass@', 'sk-abc123456789@');
const host = fc.constantFrom(
  'api.openai.com',
  'LOCALHOST',
  '127.0.0.1',
  '[::1]',
  '[2001:db8::1]',
  'bücher.de',
  'host.',
  'a_b.internal',
  '',
  ' ',
);
const port = fc.constantFrom('', ':0', ':443', ':80', ':8080', ':65535', ':99999', ':x');
const segment = fc.oneof(
  fc.constantFrom('v1', 'V1', 'v1v1', 'openai', '', '.', '..', '%2e%2e', '%76%31', 'v1%2F'),
  fc.constantFrom('a b', '🔥', ';x', '@', 'v1 ', ' v1', 'deployments', '\t', '%', '~'),
  fc.string({ maxLength: 6 }),
);
const path = fc
  .array(fc.tuple(fc.constantFrom('/', '//', '///', '\\'), segment), { maxLength: 6 })
  .map((parts) => parts.map(([slash, name]) => slash + name).join(''));
const query = fc.constantFrom('', '?', '?a=1', '?api-version=2024', '#', '#frag', '?a#b');
const padding = fc.constantFrom('', ' ', '\t', '\n', '\u00a0', ' \r\n');

/** URL-ish strings: scheme, separator, userinfo, host, port, path, query, padding. */
const urlish = fc
  .tuple(padding, scheme, separator, userinfo, host, port, path, query, padding)
  .map((parts) => parts.join(''));

const anyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: tricky, maxLength: 40 }),
);

/** Bases the normaliser accepts, in canonical form. */
const validBase = fc
  .tuple(
    fc.constantFrom('http', 'https'),
    fc.constantFrom('api.openai.com', '127.0.0.1:4010', '[::1]:8080', 'proxy.internal'),
    fc.constantFrom('', '/openai', '/v1', '/openai/v1', '/a/b'),
  )
  .map(([protocol, hostname, prefix]) =>
    normalizeOpenAiBaseUrl(`${protocol}://${hostname}${prefix}`),
  );

const apiPath = fc.oneof(
  anyText,
  fc
    .array(
      fc.tuple(
        fc.constantFrom('/', '//', '', '\\'),
        fc.constantFrom('v1', 'V1', 'requests', 'req_1', 'debug', '..', '%2e%2e', '.', 'v1v1'),
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.map(([slash, name]) => slash + name).join('')),
);

function expectNormalised(out: string): void {
  expect(out).toMatch(/^https?:\/\//);
  expect(out.endsWith('/v1')).toBe(true);
  expect(out).not.toMatch(DOUBLE_V1);
  expect(out).not.toMatch(/[?#]/);
  const parsed = new URL(out);
  expect(parsed.username).toBe('');
  expect(parsed.password).toBe('');
  expect(parsed.search).toBe('');
  expect(parsed.hash).toBe('');
  expect(parsed.pathname).not.toMatch(DOUBLE_V1);
}

describe('normalizeOpenAiBaseUrl', () => {
  it('returns a value or throws OpenAIOpsConfigError, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, urlish), (input) => {
        const outcome = outcomeOf(() => normalizeOpenAiBaseUrl(input));
        if (!outcome.ok) expect(outcome.error).toBeInstanceOf(OpenAIOpsConfigError);
      }),
      RUNS,
    );
  });

  it('gives an http(s) URL with one trailing /v1 and no query, fragment or credentials', () => {
    fc.assert(
      fc.property(urlish, (input) => {
        const outcome = outcomeOf(() => normalizeOpenAiBaseUrl(input));
        if (outcome.ok) expectNormalised(outcome.value);
      }),
      // Rare in random runs, so always tried: a doubled /v1 before a last segment.
      { ...RUNS, examples: [['https://gateway.internal/v1/v1/openai']] },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, urlish), (input) => {
        const outcome = outcomeOf(() => normalizeOpenAiBaseUrl(input));
        if (outcome.ok) expect(normalizeOpenAiBaseUrl(outcome.value)).toBe(outcome.value);
      }),
      RUNS,
    );
  });

  it('names the variable it was given in every error', () => {
    fc.assert(
      fc.property(
        urlish,
        fc.constantFrom('OPENAI_BASE_URL_FINANCE_PROD', 'baseURL'),
        (input, v) => {
          const outcome = outcomeOf(() => normalizeOpenAiBaseUrl(input, v));
          if (outcome.ok) return;
          expect((outcome.error as OpenAIOpsConfigError).variable).toBe(v);
          expect((outcome.error as Error).message).toContain(v);
        },
      ),
      RUNS,
    );
  });

  it('never repeats a password from the URL in its error, even when the URL is invalid', () => {
    const password = 'hunter2-0c4f9e1d';
    const broken = fc.tuple(
      fc.constantFrom('https', 'http', 'ftp'),
      fc.constantFrom('api.openai.com', 'bad host', '[::1', 'h'),
      fc.constantFrom('', ':99999', ':x', '/v1', ' /v1'),
    );
    fc.assert(
      fc.property(broken, ([protocol, hostname, rest]) => {
        const input = `${protocol}://admin:${password}@${hostname}${rest}`;
        const outcome = outcomeOf(() => normalizeOpenAiBaseUrl(input));
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect((outcome.error as Error).message).not.toContain(password);
      }),
      RUNS,
    );
  });
});

describe('buildOpenAiUrl', () => {
  it('returns a value or throws OpenAIOpsConfigError, for any path', () => {
    fc.assert(
      fc.property(apiPath, validBase, (path, base) => {
        const outcome = outcomeOf(() => buildOpenAiUrl(path, base));
        if (!outcome.ok) expect(outcome.error).toBeInstanceOf(OpenAIOpsConfigError);
      }),
      RUNS,
    );
  });

  it('starts with the normalised base and never has a double /v1 as written', () => {
    fc.assert(
      fc.property(apiPath, validBase, (path, base) => {
        const outcome = outcomeOf(() => buildOpenAiUrl(path, base));
        if (!outcome.ok) return;
        expect(outcome.value.startsWith(base)).toBe(true);
        const rest = outcome.value.slice(base.length);
        expect(rest === '' || /^[/?#]/.test(rest)).toBe(true);
        expect(rest, `${JSON.stringify(path)} → ${outcome.value}`).not.toMatch(LEADING_V1);
      }),
      RUNS,
    );
  });

  it('stays below the base once a URL parser resolves it (dot segments, %2e%2e)', () => {
    fc.assert(
      fc.property(apiPath, validBase, (path, base) => {
        const outcome = outcomeOf(() => buildOpenAiUrl(path, base));
        if (!outcome.ok) return;
        const resolved = new URL(outcome.value);
        const basePath = new URL(base).pathname;
        expect(
          resolved.pathname === basePath || resolved.pathname.startsWith(`${basePath}/`),
          `${JSON.stringify(path)} resolves to ${resolved.href}, outside ${base}`,
        ).toBe(true);
      }),
      RUNS,
    );
  });

  it('has no double /v1 once a URL parser resolves it (dot segments, backslashes)', () => {
    fc.assert(
      fc.property(apiPath, validBase, (path, base) => {
        const outcome = outcomeOf(() => buildOpenAiUrl(path, base));
        if (!outcome.ok) return;
        const basePath = new URL(base).pathname;
        const below = new URL(outcome.value).pathname.slice(basePath.length);
        expect(below, `${JSON.stringify(path)} → ${outcome.value}`).not.toMatch(LEADING_V1);
      }),
      RUNS,
    );
  });

  it('keeps a query string verbatim and lets it change nothing before it', () => {
    const plainPath = apiPath.map((path) => path.replace(/[?#]/g, ''));
    const suffix = fc.constantFrom('?a=1', '?after=file_1&limit=2', '#x', '?q=/v1/v1', '?');
    fc.assert(
      fc.property(plainPath, suffix, validBase, (path, tail, base) => {
        const without = outcomeOf(() => buildOpenAiUrl(path, base));
        if (!without.ok || path.trim() !== path) return;
        expect(buildOpenAiUrl(path + tail, base)).toBe(without.value + tail);
      }),
      RUNS,
    );
  });

  it('reads the base from OPENAI_BASE_URL and reports a bad one as a config error', () => {
    fc.assert(
      fc.property(fc.oneof(urlish, anyText), apiPath, (baseUrl, path) => {
        const outcome = outcomeOf(() =>
          buildOpenAiUrl(path, undefined, { OPENAI_BASE_URL: baseUrl }),
        );
        if (!outcome.ok) {
          expect(outcome.error).toBeInstanceOf(OpenAIOpsConfigError);
          return;
        }
        expect(outcome.value.startsWith(normalizeOpenAiBaseUrl(baseUrl))).toBe(true);
      }),
      RUNS,
    );
  });
});
