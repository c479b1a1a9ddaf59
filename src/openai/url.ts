/**
 * OpenAI base URLs and REST paths, joined so that `/v1` appears exactly once whatever
 * shape the configuration or the caller's path arrives in.
 */
import { OpenAIOpsConfigError } from '../config/errors.js';
import { processEnv, readVar, type EnvSource } from '../config/env.js';
import { quoteValue } from '../config/quote.js';

/** The public API's base, used when `OPENAI_BASE_URL` is unset. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

const TRAILING_V1 = /\/v1$/i;
// A run of /v1 segments anywhere in a base is one /v1 (`/v1/v1/openai` is `/v1/openai`).
const REPEATED_V1 = /(?:\/v1)+(?=\/|$)/gi;

/**
 * Normalises a base URL to its canonical form: scheme and host, any path prefix (a proxy
 * or an Azure-style `/openai`), then a single `/v1`, with no trailing slash.
 *
 * @param url The configured base; empty or undefined means the public API.
 * @param variable The variable the value came from, named in errors.
 * @throws OpenAIOpsConfigError when the value is not an http(s) URL, embeds credentials,
 *   or carries a query string or fragment (the SDK appends paths to the base verbatim).
 * @example
 * normalizeOpenAiBaseUrl('https://proxy.internal/openai/v1/');
 * // 'https://proxy.internal/openai/v1'
 * normalizeOpenAiBaseUrl('https://api.openai.com/v1/v1');     // 'https://api.openai.com/v1'
 */
export function normalizeOpenAiBaseUrl(url?: string, variable = 'OPENAI_BASE_URL'): string {
  const raw = url?.trim() ?? '';
  if (raw === '') return DEFAULT_OPENAI_BASE_URL;

  const parsed = parseHttpUrl(raw, variable);
  let path = parsed.pathname
    .replace(/\/{2,}/g, '/')
    .replace(REPEATED_V1, '/v1')
    .replace(/\/+$/, '');
  while (TRAILING_V1.test(path)) path = path.replace(TRAILING_V1, '').replace(/\/+$/, '');
  return `${parsed.protocol}//${parsed.host}${path}/v1`;
}

/**
 * Joins a REST path to the default workload's base URL (or `baseUrl`), so that fetch
 * calls outside the SDK never produce `/v1/v1`. Accepts `requests/x`, `/requests/x`,
 * `v1/requests/x` and `/v1/requests/x`, with or without a query string.
 *
 * @example
 * buildOpenAiUrl('/v1/requests/req_123/debug');
 * // 'https://api.openai.com/v1/requests/req_123/debug'
 */
export function buildOpenAiUrl(
  path: string,
  baseUrl?: string,
  env: EnvSource = processEnv(),
): string {
  const base =
    baseUrl === undefined
      ? normalizeOpenAiBaseUrl(readVar(env, 'OPENAI_BASE_URL'))
      : normalizeOpenAiBaseUrl(baseUrl, 'baseUrl');
  const { relative, query } = relativeApiPath(path);
  return `${relative === '' ? base : `${base}/${relative}`}${query}`;
}

/**
 * The path below the base and its query, separately. Dot segments (plain or
 * percent-encoded) are refused: once a URL parser resolved them, the request would leave
 * the base, or land on a path the caller did not write.
 */
function relativeApiPath(path: string): { relative: string; query: string } {
  const trimmed = path.trim();
  if (/^[a-z][a-z\d+.-]*:/i.test(trimmed) || /^[/\\]{2}/.test(trimmed)) {
    throw pathError(trimmed, 'not a full URL; set the base with OPENAI_BASE_URL instead');
  }
  const queryStart = trimmed.search(/[?#]/);
  const pathPart = (queryStart === -1 ? trimmed : trimmed.slice(0, queryStart)).replace(/\\/g, '/');
  const query = queryStart === -1 ? '' : trimmed.slice(queryStart);
  const segments = pathPart.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) {
    throw pathError(trimmed, 'not a path with "." or ".." segments');
  }
  while (segments[0]?.toLowerCase() === 'v1') segments.shift();
  return { relative: segments.join('/'), query };
}

function pathError(path: string, problem: string): OpenAIOpsConfigError {
  return new OpenAIOpsConfigError(
    `buildOpenAiUrl expects an API path such as "/requests/{id}/debug", ${problem}; ` +
      `got ${quoteValue(path)}.`,
    { variable: 'path' },
  );
}

function parseHttpUrl(raw: string, variable: string): URL {
  // `http:///v1` parses as the host `v1`: a missing host must not become a path's host.
  const hostless = /^[a-z][a-z\d+.-]*:[\\/]{3}/i.test(raw);
  const parsed = URL.canParse(raw) && !hostless ? new URL(raw) : undefined;
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new OpenAIOpsConfigError(
      `${variable} must be an http(s) URL such as https://api.openai.com/v1; ` +
        `got ${quoteValue(parsed === undefined ? raw : withoutCredentials(parsed), 120)}.`,
      { variable },
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new OpenAIOpsConfigError(
      `${variable} must not embed credentials; put the key in the API key variable instead.`,
      { variable },
    );
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new OpenAIOpsConfigError(
      `${variable} must not have a query string or fragment; ` +
        `got one after ${JSON.stringify(parsed.origin + parsed.pathname)}.`,
      { variable },
    );
  }
  return parsed;
}

function withoutCredentials(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  copy.search = '';
  return copy.href;
}
