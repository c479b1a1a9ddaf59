/**
 * Diagnosis of a workload's configuration: what is set, and every problem with the change
 * that fixes it. Shared by `env`, `validate` and `keys check`.
 */
import type { EnvSource } from '../config/env.js';
import { OpenAIOpsConfigError } from '../config/errors.js';
import {
  readOpenAiWorkloadEnv,
  workloadVariables,
  type OpenAiWorkloadEnv,
  type OpenAIWorkload,
} from '../openai/workloads.js';

export interface Problem {
  severity: 'error' | 'warning';
  message: string;
  fix: string;
  variable?: string | undefined;
}

export interface WorkloadDiagnosis {
  workload: OpenAIWorkload;
  config: OpenAiWorkloadEnv | null;
  problems: Problem[];
  /** True when the configuration is malformed, as opposed to incomplete. */
  malformed: boolean;
}

export function diagnoseWorkload(workload: OpenAIWorkload, env: EnvSource): WorkloadDiagnosis {
  let config: OpenAiWorkloadEnv;
  try {
    config = readOpenAiWorkloadEnv(workload, env);
  } catch (error) {
    if (!(error instanceof OpenAIOpsConfigError)) throw error;
    const problem = {
      severity: 'error' as const,
      message: error.message,
      variable: error.variable,
    };
    return {
      workload,
      config: null,
      malformed: true,
      problems: [{ ...problem, fix: fixFor(error) }],
    };
  }
  return { workload, config, malformed: false, problems: problemsOf(config) };
}

function problemsOf(config: OpenAiWorkloadEnv): Problem[] {
  const own = workloadVariables(config.workload);
  const problems: Problem[] = [];
  const finance = config.workload !== 'default';
  if (config.apiKey === null) {
    problems.push({
      severity: 'error',
      message: `no API key for ${config.workload}`,
      fix: `set ${config.keyVariables.join(' or ')}`,
      variable: own.key,
    });
  } else if (finance && config.apiKey.source !== own.key) {
    problems.push({
      severity: 'warning',
      message: `${config.workload} uses the default key ${config.apiKey.fingerprint}`,
      fix: `set ${own.key} so finance traffic is billed and rotated separately`,
      variable: own.key,
    });
  }
  if (finance && config.organization === null) {
    problems.push({
      severity: 'warning',
      message: `${config.workload} has no organization`,
      fix: `set ${own.org} (or OPENAI_ORG_ID) for multi-org dashboards and quota partitioning`,
      variable: own.org,
    });
  }
  if (finance && config.quotaTag === null) {
    problems.push({
      severity: 'warning',
      message: `${config.workload} events carry no quota tag`,
      fix: `set ${own.quotaTag} to the billing quota tag`,
      variable: own.quotaTag,
    });
  }
  if (!config.debugLogging) {
    problems.push({
      severity: 'warning',
      message: 'debug events are not recorded',
      fix: 'set OPENAI_DEBUG_LOGGING=true',
      variable: 'OPENAI_DEBUG_LOGGING',
    });
  }
  return problems;
}

function fixFor(error: OpenAIOpsConfigError): string {
  return error.variable === undefined ? 'correct the value' : `correct ${error.variable}`;
}
