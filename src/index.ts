/**
 * openai-ops: an instrumented OpenAI client with per-workload credentials, and the
 * configuration helpers behind it. Everything a service imports is named here.
 */
export { OpenAIOpsConfigError } from './config/errors.js';
export type { EnvSource } from './config/env.js';
export { setLogger } from './config/logger.js';
export {
  configureOpenAIEvents,
  flushOpenAIEvents,
  getOpenAIEventStats,
  installOpenAIEventsExitHooks,
  shutdownOpenAIEvents,
  type EventPipelineOptions,
  type EventStats,
} from './events/runtime.js';
export { ApiKey, fingerprintApiKey } from './openai/api-key.js';
export {
  DEFAULT_TIMEOUT_MS,
  getOpenAIClient,
  getOpenAIClientForWorkload,
  withOpenAIClientForWorkload,
  type WorkloadClientOptions,
} from './openai/client.js';
export type { CallScopeOptions } from './openai/scope.js';
export { parseTagList, type TagInput } from './openai/tags.js';
export { buildOpenAiUrl, DEFAULT_OPENAI_BASE_URL, normalizeOpenAiBaseUrl } from './openai/url.js';
export {
  OPENAI_WORKLOADS,
  readOpenAiWorkloadEnv,
  resolveFinanceWorkload,
  resolveWorkloadName,
  type FinanceWorkload,
  type OpenAiWorkloadEnv,
  type OpenAIWorkload,
  type WorkloadName,
} from './openai/workloads.js';
export type {
  DebugEventRow,
  EventMetadata,
  EventQuery,
  EventStore,
  ReadableEventStore,
  StatusClass,
} from './stores/types.js';
export { OPENAI_OPS_VERSION } from './version.js';
