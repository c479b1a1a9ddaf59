/**
 * What a failed key probe means and what to do about it: a rejected key, a key from another
 * organization, a timeout or an unreachable API each get their own message and fix.
 */
import OpenAI from 'openai';

import type { Redactor } from '../events/redact.js';
import { workloadVariables, type OpenAiWorkloadEnv } from '../openai/workloads.js';
import type { KeyCheck } from './keys-checks.js';

const ACCEPTED = 'key accepted by the API';
const ORGANIZATION = 'organization matches';

/** The two API checks for a probe that threw `error`. */
export function probeFailure(
  error: unknown,
  config: OpenAiWorkloadEnv,
  timeoutMs: number,
  redact: Redactor,
): KeyCheck[] {
  const variables = workloadVariables(config.workload);
  const keySource = config.apiKey?.source ?? variables.key;
  const notChecked: KeyCheck = { name: ORGANIZATION, status: 'skip', detail: 'not checked' };

  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    const detail = `no answer from ${config.baseUrl} within ${timeoutMs} ms`;
    const fix = `check ${variables.baseUrl} and the network, or raise --timeout`;
    return [{ name: ACCEPTED, status: 'fail', detail, fix }, notChecked];
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const detail = redact(`cannot reach ${config.baseUrl}${cause}`);
    return [
      { name: ACCEPTED, status: 'fail', detail, fix: `check ${variables.baseUrl}` },
      notChecked,
    ];
  }
  if (!(error instanceof OpenAI.APIError)) throw error;

  const message = redact(error.message);
  if (error.code === 'mismatched_organization') {
    return [
      { name: ACCEPTED, status: 'fail', detail: `rejected for ${config.organization}: ${message}` },
      {
        name: ORGANIZATION,
        status: 'fail',
        detail:
          `${config.keyFingerprint ?? 'the key'} does not belong to ` +
          `organization ${config.organization}`,
        fix:
          `set ${variables.org} to the key's organization, ` +
          `or use a key from ${config.organization}`,
      },
    ];
  }
  const fix =
    error.status === 401
      ? `replace ${keySource} with a current key (a rotated key stops working)`
      : `check the key's permissions and ${variables.baseUrl}`;
  return [{ name: ACCEPTED, status: 'fail', detail: message, fix }, notChecked];
}
