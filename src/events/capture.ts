/**
 * The fetch handed to the OpenAI SDK. Each HTTP attempt becomes one debug event; the
 * request and response pass through unchanged, and any failure of the instrumentation
 * itself is logged and swallowed so the caller never sees it.
 */
import { randomUUID } from 'node:crypto';

import { getLogger } from '../config/logger.js';
import { fingerprintApiKey } from '../openai/api-key.js';
import { currentCallScope } from '../openai/scope.js';
import type { OpenAiWorkloadEnv } from '../openai/workloads.js';
import type { DebugEventRow, EventMetadata } from '../stores/types.js';
import { buildEventRow, type EventAttribution, type ObservedAttempt } from './event-row.js';
import { describeBodyEnd, describeFetchFailure } from './failures.js';
import { redactDeep, truncateUtf8, type Redactor } from './redact.js';
import { httpUrlOf, readRequestInfo, type RequestInfo } from './request-info.js';
import {
  bodyKindOf,
  observeJsonResponse,
  observeStream,
  type BodySummary,
} from './response-observer.js';
import type { ContentSettings } from './settings.js';
import { NO_USAGE } from './usage.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Where finished events go. Both methods return at once and never throw. */
export interface EventSink {
  record(row: DebugEventRow): void;
  /**
   * Records the row `build` returns, building it off the caller's path: in the background,
   * with the batch it leaves in, or at the latest when the sink is flushed.
   */
  defer(build: () => DebugEventRow): void;
}

/** What a debug-details lookup needs: the event, and how to reach the API as its caller did. */
export interface DebugLookup {
  row: DebugEventRow;
  baseUrl: string;
  /** Authorization, organization and project headers of the original request. */
  headers: Headers;
  fetch: Fetch;
  /** Removes secrets, the request's own key included, from text the lookup stores or logs. */
  redact: (text: string) => string;
}

export interface CaptureFetchOptions {
  /** The workload's resolved configuration, for attribution and switches. */
  config: OpenAiWorkloadEnv;
  /** The fetch that performs the request; defaults to the global one. */
  fetch?: Fetch | undefined;
  /** The client's base URL, for debug lookups. */
  baseUrl: string;
  /** The client's timeout, to tell a timeout from a caller's abort. */
  timeoutMs: number;
  content: ContentSettings;
  /** Applied to captured content, error messages and debug payloads before they are kept. */
  redact: Redactor;
  /** Returns the sink at record time, so the recorder can start lazily. */
  sink: () => EventSink;
  /** Called after an event with a server request id is recorded. */
  onRecorded?: ((lookup: DebugLookup) => void) | undefined;
}

const LOOKUP_HEADERS = ['authorization', 'openai-organization', 'openai-project'];

interface Attempt {
  request: RequestInfo;
  /** The request's bearer token, removed from anything the event keeps. */
  secrets: string[];
  startedAt: number;
  startedAtMs: number;
  attribution: EventAttribution;
}

/** Wraps `fetch` so that every attempt the SDK makes is recorded. */
export function createCaptureFetch(options: CaptureFetchOptions): Fetch {
  const inner = options.fetch ?? globalThis.fetch.bind(globalThis);
  if (!options.config.debugLogging) return (input, init) => inner(input, init);
  const capture = { ...options, fetch: inner };

  return async (input, init) => {
    const url = httpUrlOf(input);
    const attempt = url === null ? undefined : safely(() => startAttempt(capture, url, init));
    if (attempt === undefined) return inner(input, init);

    let response: Response;
    try {
      const sent = attempt.request.injectedUsage ? withBody(init, attempt.request.body) : init;
      response = await inner(input, sent);
    } catch (error) {
      safely(() => recordFailure(capture, attempt, error));
      throw error;
    }
    return safely(() => watchResponse(capture, attempt, response)) ?? response;
  };
}

type Capture = CaptureFetchOptions & { fetch: Fetch };

function startAttempt(capture: Capture, url: string, init: RequestInit | undefined): Attempt {
  const scope = currentCallScope();
  const request = readRequestInfo(url, init);
  const token = request.headers.get('authorization')?.replace(/^Bearer\s+/i, '');
  return {
    request,
    secrets: token === undefined ? [] : [token],
    startedAt: performance.now(),
    startedAtMs: Date.now(),
    attribution: {
      workload: capture.config.workload,
      configuredTags: capture.config.tags,
      scopeTags: scope?.tags,
      quotaTag: scope?.quotaTag ?? capture.config.quotaTag,
    },
  };
}

function watchResponse(capture: Capture, attempt: Attempt, response: Response): Response {
  const headersAt = performance.now();
  if (response.body === null) {
    const summary = emptyBody(headersAt);
    capture.sink().defer(() => responseRow(capture, attempt, response, headersAt, summary));
    return response;
  }
  const kind = bodyKindOf(response.headers.get('content-type'));
  const onEnd = (summarise: () => BodySummary): void =>
    capture.sink().defer(() => responseRow(capture, attempt, response, headersAt, summarise()));
  const keepText = capture.content.captureContent;
  if (kind === 'json') return observeJsonResponse(response, onEnd, { keepText });

  // Observed in place: the response's own readers, `clone()` included, read its body
  // through the stream's methods, so the response itself can go back to the SDK.
  observeStream(response.body, kind, onEnd, {
    hideUsageChunk: attempt.request.injectedUsage,
    keepText,
  });
  return response;
}

