/**
 * What an event needs to know about a request, read from the SDK's fetch arguments
 * without consuming or copying anything the request still needs.
 */
import { endpointTemplate } from './endpoint.js';
import { isObject } from './usage.js';

/** JSON bodies larger than this are scanned, not parsed, to keep the request path cheap. */
const MAX_PARSED_BODY_CHARS = 256 * 1024;

export interface RequestInfo {
  url: string;
  method: string;
  endpoint: string;
  model: string | null;
  stream: boolean;
  /** 1-based: the SDK's `X-Stainless-Retry-Count` plus one. */
  attempt: number;
  /** The id the SDK keeps across the retries of one call, when it sends one. */
  clientRequestId: string | null;
  /** The request body as text, when it is text (for content capture). */
  bodyText: string | null;
  headers: Headers;
}

/** The URL as a string, or null for requests that are not HTTP (the SDK probes `data:` URLs). */
export function httpUrlOf(input: string | URL | Request): string | null {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return url.startsWith('http://') || url.startsWith('https://') ? url : null;
}

export function readRequestInfo(url: string, init: RequestInit | undefined): RequestInfo {
  // The SDK passes a Headers object; only other callers' plain objects are copied.
  const headers = init?.headers instanceof Headers ? init.headers : new Headers(init?.headers);
  const method = (init?.method ?? 'GET').toUpperCase();
  const endpoint = endpointTemplate(url);
  const body = init?.body;
  // A chat body is parsed, for its `stream`, which may be anywhere in it; others are scanned.
  const parsed =
    endpoint === '/chat/completions' && typeof body === 'string' ? parseJsonBody(body) : undefined;
  const retries = Number(headers.get('x-stainless-retry-count') ?? 0);

  return {
    url,
    method,
    endpoint,
    model: modelOfBody(body, parsed),
    stream: streamOfBody(body, parsed),
    attempt: Number.isSafeInteger(retries) && retries >= 0 ? retries + 1 : 1,
    clientRequestId: headers.get('x-client-request-id'),
    bodyText: typeof body === 'string' ? body : null,
    headers,
  };
}

type ParsedBody = Record<string, unknown> | undefined;

function parseJsonBody(text: string): ParsedBody {
  if (text.length > MAX_PARSED_BODY_CHARS || !text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function modelOfBody(body: RequestInit['body'], parsed: ParsedBody): string | null {
  if (parsed !== undefined) {
    if (typeof parsed.model === 'string') return parsed.model;
    // Realtime client secrets carry the model inside the session configuration.
    const session = parsed.session;
    return isObject(session) && typeof session.model === 'string' ? session.model : null;
  }
  if (typeof body === 'string') return stringAfterKey(body, '"model"', SCANNED_CHARS);
  if (body instanceof FormData) {
    const model = body.get('model');
    return typeof model === 'string' ? model : null;
  }
  return null;
}

function streamOfBody(body: RequestInit['body'], parsed: ParsedBody): boolean {
  if (parsed !== undefined) return parsed.stream === true;
  if (typeof body === 'string') {
    // The SDK adds `stream` after the caller's parameters, so look at both ends.
    return (
      isTrueAfterKey(body, '"stream"', 0, SCANNED_CHARS) ||
      isTrueAfterKey(body, '"stream"', body.length - 512, body.length)
    );
  }
  if (body instanceof FormData) return body.get('stream') === 'true';
  return false;
}

/** How far into a large body, which is scanned rather than parsed, to look for a key. */
const SCANNED_CHARS = 4096;

/**
 * The value of the first `key` (written with its quotes) within `text`'s first `limit`
 * characters whose value is a plain string of 1 to 200 characters. A quoted key cannot
 * occur inside a JSON string, whose quotes are escaped.
 */
function stringAfterKey(text: string, key: string, limit: number): string | null {
  for (let at = text.indexOf(key); at !== -1 && at < limit; at = text.indexOf(key, at + 1)) {
    let start = skipSpace(text, at + key.length);
    if (text.charCodeAt(start) !== COLON) continue;
    start = skipSpace(text, start + 1);
    if (text.charCodeAt(start) !== QUOTE) continue;
    const end = text.indexOf('"', start + 1);
    const length = end - start - 1;
    if (end === -1 || length < 1 || length > 200) continue;
    const value = text.slice(start + 1, end);
    if (!value.includes('\\')) return value;
  }
  return null;
}

/** Whether a `key` (written with its quotes) between `from` and `to` has the value `true`. */
function isTrueAfterKey(text: string, key: string, from: number, to: number): boolean {
  for (let at = text.indexOf(key, Math.max(0, from)); at !== -1 && at < to;) {
    let next = skipSpace(text, at + key.length);
    if (text.charCodeAt(next) === COLON) {
      next = skipSpace(text, next + 1);
      if (text.startsWith('true', next)) return true;
    }
    at = text.indexOf(key, at + 1);
  }
  return false;
}

const COLON = 0x3a;
const QUOTE = 0x22;

function skipSpace(text: string, from: number): number {
  let at = from;
  for (;;) {
    const code = text.charCodeAt(at);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return at;
    at += 1;
  }
}
