/**
 * The validation checklist (runbook section 4, automated): for each kind of request, send
 * one through the instrumented client, flush, read the event back from the store and check
 * its tags, quota tag and debug details.
 */
import type OpenAI from 'openai';

import type { EnvSource } from '../config/env.js';
import { flushOpenAIEvents } from '../events/runtime.js';
import { getOpenAIClientForWorkload } from '../openai/client.js';
import { runInCallScope } from '../openai/scope.js';
import { exportRedactor } from './incident-redact.js';
import type { OpenAiWorkloadEnv } from '../openai/workloads.js';
import type { DebugEventRow, ReadableEventStore } from '../stores/types.js';

export const VALIDATION_KINDS = ['embedding', 'response', 'realtime', 'video'] as const;
export type ValidationKind = (typeof VALIDATION_KINDS)[number];

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface KindResult {
  kind: ValidationKind;
  requestId: string | null;
  checks: Check[];
  ok: boolean;
}

interface Probe {
  endpoint: string;
  model: string;
  send(client: OpenAI): Promise<{ _request_id?: string | null }>;
}

const PROBES: Record<ValidationKind, Probe> = {
  embedding: {
    endpoint: '/embeddings',
    model: 'text-embedding-3-small',
    send: (client) =>
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'openai-ops validation' }),
  },
  response: {
    endpoint: '/responses',
    model: 'gpt-4.1-mini',
    send: (client) =>
      client.responses.create({
        model: 'gpt-4.1-mini',
        input: 'Reply with the word ok.',
        max_output_tokens: 16,
      }),
  },
  realtime: {
    endpoint: '/realtime/client_secrets',
    model: 'gpt-realtime',
    send: (client) =>
      client.realtime.clientSecrets.create({
        session: { type: 'realtime', model: 'gpt-realtime' },
      }),
  },
  video: {
    endpoint: '/videos',
    model: 'sora-2',
    send: (client) =>
      client.videos.create({ model: 'sora-2', prompt: 'openai-ops validation', seconds: '4' }),
  },
};

export interface ValidationContext {
  config: OpenAiWorkloadEnv;
  env: EnvSource;
  store: ReadableEventStore;
  /** `openai.debug_fetch_failed` log lines seen so far, by request id. */
  debugFailures: () => Map<string, string>;
}

/** Sends one request of `kind` and checks what was stored for it. */
export async function validateKind(
  kind: ValidationKind,
  context: ValidationContext,
): Promise<KindResult> {
  const probe = PROBES[kind];
  const { config } = context;
  let requestId: string | null = null;
  try {
    const client = getOpenAIClientForWorkload(config.workload, { env: context.env });
    const result = await runInCallScope({ tags: { check: 'validate' } }, () => probe.send(client));
    requestId = result._request_id ?? null;
  } catch (error) {
    const detail = exportRedactor(context.env)(
      error instanceof Error ? error.message : String(error),
    );
    return finish(kind, null, [{ name: 'request succeeds', ok: false, detail }]);
  }
  await flushOpenAIEvents();
  const checks: Check[] = [{ name: 'request succeeds', ok: true, detail: requestId ?? '' }];
  const event = requestId === null ? undefined : await findEvent(context.store, requestId);
  checks.push({
    name: 'event stored',
    ok: event !== undefined,
    detail: event === undefined ? `no row for ${requestId ?? 'the request'}` : event.endpoint,
  });
  if (event !== undefined) checks.push(...eventChecks(event, probe, context));
  return finish(kind, requestId, checks);
}

function eventChecks(event: DebugEventRow, probe: Probe, context: ValidationContext): Check[] {
  const { config } = context;
  const expected = [
    ...config.tags,
    `endpoint:${probe.endpoint}`,
    `model:${probe.model}`,
    'status:2xx',
    ...(config.quotaTag === null ? [] : [`quota:${config.quotaTag}`]),
  ];
  const missing = expected.filter((tag) => !event.metadata.tags.includes(tag));
  const checks: Check[] = [
    {
      name: 'expected tags',
      ok: missing.length === 0,
      detail: missing.length === 0 ? event.metadata.tags.join(',') : `missing ${missing.join(',')}`,
    },
    {
      name: 'quota tag',
      ok: event.metadata.quota_tag === config.quotaTag,
      detail:
        `stored ${event.metadata.quota_tag ?? 'none'}, ` +
        `configured ${config.quotaTag ?? 'none'}`,
    },
  ];
  if (config.debugFetchDetails) checks.push(debugCheck(event, context));
  return checks;
}

function debugCheck(event: DebugEventRow, context: ValidationContext): Check {
  const debug = event.debug as { response?: { status_code?: unknown } } | null;
  const status = debug?.response?.status_code;
  if (typeof status === 'number') {
    return { name: 'debug details', ok: true, detail: `response.status_code ${status}` };
  }
  const reason = context.debugFailures().get(event.requestId);
  return {
    name: 'debug details',
    ok: reason !== undefined,
    detail:
      reason === undefined
        ? 'no debug payload and no openai.debug_fetch_failed log line'
        : `openai.debug_fetch_failed: ${reason}`,
  };
}

async function findEvent(
  store: ReadableEventStore,
  requestId: string,
): Promise<DebugEventRow | undefined> {
  const rows = await store.queryEvents({ requestId, limit: 10 });
  return rows.find((row) => row.debug !== null) ?? rows[0];
}

function finish(kind: ValidationKind, requestId: string | null, checks: Check[]): KindResult {
  return { kind, requestId, checks, ok: checks.every((check) => check.ok) };
}
