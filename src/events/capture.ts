/**
 * The fetch handed to the OpenAI SDK. Each HTTP attempt becomes one debug event; the
 * request and response pass through unchanged, and any failure of the instrumentation
 * itself is logged and swallowed so the caller never sees it.
 */
import { randomUUID } from 'node:crypto';

import { getLogger } from '../config/logger.js';
import { fingerprintApiKey } from '../openai/api-key.js';
import { currentCallScope, type CallScope } from '../openai/scope.js';
import { isStreamUsageAsked } from '../openai/stream-usage.js';
import type { TagMap } from '../openai/tags.js';
import type { OpenAiWorkloadEnv } from '../openai/workloads.js';
import type { DebugEventRow, EventMetadata } from '../stores/types.js';
import { buildEventRow, type EventAttribution, type ObservedAttempt } from './event-row.js';
import { describeBodyEnd, describeFetchFailure } from './failures.js';
import { redactDeep, truncateUtf8, type Redactor } from './redact.js';
import { httpUrlOf, readRequestInfo, type RequestInfo } from './request-info.js';
import { observeResponse, type BodySummary, type ObserveOptions } from './response-observer.js';
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

/** What an event says about its request. */
interface RequestFacts {
  endpoint: string;
  method: string;
  model: string | null;
  stream: boolean;
  attempt: number;
  clientRequestId: string | null;
  keyFingerprint: string | null;
  /** The request's bearer token, removed from anything the event keeps. */
  secrets: readonly string[];
  attribution: EventAttribution;
  /** The request body as text, kept only while content is captured. */
  requestText: string | null;
  /** Authorization, organization and project, kept only while debug details are fetched. */
  lookupHeaders: Headers | null;
}

/**
 * One attempt, as the caller's path sees it: when it started, the scope it was made in, its
 * request and, once they arrive, the response's status and headers. Reading the request is
 * left to the event's build, off the caller's path, unless the body is large or not text,
 * which is not held until then.
 */
interface Attempt {
  startedAt: number;
  startedAtMs: number;
  scope: CallScope | undefined;
  url: string;
  init: RequestInit | undefined;
  /** True when the client asked a chat stream for usage the caller did not ask for. */
  injectedUsage: boolean;
  /** The request's facts, once read. */
  request: RequestFacts | undefined;
  status: number;
  /** The response's headers: only these, not the response, wait for the event's build. */
  headers: Headers | undefined;
  headersAt: number;
}

/** Request bodies up to this many characters are read when the event is built. */
const MAX_DEFERRED_BODY_CHARS = 32 * 1024;

/** Wraps `fetch` so that every attempt the SDK makes is recorded. */
export function createCaptureFetch(options: CaptureFetchOptions): Fetch {
  const inner = options.fetch ?? globalThis.fetch.bind(globalThis);
  if (!options.config.debugLogging) return (input, init) => inner(input, init);
  const capture: Capture = {
    ...options,
    fetch: inner,
    attribution: {
      workload: options.config.workload,
      configuredTags: tagMapOf(options.config.tags),
      scopeTags: undefined,
      quotaTag: options.config.quotaTag,
    },
    fingerprints: new Map(),
    observe: { keepText: options.content.captureContent },
    observeHidingUsage: { keepText: options.content.captureContent, hideUsageChunk: true },
  };

  return (input, init) => {
    const attempt = tryStartAttempt(capture, input, init);
    if (attempt === undefined) return inner(input, init);

    let pending: Promise<Response>;
    try {
      pending = inner(input, attempt.init);
    } catch (error) {
      safely(() => recordFailure(capture, attempt, error));
      throw error;
    }
    if (pending instanceof Promise) {
      // The SDK waits for the fetch's own promise. This reaction, registered first, runs
      // in the same step just before the SDK's, and observes the response in place.
      pending.then(
        (response) => tryWatchResponse(capture, attempt, response),
        (error: unknown) => safely(() => recordFailure(capture, attempt, error)),
      );
      return pending;
    }
    // Some other thenable, from a fetch of the caller's: chained, so the order is certain.
    return Promise.resolve(pending).then(
      (response) => {
        tryWatchResponse(capture, attempt, response);
        return response;
      },
      (error: unknown) => {
        safely(() => recordFailure(capture, attempt, error));
        throw error;
      },
    );
  };
}

