/**
 * The tag audit of runbook section 6: stored tag usage compared with the catalogue.
 * Violations (tags or quota tags the catalogue does not know) fail the audit; unused
 * catalogue entries and traffic without a quota tag are warnings.
 */
import { ANY_VALUE, CONTEXT_TAG_KEYS, type TagCatalogue } from './tag-catalogue.js';
import type { QuotaCount, TagCount, TagUsage } from './tag-catalogue-usage.js';

export type TagProblem = 'key not catalogued' | 'value not catalogued' | 'not key:value';

export interface TagFinding {
  tag: string;
  problem: TagProblem;
  events: number;
  workloads: string[];
}

export interface QuotaFinding {
  quota_tag: string;
  events: number;
  workloads: string[];
}

export interface UnusedEntry {
  key: string;
  /** True when no event used the key at all. */
  key_unused: boolean;
  /** Catalogued values no event used (`["*"]` for an unused any-value key). */
  values: string[];
}

export interface WorkloadQuotaShare {
  workload: string;
  events: number;
  without_quota_tag: number;
  /** `without_quota_tag / events`, from 0 to 1. */
  share_without_quota_tag: number;
}

export interface TagAuditFindings {
  events: number;
  uncatalogued_tags: TagFinding[];
  unknown_quota_tags: QuotaFinding[];
  unused_catalogue_entries: UnusedEntry[];
  unused_quota_tags: string[];
  workloads: WorkloadQuotaShare[];
  violations: number;
  warnings: number;
}

/** Compares `usage` with `catalogue`. */
export function auditTags(catalogue: TagCatalogue, usage: TagUsage): TagAuditFindings {
  const uncatalogued = findUncatalogued(catalogue, usage.tags);
  const unknownQuotas = findUnknownQuotas(catalogue, usage.quotas);
  const unused = findUnused(catalogue, usage.tags);
  const seenQuotas = new Set(usage.quotas.map((row) => row.quotaTag));
  const unusedQuotas = [...catalogue.quotaTags].filter((tag) => !seenQuotas.has(tag)).sort();
  const workloads = quotaShares(usage.quotas);
  const missingQuota = workloads.filter((row) => row.without_quota_tag > 0).length;
  return {
    events: workloads.reduce((sum, row) => sum + row.events, 0),
    uncatalogued_tags: uncatalogued,
    unknown_quota_tags: unknownQuotas,
    unused_catalogue_entries: unused,
    unused_quota_tags: unusedQuotas,
    workloads,
    violations: uncatalogued.length + unknownQuotas.length,
    warnings: unused.length + unusedQuotas.length + missingQuota,
  };
}

/** Splits `key:value` at the first colon; null when the tag is not of that form. */
export function splitTag(tag: string): { key: string; value: string } | null {
  const colon = tag.indexOf(':');
  if (colon <= 0 || colon === tag.length - 1) return null;
  return { key: tag.slice(0, colon), value: tag.slice(colon + 1) };
}

function problemOf(catalogue: TagCatalogue, tag: string): TagProblem | null {
  const parts = splitTag(tag);
  if (parts === null) return 'not key:value';
  const allowed = catalogue.tags.get(parts.key);
  if (allowed === undefined) {
    return CONTEXT_TAG_KEYS.includes(parts.key) ? null : 'key not catalogued';
  }
  return allowed === ANY_VALUE || allowed.has(parts.value) ? null : 'value not catalogued';
}

function findUncatalogued(catalogue: TagCatalogue, counts: readonly TagCount[]): TagFinding[] {
  const findings = new Map<string, TagFinding>();
  for (const { workload, tag, events } of counts) {
    const problem = problemOf(catalogue, tag);
    if (problem === null) continue;
    const finding = findings.get(tag) ?? { tag, problem, events: 0, workloads: [] };
    finding.events += events;
    if (!finding.workloads.includes(workload)) finding.workloads.push(workload);
    findings.set(tag, finding);
  }
  return [...findings.values()].sort((a, b) => b.events - a.events || a.tag.localeCompare(b.tag));
}

function findUnknownQuotas(catalogue: TagCatalogue, counts: readonly QuotaCount[]): QuotaFinding[] {
  const findings = new Map<string, QuotaFinding>();
  for (const { workload, quotaTag, events } of counts) {
    if (quotaTag === null || catalogue.quotaTags.has(quotaTag)) continue;
    const finding = findings.get(quotaTag) ?? { quota_tag: quotaTag, events: 0, workloads: [] };
    finding.events += events;
    if (!finding.workloads.includes(workload)) finding.workloads.push(workload);
    findings.set(quotaTag, finding);
  }
  return [...findings.values()].sort((a, b) => b.events - a.events);
}

function findUnused(catalogue: TagCatalogue, counts: readonly TagCount[]): UnusedEntry[] {
  const seen = new Map<string, Set<string>>();
  for (const { tag } of counts) {
    const parts = splitTag(tag);
    if (parts === null) continue;
    const values = seen.get(parts.key) ?? new Set<string>();
    values.add(parts.value);
    seen.set(parts.key, values);
  }
  const unused: UnusedEntry[] = [];
  for (const [key, allowed] of catalogue.tags) {
    const used = seen.get(key);
    const catalogued = allowed === ANY_VALUE ? [ANY_VALUE] : [...allowed];
    const values = used === undefined ? catalogued : catalogued.filter((value) => !used.has(value));
    if (allowed === ANY_VALUE && used !== undefined) continue;
    if (values.length > 0) unused.push({ key, key_unused: used === undefined, values });
  }
  return unused;
}

function quotaShares(counts: readonly QuotaCount[]): WorkloadQuotaShare[] {
  const byWorkload = new Map<string, WorkloadQuotaShare>();
  for (const { workload, quotaTag, events } of counts) {
    const share = byWorkload.get(workload) ?? {
      workload,
      events: 0,
      without_quota_tag: 0,
      share_without_quota_tag: 0,
    };
    share.events += events;
    if (quotaTag === null) share.without_quota_tag += events;
    byWorkload.set(workload, share);
  }
  return [...byWorkload.values()]
    .map((share) => ({ ...share, share_without_quota_tag: share.without_quota_tag / share.events }))
    .sort((a, b) => a.workload.localeCompare(b.workload));
}
