/**
 * The checks `keys check` runs for one workload after a key rotation or a new organization
 * (runbook section 6): the key, organization and quota tag are configured, the API accepts
 * the key with one cheap authenticated call, and the organization it answers for is the
 * configured one. Keys appear only as fingerprints.
 */
import type { EnvSource } from '../config/env.js';
import { createRedactor, type Redactor } from '../events/redact.js';
import { getOpenAIClientForWorkload } from '../openai/client.js';
import {
  workloadVariables,
  type OpenAiWorkloadEnv,
  type OpenAIWorkload,
} from '../openai/workloads.js';
import { diagnoseWorkload, type Problem, type WorkloadDiagnosis } from './diagnose.js';
import { probeFailure } from './keys-probe-failure.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface KeyCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** The change that fixes a failure or a warning. */
  fix?: string;
}

export interface WorkloadKeyReport {
  workload: OpenAIWorkload;
  key_fingerprint: string | null;
  key_source: string | null;
  organization: string | null;
  quota_tag: string | null;
  base_url: string | null;
  /** True when a variable is malformed: nothing else was checked. */
  malformed: boolean;
  checks: KeyCheck[];
}

/** Runs every check for `workload`; never throws for a failed check, only reports it. */
export async function checkWorkloadKeys(
  workload: OpenAIWorkload,
  env: EnvSource,
  timeoutMs: number,
): Promise<WorkloadKeyReport> {
  const diagnosis = diagnoseWorkload(workload, env);
  const { config } = diagnosis;
  if (config === null) return malformedReport(diagnosis);

  const checks = [keyCheck(config, diagnosis), organizationCheck(config, diagnosis)];
  checks.push(quotaTagCheck(config, diagnosis));
  if (config.apiKey === null) {
    checks.push(skipped('key accepted by the API', 'no key to try'));
    checks.push(skipped('organization matches', 'no key to try'));
  } else {
    checks.push(...(await probeApi(config, env, timeoutMs)));
  }
  return {
    workload,
    key_fingerprint: config.keyFingerprint,
    key_source: config.apiKey?.source ?? null,
    organization: config.organization,
    quota_tag: config.quotaTag,
    base_url: config.baseUrl,
    malformed: false,
    checks,
  };
}

function malformedReport(diagnosis: WorkloadDiagnosis): WorkloadKeyReport {
  const checks = diagnosis.problems.map((problem) => fromProblem('configuration', problem));
  return {
    workload: diagnosis.workload,
    key_fingerprint: null,
    key_source: null,
    organization: null,
    quota_tag: null,
    base_url: null,
    malformed: true,
    checks,
  };
}

function keyCheck(config: OpenAiWorkloadEnv, diagnosis: WorkloadDiagnosis): KeyCheck {
  const problem = problemFor(diagnosis, workloadVariables(config.workload).key);
  if (problem !== undefined) return fromProblem('key present', problem);
  return pass('key present', `${config.keyFingerprint} from ${config.apiKey?.source}`);
}

function organizationCheck(config: OpenAiWorkloadEnv, diagnosis: WorkloadDiagnosis): KeyCheck {
  const problem = problemFor(diagnosis, workloadVariables(config.workload).org);
  if (problem !== undefined) return fromProblem('organization set', problem);
  if (config.organization === null) {
    return skipped('organization set', "not set; the key's default organization applies");
  }
  return pass('organization set', config.organization);
}

function quotaTagCheck(config: OpenAiWorkloadEnv, diagnosis: WorkloadDiagnosis): KeyCheck {
  const problem = problemFor(diagnosis, workloadVariables(config.workload).quotaTag);
  if (problem !== undefined) return fromProblem('quota tag set', problem);
  if (config.quotaTag === null) return skipped('quota tag set', 'not set (optional here)');
  return pass('quota tag set', config.quotaTag);
}

/** One `GET /models` with the workload's own client: no retries, a short timeout, no event. */
async function probeApi(
  config: OpenAiWorkloadEnv,
  env: EnvSource,
  timeoutMs: number,
): Promise<KeyCheck[]> {
  const redact = createRedactor([], config.apiKey === null ? [] : [config.apiKey.reveal()]);
  // A credential check is not traffic worth recording, and recording would open the store.
  const quiet = { ...env, OPENAI_DEBUG_LOGGING: 'false', OPENAI_DEBUG_FETCH_DETAILS: 'false' };
  const client = getOpenAIClientForWorkload(config.workload, {
    env: quiet,
    maxRetries: 0,
    timeout: timeoutMs,
  });
  const started = performance.now();
  try {
    const { response } = await client.models.list().withResponse();
    const elapsedMs = Math.round(performance.now() - started);
    const requestId = response.headers.get('x-request-id');
    const detail = `HTTP ${response.status} from GET /models in ${elapsedMs} ms`;
    return [
      pass('key accepted by the API', requestId === null ? detail : `${detail} (${requestId})`),
      organizationMatch(config, response.headers.get('openai-organization'), redact),
    ];
  } catch (error) {
    return probeFailure(error, config, timeoutMs, redact);
  }
}

function organizationMatch(
  config: OpenAiWorkloadEnv,
  reported: string | null,
  redact: Redactor,
): KeyCheck {
  const name = 'organization matches';
  const variable = workloadVariables(config.workload).org;
  if (reported === null) return skipped(name, 'the API reported no organization');
  const shown = redact(reported);
  if (config.organization === null) {
    return {
      ...skipped(name, `none configured; the API answered for ${shown}`),
      fix: `set ${variable}=${shown} to pin it`,
    };
  }
  if (reported === config.organization) return pass(name, `the API answered for ${shown}`);
  if (!reported.startsWith('org-')) {
    // The API accepted the configured OpenAI-Organization header, which it only does for an
    // organization the key belongs to; a reported name rather than an id is not a mismatch.
    return warn(name, `configured ${config.organization}, the API reports the name ${shown}`);
  }
  return {
    name,
    status: 'fail',
    detail: `configured ${config.organization}, but the API answered for ${shown}`,
    fix: `set ${variable} to the intended organization, or use a key from ${config.organization}`,
  };
}

function problemFor(diagnosis: WorkloadDiagnosis, variable: string): Problem | undefined {
  return diagnosis.problems.find((problem) => problem.variable === variable);
}

function fromProblem(name: string, problem: Problem): KeyCheck {
  const status = problem.severity === 'error' ? 'fail' : 'warn';
  return { name, status, detail: problem.message, fix: problem.fix };
}

function pass(name: string, detail: string): KeyCheck {
  return { name, status: 'pass', detail };
}

function warn(name: string, detail: string): KeyCheck {
  return { name, status: 'warn', detail };
}

function skipped(name: string, detail: string): KeyCheck {
  return { name, status: 'skip', detail };
}