type Capture = CaptureFetchOptions & {
  fetch: Fetch;
  /** The attribution of a call made outside any `withOpenAIClientForWorkload` scope. */
  attribution: EventAttribution;
  /** Key fingerprints by bearer token: a client sends the same few keys again and again. */
  fingerprints: Map<string, string>;
  /** How responses are observed, without and with the usage chunk to hide. */
  observe: ObserveOptions;
  observeHidingUsage: ObserveOptions;
};

/** At most this many keys' fingerprints are remembered; more are computed each time. */
const MAX_REMEMBERED_KEYS = 16;

/** The attempt of an HTTP request, or undefined for other requests and on any failure. */
function tryStartAttempt(
  capture: Capture,
  input: string | URL | Request,
  init: RequestInit | undefined,
): Attempt | undefined {
  try {
    const url = httpUrlOf(input);
    return url === null ? undefined : startAttempt(capture, url, init);
  } catch (error) {
    logCaptureFailure(error);
    return undefined;
  }
}

function startAttempt(capture: Capture, url: string, init: RequestInit | undefined): Attempt {
  const attempt: Attempt = {
    startedAt: performance.now(),
    startedAtMs: Date.now(),
    scope: currentCallScope(),
    url,
    init,
    injectedUsage: isStreamUsageAsked(init),
    request: undefined,
    status: 0,
    headers: undefined,
    headersAt: 0,
  };
  const body = init?.body;
  const readLater =
    body === undefined ||
    body === null ||
    (typeof body === 'string' && body.length <= MAX_DEFERRED_BODY_CHARS);
  if (!readLater) {
    attempt.request = requestFacts(capture, attempt.scope, readRequestInfo(url, init));
  }
  return attempt;
}

function requestFacts(
  capture: Capture,
  scope: CallScope | undefined,
  request: RequestInfo,
): RequestFacts {
  const authorization = request.headers.get('authorization');
  const token = authorization === null ? null : authorization.replace(/^Bearer\s+/i, '');
  return {
    endpoint: request.endpoint,
    method: request.method,
    model: request.model,
    stream: request.stream,
    attempt: request.attempt,
    clientRequestId: request.clientRequestId,
    keyFingerprint: token === null ? null : fingerprintOf(capture, token),
    secrets: token === null ? [] : [token],
    attribution:
      scope === undefined
        ? capture.attribution
        : {
            ...capture.attribution,
            scopeTags: scope.tags,
            quotaTag: scope.quotaTag ?? capture.attribution.quotaTag,
          },
    requestText: capture.content.captureContent ? request.bodyText : null,
    lookupHeaders: capture.onRecorded === undefined ? null : lookupHeadersOf(request.headers),
  };
}

/** The attempt's request facts, read now if they were left for the build. */
function factsOf(capture: Capture, attempt: Attempt): RequestFacts {
  attempt.request ??= requestFacts(
    capture,
    attempt.scope,
    readRequestInfo(attempt.url, attempt.init),
  );
  return attempt.request;
}

function fingerprintOf(capture: Capture, token: string): string {
  let fingerprint = capture.fingerprints.get(token);
  if (fingerprint === undefined) {
    fingerprint = fingerprintApiKey(token);
    if (capture.fingerprints.size < MAX_REMEMBERED_KEYS)
      capture.fingerprints.set(token, fingerprint);
  }
  return fingerprint;
}

