/**
 * Factories for the instrumented OpenAI client. Each returns the official SDK's `OpenAI`
 * class, configured from a workload's variables and given a fetch that records every
 * request; service code uses it exactly as it would use the SDK directly.
 */
import { randomBytes } from 'node:crypto';

import OpenAI, { type ClientOptions } from 'openai';

import { OpenAIOpsConfigError } from '../config/errors.js';
import { processEnv, type EnvSource } from '../config/env.js';
import { createCaptureFetch } from '../events/capture.js';
import { eventSink, scheduleDebugLookup } from '../events/runtime.js';
import { createRedactor } from '../events/redact.js';
import { readContentSettings, type ContentSettings } from '../events/settings.js';
import { OPENAI_OPS_VERSION } from '../version.js';
import { runInCallScope, type CallScopeOptions } from './scope.js';
import { askForStreamUsage } from './stream-usage.js';
import { normalizeOpenAiBaseUrl } from './url.js';
import {
  configuredApiKeys,
  readOpenAiWorkloadEnv,
  type OpenAIWorkload,
  type OpenAiWorkloadEnv,
  type WorkloadName,
} from './workloads.js';

/** Per-request timeout when the caller sets none: long enough for large responses. */
export const DEFAULT_TIMEOUT_MS = 60_000;

const MAX_CACHED_CLIENTS = 16;
const cache = new Map<string, OpenAI>();

/** Options for `getOpenAIClientForWorkload`: the SDK's own, plus where to read variables. */
export interface WorkloadClientOptions extends ClientOptions {
  /** The environment to read; defaults to `process.env`. */
  env?: EnvSource;
}

/**
 * The instrumented client for a workload. Without options, clients are reused while the
 * workload's configuration is unchanged; a rotated key or a changed base URL yields a new
 * one. With options, a new client is built so that every option takes effect.
 *
 * @throws OpenAIOpsConfigError when no key is configured and none is passed, or when a
 *   variable is malformed.
 * @example
 * const openai = getOpenAIClientForWorkload('finance-prod');
 * const reply = await openai.responses.create({ model: 'gpt-5.1', input: 'Reconcile Q3' });
 */
export function getOpenAIClientForWorkload(
  workload: WorkloadName,
  options?: WorkloadClientOptions,
): OpenAI {
  const { env = processEnv(), ...sdkOptions } = options ?? {};
  const config = readOpenAiWorkloadEnv(workload, env);
  const content = readContentSettings(env);
  if (options !== undefined) return createClient(config, content, env, sdkOptions);

  const apiKey = requireApiKey(config);
  const cacheKey = [apiKey, JSON.stringify(config), JSON.stringify(content, patternSource)];
  const cached = cache.get(cacheKey.join('\0'));
  if (cached !== undefined) return cached;

  const client = createClient(config, content, env, {});
  if (cache.size >= MAX_CACHED_CLIENTS) cache.delete(cache.keys().next().value as string);
  cache.set(cacheKey.join('\0'), client);
  return client;
}

/**
 * The default workload's client.
 *
 * @example
 * const embedding = await getOpenAIClient().embeddings.create({
 *   model: 'text-embedding-3-small',
 *   input: 'hello',
 * });
 */
export function getOpenAIClient(): OpenAI {
  return getOpenAIClientForWorkload('default');
}

/**
 * Runs `fn` with a workload's client, attaching `tags` and `quotaTag` to every request
 * made while it runs (including requests from other clients inside the callback).
 *
 * @example
 * await withOpenAIClientForWorkload(
 *   'finance-prod',
 *   (openai) => openai.embeddings.create({ model: 'text-embedding-3-small', input: 'invoice' }),
 *   { tags: { feature: 'reconcile' }, quotaTag: 'finance-emea' },
 * );
 */
export function withOpenAIClientForWorkload<T>(
  workload: WorkloadName,
  fn: (client: OpenAI) => T,
  scope: CallScopeOptions = {},
): T {
  return runInCallScope(scope, () => fn(getOpenAIClientForWorkload(workload)));
}