function recordFailure(capture: Capture, attempt: Attempt, error: unknown): void {
  const elapsedMs = performance.now() - attempt.startedAt;
  const failure = describeFetchFailure(error, elapsedMs, capture.timeoutMs);
  const row = buildEventRow(attempt.attribution, {
    ...observation(capture, attempt, null),
    durationMs: elapsedMs,
    errorType: failure.errorType,
    errorMessage: capture.redact(failure.errorMessage, attempt.secrets),
  });
  capture.sink().record(row);
}

function responseRow(
  capture: Capture,
  attempt: Attempt,
  response: Response,
  headersAt: number,
  summary: BodySummary,
): DebugEventRow {
  const { headers } = response;
  const requestId = headers.get('x-request-id');
  const broken = summary.end === 'complete' ? undefined : describeBodyEnd(summary);
  const firstChunkAt = attempt.request.stream ? summary.firstChunkAt : null;
  const row = buildEventRow(attempt.attribution, {
    ...observation(capture, attempt, requestId),
    model: attempt.request.model ?? summary.model,
    statusCode: response.status,
    organization: headers.get('openai-organization') ?? capture.config.organization,
    latencyMs: headersAt - attempt.startedAt,
    durationMs: summary.endedAt - attempt.startedAt,
    firstChunkMs: firstChunkAt === null ? null : firstChunkAt - attempt.startedAt,
    processingMs: numberOrNull(headers.get('openai-processing-ms')),
    usage: summary.usage,
    errorType: redactOrNull(capture, attempt, summary.errorType ?? broken?.errorType ?? null),
    errorMessage: redactOrNull(
      capture,
      attempt,
      summary.errorMessage ?? broken?.errorMessage ?? null,
    ),
    ratelimit: rateLimitsOf(headers),
    content: capturedContent(capture, attempt, summary.text),
  });
  if (requestId !== null) capture.onRecorded?.(debugLookup(capture, attempt, row));
  return row;
}

/** The fields every event of an attempt has, with nothing yet known about the response. */
function observation(
  capture: Capture,
  attempt: Attempt,
  requestId: string | null,
): ObservedAttempt {
  const { request } = attempt;
  const authorization = request.headers.get('authorization');
  return {
    requestId: requestId ?? `local_${randomUUID()}`,
    requestIdSource: requestId === null ? 'local' : 'header',
    attempt: request.attempt,
    startedAtMs: attempt.startedAtMs,
    endpoint: request.endpoint,
    method: request.method,
    model: request.model,
    statusCode: null,
    organization: capture.config.organization,
    stream: request.stream,
    latencyMs: null,
    durationMs: null,
    firstChunkMs: null,
    processingMs: null,
    usage: NO_USAGE,
    errorType: null,
    errorMessage: null,
    ratelimit: undefined,
    clientRequestId: request.clientRequestId,
    keyFingerprint:
      authorization === null ? null : fingerprintApiKey(authorization.replace(/^Bearer\s+/i, '')),
    content: capturedContent(capture, attempt, null),
  };
}

function capturedContent(
  capture: Capture,
  attempt: Attempt,
  responseText: string | null,
): EventMetadata['content'] {
  if (!capture.content.captureContent) return undefined;
  const redact = (text: string) => capture.redact(text, attempt.secrets);
  const limit = capture.content.contentMaxBytes;
  const request = truncateUtf8(redact(attempt.request.bodyText ?? ''), limit);
  const response = truncateUtf8(redact(responseText ?? ''), limit);
  return {
    request: request.text,
    response: response.text,
    truncated: request.truncated || response.truncated,
  };
}

function debugLookup(capture: Capture, attempt: Attempt, row: DebugEventRow): DebugLookup {
  const headers = new Headers();
  for (const name of LOOKUP_HEADERS) {
    const value = attempt.request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const redact = (text: string) => capture.redact(text, attempt.secrets);
  return { row, baseUrl: capture.baseUrl, headers, fetch: capture.fetch, redact };
}

function redactOrNull(capture: Capture, attempt: Attempt, text: string | null): string | null {
  return text === null ? null : capture.redact(text, attempt.secrets);
}

/** A debug payload with every string redacted, for storing. */
export function redactPayload<T>(payload: T, lookup: DebugLookup): T {
  return redactDeep(payload, (text) => lookup.redact(text));
}

function rateLimitsOf(headers: Headers): Record<string, string> | undefined {
  let limits: Record<string, string> | undefined;
  headers.forEach((value, name) => {
    if (!name.startsWith('x-ratelimit-')) return;
    limits ??= {};
    limits[name.slice('x-ratelimit-'.length)] = value;
  });
  return limits;
}

function emptyBody(at: number): BodySummary {
  return {
    end: 'complete',
    endedAt: at,
    firstChunkAt: null,
    bytes: 0,
    usage: NO_USAGE,
    model: null,
    errorType: null,
    errorMessage: null,
    text: null,
    failure: undefined,
  };
}

function withBody(init: RequestInit | undefined, body: RequestInit['body']): RequestInit {
  return body === undefined ? { ...init } : { ...init, body };
}

function numberOrNull(value: string | null): number | null {
  if (value === null) return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/** Runs instrumentation code; a failure is logged and yields undefined, never an exception. */
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    getLogger().error({ event: 'openai.capture_failed', err: error }, 'instrumentation failed');
    return undefined;
  }
}
