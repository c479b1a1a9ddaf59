/**
 * Workload configuration: which key, organization, base URL, tags and quota tag a call
 * uses. Reading it never creates an SDK client, so edge functions and cron jobs can check
 * a deployment's configuration cheaply.
 */
import { OpenAIOpsConfigError } from '../config/errors.js';
import { processEnv, readFlag, readVar, type EnvSource } from '../config/env.js';
import { quoteValue } from '../config/quote.js';
import { ApiKey } from './api-key.js';
import { formatTags, mergeTags, parseTagList, validateTagValue } from './tags.js';
import { normalizeOpenAiBaseUrl } from './url.js';

export const OPENAI_WORKLOADS = ['default', 'finance-prod', 'finance-staging'] as const;

/** A workload with its own credentials and tags. */
export type OpenAIWorkload = (typeof OPENAI_WORKLOADS)[number];

/** A finance workload, chosen per environment by `resolveFinanceWorkload()`. */
export type FinanceWorkload = Exclude<OpenAIWorkload, 'default'>;

/** What callers may pass: a workload, or `finance` for the current environment's one. */
export type WorkloadName = OpenAIWorkload | 'finance';

interface WorkloadVariables {
  key: string;
  org: string;
  baseUrl: string;
  tags: string;
  quotaTag: string;
}

const VARIABLES: Record<OpenAIWorkload, WorkloadVariables> = {
  default: {
    key: 'OPENAI_API_KEY',
    org: 'OPENAI_ORG_ID',
    baseUrl: 'OPENAI_BASE_URL',
    tags: 'OPENAI_REQUEST_TAGS',
    quotaTag: 'OPENAI_REQUEST_QUOTA_TAG',
  },
  'finance-prod': {
    key: 'OPENAI_API_KEY_FINANCE_PROD',
    org: 'OPENAI_ORG_ID_FINANCE_PROD',
    baseUrl: 'OPENAI_BASE_URL_FINANCE_PROD',
    tags: 'OPENAI_REQUEST_TAGS_FINANCE_PROD',
    quotaTag: 'OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD',
  },
  'finance-staging': {
    key: 'OPENAI_API_KEY_FINANCE_STAGING',
    org: 'OPENAI_ORG_ID_FINANCE_STAGING',
    baseUrl: 'OPENAI_BASE_URL_FINANCE_STAGING',
    tags: 'OPENAI_REQUEST_TAGS_FINANCE_STAGING',
    quotaTag: 'OPENAI_REQUEST_QUOTA_TAG_FINANCE_STAGING',
  },
};

/** The resolved configuration of one workload. Safe to print: the key shows as a fingerprint. */
export interface OpenAiWorkloadEnv {
  workload: OpenAIWorkload;
  /** The key to use, or null when neither the workload's variable nor `OPENAI_API_KEY` is set. */
  apiKey: ApiKey | null;
  /** `sk-…abcd`, or null without a key. */
  keyFingerprint: string | null;
  /** The variables that could supply the key, the workload's own first. */
  keyVariables: readonly string[];
  organization: string | null;
  /** Normalised base URL, ending in a single `/v1`. */
  baseUrl: string;
  /** Configured tags with finance overrides applied, plus `workload:finance-<env>` for finance. */
  tags: string[];
  quotaTag: string | null;
  /** `OPENAI_DEBUG_LOGGING`: record a debug event for every request. */
  debugLogging: boolean;
  /** `OPENAI_DEBUG_FETCH_DETAILS`: enrich events from `/v1/requests/{id}/debug`. */
  debugFetchDetails: boolean;
}

/**
 * Resolves a workload's configuration from the environment. A workload's own variable
 * wins; otherwise the default workload's variable applies. Finance tags override the
 * default tags key by key.
 *
 * @throws OpenAIOpsConfigError for an unknown workload or a malformed value, naming the
 *   variable to fix. A missing key is not an error here (see `apiKey`).
 * @example
 * const config = readOpenAiWorkloadEnv('finance-prod');
 * console.log(config.keyFingerprint, config.tags, config.quotaTag);
 */
