/**
 * How tags and quota tags were used in a window, aggregated by the database: one row per
 * workload and tag, one per workload and quota tag, never one per event. The statements
 * are fixed text; the only value in them is the window, a validated whole number.
 */
import type { ReadableEventStore } from '../stores/types.js';

export interface TagCount {
  workload: string;
  tag: string;
  events: number;
}

export interface QuotaCount {
  workload: string;
  /** Null for events without a quota tag. */
  quotaTag: string | null;
  events: number;
}

export interface TagUsage {
  tags: TagCount[];
  quotas: QuotaCount[];
}

/** Longest window accepted: ten years, so the interval stays a sane whole number. */
export const MAX_WINDOW_SECONDS = 10 * 366 * 86_400;

/** Tag and quota-tag counts of events created in the last `windowSeconds`. */
export async function readTagUsage(
  store: ReadableEventStore,
  windowSeconds: number,
): Promise<TagUsage> {
  const since = windowCondition(windowSeconds);
  const tagRows = await store.sql(`select workload, tag, count(*) as events
from openai_debug_events
cross join lateral jsonb_array_elements_text(
  case when jsonb_typeof(metadata -> 'tags') = 'array' then metadata -> 'tags' else '[]'::jsonb end
) as tag
where ${since}
group by workload, tag
order by workload, tag`);
  const quotaRows = await store.sql(`select workload, metadata ->> 'quota_tag' as quota_tag,
  count(*) as events
from openai_debug_events
where ${since}
group by workload, metadata ->> 'quota_tag'
order by workload, quota_tag`);
  return {
    tags: tagRows.map((row) => ({
      workload: String(row.workload),
      tag: String(row.tag),
      events: toCount(row.events),
    })),
    quotas: quotaRows.map((row) => ({
      workload: String(row.workload),
      quotaTag: typeof row.quota_tag === 'string' && row.quota_tag !== '' ? row.quota_tag : null,
      events: toCount(row.events),
    })),
  };
}

function windowCondition(windowSeconds: number): string {
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
    throw new RangeError(
      `the audit window must be a whole number of seconds; got ${windowSeconds}`,
    );
  }
  const seconds = Math.min(windowSeconds, MAX_WINDOW_SECONDS);
  return `created_at >= now() - make_interval(secs => ${seconds})`;
}

/** `count(*)` arrives as a bigint, a numeric string or a number depending on the driver. */
function toCount(value: unknown): number {
  const count = typeof value === 'number' ? value : Number(String(value));
  return Number.isFinite(count) ? count : 0;
}