function lookupHeadersOf(requestHeaders: Headers): Headers {
  const headers = new Headers();
  for (const name of LOOKUP_HEADERS) {
    const value = requestHeaders.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

function tagMapOf(tags: readonly string[]): TagMap {
  const map: TagMap = new Map();
  for (const tag of tags) {
    const colon = tag.indexOf(':');
    map.set(tag.slice(0, colon), tag.slice(colon + 1));
  }
  return map;
}

/**
 * Follows the response's body to its end, then hands the sink a builder for the event. The
 * builder keeps the status and headers, not the response, so that neither the response
 * nor its body outlives the caller's use of it while the event waits to be built. Nothing
 * of the response is read before the SDK reads it: the observer takes what it needs when
 * the body is first used and when it ends.
 */
function watchResponse(capture: Capture, attempt: Attempt, response: Response): void {
  attempt.headersAt = performance.now();
  if (response.body === null) {
    attempt.status = response.status;
    attempt.headers = response.headers;
    const summary = emptyBody(attempt.headersAt);
    capture.sink().defer(() => responseRow(capture, attempt, summary));
    return;
  }
  observeResponse(
    response,
    // Called at the turn after the body ended; the observer logs what this throws.
    (summary, status, headers) => {
      attempt.status = status;
      attempt.headers = headers;
      capture.sink().defer(() => responseRow(capture, attempt, summary));
    },
    attempt.injectedUsage ? capture.observeHidingUsage : capture.observe,
  );
}

/** The response's headers, noted when its body ended or was found missing. */
function headersOf(attempt: Attempt): Headers {
  if (attempt.headers === undefined) throw new Error('the response has not been seen');
  return attempt.headers;
}

function recordFailure(capture: Capture, attempt: Attempt, error: unknown): void {
  const elapsedMs = performance.now() - attempt.startedAt;
  const failure = describeFetchFailure(error, elapsedMs, capture.timeoutMs);
  const request = factsOf(capture, attempt);
  const observed = attemptObservation(capture, attempt, request, null);
  observed.durationMs = elapsedMs;
  observed.errorType = failure.errorType;
  observed.errorMessage = capture.redact(failure.errorMessage, request.secrets);
  capture.sink().record(buildEventRow(request.attribution, observed));
}

function responseRow(capture: Capture, attempt: Attempt, summary: BodySummary): DebugEventRow {
  const headers = headersOf(attempt);
  const request = factsOf(capture, attempt);
  const requestId = headers.get('x-request-id');
  const broken = summary.end === 'complete' ? undefined : describeBodyEnd(summary);
  const firstChunkAt = request.stream ? summary.firstChunkAt : null;
  const observed = attemptObservation(capture, attempt, request, requestId);
  observed.model = request.model ?? summary.model;
  observed.statusCode = attempt.status;
  observed.organization = headers.get('openai-organization') ?? capture.config.organization;
  observed.latencyMs = attempt.headersAt - attempt.startedAt;
  observed.durationMs = summary.endedAt - attempt.startedAt;
  observed.firstChunkMs = firstChunkAt === null ? null : firstChunkAt - attempt.startedAt;
  observed.processingMs = numberOrNull(headers.get('openai-processing-ms'));
  observed.usage = summary.usage;
  observed.errorType = redactOrNull(capture, request, summary.errorType ?? broken?.errorType);
  observed.errorMessage = redactOrNull(
    capture,
    request,
    summary.errorMessage ?? broken?.errorMessage,
  );
  observed.ratelimit = rateLimitsOf(headers);
  observed.content = capturedContent(capture, request, summary.text);
  const row = buildEventRow(request.attribution, observed);
  if (requestId !== null && request.lookupHeaders !== null) {
    capture.onRecorded?.(debugLookup(capture, request, request.lookupHeaders, row));
  }
  return row;
}

/** The fields every event of an attempt has, with nothing yet known about the response. */
function attemptObservation(
  capture: Capture,
  attempt: Attempt,
  request: RequestFacts,
  requestId: string | null,
): ObservedAttempt {
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
    keyFingerprint: request.keyFingerprint,
    content: capturedContent(capture, request, null),
  };
}

function capturedContent(
  capture: Capture,
  request: RequestFacts,
  responseText: string | null,
): EventMetadata['content'] {
  if (!capture.content.captureContent) return undefined;
  const redact = (text: string) => capture.redact(text, request.secrets);
  const limit = capture.content.contentMaxBytes;
  const sent = truncateUtf8(redact(request.requestText ?? ''), limit);
  const received = truncateUtf8(redact(responseText ?? ''), limit);
  return {
    request: sent.text,
    response: received.text,
    truncated: sent.truncated || received.truncated,
  };
}

function debugLookup(
  capture: Capture,
  request: RequestFacts,
  headers: Headers,
  row: DebugEventRow,
): DebugLookup {
  const redact = (text: string) => capture.redact(text, request.secrets);
  return { row, baseUrl: capture.baseUrl, headers, fetch: capture.fetch, redact };
}

function redactOrNull(
  capture: Capture,
  request: RequestFacts,
  text: string | null | undefined,
): string | null {
  return text === null || text === undefined ? null : capture.redact(text, request.secrets);
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
    usage: NO_USAGE,
    model: null,
    errorType: null,
    errorMessage: null,
    text: null,
    failure: undefined,
  };
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
    logCaptureFailure(error);
    return undefined;
  }
}

function tryWatchResponse(capture: Capture, attempt: Attempt, response: Response): void {
  try {
    watchResponse(capture, attempt, response);
  } catch (error) {
    logCaptureFailure(error);
  }
}

function logCaptureFailure(error: unknown): void {
  getLogger().error({ event: 'openai.capture_failed', err: error }, 'instrumentation failed');
}