export function readOpenAiWorkloadEnv(
  workload: WorkloadName = 'default',
  env: EnvSource = processEnv(),
): OpenAiWorkloadEnv {
  const resolved = resolveWorkloadName(workload, env);
  const own = VARIABLES[resolved];
  const fallback = VARIABLES.default;
  const isFinance = resolved !== 'default';

  const key = firstSet(env, own.key, fallback.key);
  const baseUrl = firstSet(env, own.baseUrl, fallback.baseUrl);
  const quota = firstSet(env, own.quotaTag, fallback.quotaTag);
  const tags = mergeTags(
    parseTagList(readVar(env, fallback.tags), fallback.tags),
    isFinance ? parseTagList(readVar(env, own.tags), own.tags) : undefined,
    isFinance ? new Map([['workload', resolved]]) : undefined,
  );
  const apiKey = key === undefined ? null : new ApiKey(headerSafe(key, 'key'), key.variable);
  const organization = firstSet(env, own.org, fallback.org);

  return {
    workload: resolved,
    apiKey,
    keyFingerprint: apiKey?.fingerprint ?? null,
    keyVariables: isFinance ? [own.key, fallback.key] : [own.key],
    organization: organization === undefined ? null : headerSafe(organization, 'organization'),
    baseUrl: normalizeOpenAiBaseUrl(baseUrl?.value, baseUrl?.variable),
    tags: formatTags(tags),
    quotaTag: quota === undefined ? null : validateQuotaTag(quota.value, quota.variable),
    debugLogging: readFlag(env, 'OPENAI_DEBUG_LOGGING'),
    debugFetchDetails: readFlag(env, 'OPENAI_DEBUG_FETCH_DETAILS'),
  };
}

/**
 * The finance workload for this environment: `OPENAI_FINANCE_WORKLOAD` when set, else
 * `finance-prod` when `NODE_ENV` is `production` and `finance-staging` otherwise.
 *
 * @throws OpenAIOpsConfigError when `OPENAI_FINANCE_WORKLOAD` names no finance workload.
 */
export function resolveFinanceWorkload(env: EnvSource = processEnv()): FinanceWorkload {
  const chosen = readVar(env, 'OPENAI_FINANCE_WORKLOAD');
  if (chosen === undefined) {
    return readVar(env, 'NODE_ENV') === 'production' ? 'finance-prod' : 'finance-staging';
  }
  if (chosen === 'finance-prod' || chosen === 'finance-staging') return chosen;
  throw new OpenAIOpsConfigError(
    `OPENAI_FINANCE_WORKLOAD must be finance-prod or finance-staging; got ${quoteValue(chosen)}.`,
    { variable: 'OPENAI_FINANCE_WORKLOAD' },
  );
}

/**
 * Validates a workload name given by a caller or on a command line.
 *
 * @throws OpenAIOpsConfigError listing the valid names.
 */
export function resolveWorkloadName(name: string, env: EnvSource = processEnv()): OpenAIWorkload {
  if (name === 'finance') return resolveFinanceWorkload(env);
  if ((OPENAI_WORKLOADS as readonly string[]).includes(name)) return name as OpenAIWorkload;
  throw new OpenAIOpsConfigError(
    `Unknown workload ${quoteValue(name)}; use one of ${OPENAI_WORKLOADS.join(', ')} or finance.`,
    { variable: 'workload' },
  );
}

/**
 * The raw keys configured for every workload, for redaction: a key quoted anywhere (a
 * prompt, an error echoed by a proxy) is removed even when it does not look like `sk-…`.
 * A workload whose configuration is malformed is skipped.
 */
export function configuredApiKeys(env: EnvSource = processEnv()): string[] {
  const keys = new Set<string>();
  for (const workload of OPENAI_WORKLOADS) {
    try {
      const key = readOpenAiWorkloadEnv(workload, env).apiKey?.reveal();
      if (key !== undefined) keys.add(key);
    } catch {
      // Its key, if it has one, is still covered by the built-in patterns.
    }
  }
  return [...keys];
}

/** The variables a workload reads, for documentation and diagnostics. */
export function workloadVariables(workload: OpenAIWorkload): Readonly<WorkloadVariables> {
  return VARIABLES[workload];
}

/**
 * Keys and organizations travel as HTTP headers; a value that cannot (a line break, a
 * curly quote) would fail every request with a TypeError, so it fails here, naming the
 * variable. The value itself is not shown: it may be a key.
 */
function headerSafe(setting: { value: string; variable: string }, what: string): string {
  if (/^[\x21-\x7e]+$/.test(setting.value)) return setting.value;
  throw new OpenAIOpsConfigError(
    `${setting.variable} holds an ${what} with characters that cannot be sent in an HTTP ` +
      'header (spaces, line breaks, non-ASCII or control characters); set it again, copying ' +
      'only the value.',
    { variable: setting.variable },
  );
}

function validateQuotaTag(value: string, variable: string): string {
  return validateTagValue(value, variable, `quota:${value}`);
}

function firstSet(
  env: EnvSource,
  ...names: string[]
): { value: string; variable: string } | undefined {
  for (const variable of names) {
    const value = readVar(env, variable);
    if (value !== undefined) return { value, variable };
  }
  return undefined;
}