/**
 * The SDK's client, naming openai-ops and the workload in its `User-Agent` and sending the
 * id the SDK keeps across the retries of one call as OpenAI's `X-Client-Request-Id`, so
 * that every attempt of a call can be found together. Both come from methods the SDK calls
 * on every request anyway: passed as default headers, they would be merged into every
 * request's headers, a cost a loopback call can measure (docs/performance.md). A client
 * that records its calls also asks chat streams for their usage, in the SDK's hook for
 * changing a request's options, before the body is serialised.
 */
function instrumentedClass(workload: OpenAIWorkload, recording: boolean): typeof OpenAI {
  const key = `${workload}:${String(recording)}`;
  let subclass = instrumentedClasses.get(key);
  if (subclass !== undefined) return subclass;
  const userAgent = userAgentOf(workload);
  subclass = class InstrumentedOpenAI extends OpenAI {
    protected override idempotencyHeader = 'X-Client-Request-Id';

    protected override defaultIdempotencyKey(): string {
      return nextClientRequestId();
    }
  };
  if (recording) {
    subclass = class RecordingOpenAI extends subclass {
      protected override prepareOptions(options: RequestOptions): Promise<void> {
        askForStreamUsage(options);
        return super.prepareOptions(options);
      }
    };
  }
  // The SDK builds its User-Agent in a private method; answering it here keeps the
  // header set the SDK merges as it is. Should a version lack the method, the client
  // falls back to a default header.
  if (sdkNamesItself) {
    Object.defineProperty(subclass.prototype, 'getUserAgent', { value: () => userAgent });
  }
  instrumentedClasses.set(key, subclass);
  return subclass;
}

const instrumentedClasses = new Map<string, typeof OpenAI>();

/** The SDK's options for one request, as its request hooks receive them. */
type RequestOptions = Awaited<Parameters<OpenAI['request']>[0]>;
const sdkNamesItself = typeof Reflect.get(OpenAI.prototype, 'getUserAgent') === 'function';

function userAgentOf(workload: OpenAIWorkload): string {
  return `openai-ops/${OPENAI_OPS_VERSION} (workload ${workload})`;
}

/**
 * Call ids: 64 random bits for the process and a counter for the call. They tell calls
 * apart as a UUID would, and cost less to make and to send.
 */
const clientRequestIdPrefix = randomBytes(8).toString('hex');
let clientRequestCount = 0;

function nextClientRequestId(): string {
  clientRequestCount += 1;
  return `${clientRequestIdPrefix}-${clientRequestCount.toString(36)}`;
}

function createClient(
  config: OpenAiWorkloadEnv,
  content: ContentSettings,
  env: EnvSource,
  options: ClientOptions,
): OpenAI {
  const apiKey = options.apiKey ?? requireApiKey(config);
  const baseURL = normalizeOpenAiBaseUrl(options.baseURL ?? config.baseUrl, 'baseURL');
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const InstrumentedOpenAI = instrumentedClass(config.workload, config.debugLogging);
  return new InstrumentedOpenAI({
    organization: config.organization,
    ...options,
    timeout,
    apiKey,
    baseURL,
    defaultHeaders: sdkNamesItself
      ? options.defaultHeaders
      : { 'User-Agent': userAgentOf(config.workload), ...headersToRecord(options.defaultHeaders) },
    fetch: createCaptureFetch({
      config,
      fetch: options.fetch,
      baseUrl: baseURL,
      timeoutMs: timeout,
      content,
      redact: createRedactor(content.redactPatterns, configuredApiKeys(env)),
      sink: eventSink,
      onRecorded: config.debugFetchDetails ? scheduleDebugLookup : undefined,
    }),
  });
}

function patternSource(_key: string, value: unknown): unknown {
  return value instanceof RegExp ? String(value) : value;
}

function requireApiKey(config: OpenAiWorkloadEnv): string {
  if (config.apiKey !== null) return config.apiKey.reveal();
  throw new OpenAIOpsConfigError(
    `No OpenAI API key for workload ${config.workload}: set ${config.keyVariables.join(' or ')}.`,
    { variable: config.keyVariables[0] },
  );
}

function headersToRecord(headers: ClientOptions['defaultHeaders']): Record<string, string | null> {
  if (headers === undefined || headers === null) return {};
  if (headers instanceof Headers || Array.isArray(headers)) {
    return Object.fromEntries(new Headers(headers as ConstructorParameters<typeof Headers>[0]));
  }
  return headers as Record<string, string | null>;
}
