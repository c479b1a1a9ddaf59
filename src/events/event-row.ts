/**
 * Assembles a stored event from what capture observed: merged tags in the documented
 * order, the quota tag, and the typed columns.
 */
import { formatTags, mergeTags, type TagMap } from '../openai/tags.js';
import type { DebugEventRow, EventMetadata, StatusClass } from '../stores/types.js';
import type { TokenUsage } from './usage.js';

export interface EventAttribution {
  workload: string;
  /** Configured tags, already merged for the workload (`workload:finance-<env>` included). */
  configuredTags: TagMap;
  /** Tags from `withOpenAIClientForWorkload`. */
  scopeTags: TagMap | undefined;
  quotaTag: string | null;
}

export interface ObservedAttempt {
  requestId: string;
  requestIdSource: 'header' | 'local';
  attempt: number;
  startedAtMs: number;
  endpoint: string;
  method: string;
  model: string | null;
  statusCode: number | null;
  organization: string | null;
  stream: boolean;
  latencyMs: number | null;
  durationMs: number | null;
  firstChunkMs: number | null;
  processingMs: number | null;
  usage: TokenUsage;
  errorType: string | null;
  errorMessage: string | null;
  ratelimit: Record<string, string> | undefined;
  clientRequestId: string | null;
  keyFingerprint: string | null;
  content: EventMetadata['content'];
}

export function statusClassOf(statusCode: number | null): StatusClass {
  if (statusCode === null || statusCode < 100 || statusCode > 599) return 'error';
  return `${Math.floor(statusCode / 100)}xx` as StatusClass;
}

/**
 * Tags in the contract's order, de-duplicated by key with later values winning: configured,
 * per-call, then endpoint, model, org, status and quota.
 */
export function eventTags(
  attribution: EventAttribution,
  context: { endpoint: string; model: string | null; organization: string | null },
  statusClass: StatusClass,
  quotaTag: string | null,
): string[] {
  // A key set again keeps its place and takes the later value.
  const tags = mergeTags(attribution.configuredTags, attribution.scopeTags);
  tags.set('endpoint', context.endpoint);
  if (context.model !== null) tags.set('model', tagValue(context.model));
  if (context.organization !== null) tags.set('org', tagValue(context.organization));
  tags.set('status', statusClass);
  if (quotaTag !== null) tags.set('quota', quotaTag);
  return formatTags(tags);
}

export function buildEventRow(
  attribution: EventAttribution,
  observed: ObservedAttempt,
): DebugEventRow {
  const statusClass = statusClassOf(observed.statusCode);
  const quotaTag = attribution.quotaTag;
  const metadata: EventMetadata = {
    tags: eventTags(attribution, observed, statusClass, quotaTag),
    quota_tag: quotaTag,
    request_id_source: observed.requestIdSource,
  };
  if (observed.ratelimit !== undefined) metadata.ratelimit = observed.ratelimit;
  if (observed.keyFingerprint !== null) metadata.key_fingerprint = observed.keyFingerprint;
  if (observed.clientRequestId !== null) metadata.client_request_id = observed.clientRequestId;
  if (observed.content !== undefined) metadata.content = observed.content;

  return {
    requestId: observed.requestId,
    attempt: observed.attempt,
    createdAt: new Date(observed.startedAtMs).toISOString(),
    endpoint: observed.endpoint,
    method: observed.method,
    model: observed.model,
    statusCode: observed.statusCode,
    statusClass,
    organization: observed.organization,
    workload: attribution.workload,
    stream: observed.stream,
    latencyMs: observed.latencyMs,
    durationMs: observed.durationMs,
    firstChunkMs: observed.firstChunkMs,
    processingMs: observed.processingMs,
    inputTokens: observed.usage.inputTokens,
    outputTokens: observed.usage.outputTokens,
    cachedTokens: observed.usage.cachedTokens,
    reasoningTokens: observed.usage.reasoningTokens,
    errorType: observed.errorType,
    errorMessage: observed.errorMessage,
    metadata,
    debug: null,
  };
}

/** Makes an observed value safe as a tag value: no whitespace, commas or control characters. */
function tagValue(value: string): string {
  return value.replace(/[\s,\p{Cc}]/gu, '_').slice(0, 200) || '_';
}
