import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WorkloadKeyReport } from '../../src/cli/keys-checks.js';
import { getOpenAIEventStats } from '../../src/events/runtime.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, type CliRun } from '../support/cli.js';
import { closedPort } from '../support/ports.js';

const DEFAULT_KEY = 'sk-keys-default-0000000000000000dflt';
const PROD_KEY = 'sk-keys-finance-prod-000000000000prod';
const STAGING_KEY = 'sk-keys-finance-staging-000000000stag';
const ROTATED_KEY = 'sk-keys-rotated-away-0000000000000old';
const ALL_KEYS = [DEFAULT_KEY, PROD_KEY, STAGING_KEY, ROTATED_KEY];

let sim: Simulator;
let env: Record<string, string | undefined>;

interface KeysJson {
  ok: boolean;
  workloads: WorkloadKeyReport[];
}

function statuses(report: WorkloadKeyReport | undefined): Record<string, string> {
  return Object.fromEntries((report?.checks ?? []).map((check) => [check.name, check.status]));
}

function expectNoKeys(run: CliRun): void {
  for (const key of ALL_KEYS) {
    expect(run.stdout).not.toContain(key);
    expect(run.stderr).not.toContain(key);
  }
}

beforeAll(async () => {
  sim = await startSimulator({
    keys: [
      { key: DEFAULT_KEY, organization: 'org-default' },
      { key: PROD_KEY, organization: 'org-finance' },
      { key: STAGING_KEY, organization: 'org-finance-staging' },
    ],
  });
  env = {
    OPENAI_API_KEY: DEFAULT_KEY,
    OPENAI_ORG_ID: 'org-default',
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_API_KEY_FINANCE_PROD: PROD_KEY,
    OPENAI_ORG_ID_FINANCE_PROD: 'org-finance',
    OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'finance-emea',
    OPENAI_API_KEY_FINANCE_STAGING: STAGING_KEY,
    OPENAI_ORG_ID_FINANCE_STAGING: 'org-finance-staging',
    OPENAI_REQUEST_QUOTA_TAG_FINANCE_STAGING: 'finance-emea-staging',
    OPENAI_DEBUG_LOGGING: 'true',
  };
});

afterAll(async () => {
  await sim.close();
});

describe('openai-ops keys check', () => {
  it('passes every check of every workload with one models call each', async () => {
    const before = sim.requests.length;
    const run = await cli(['--json', 'keys', 'check'], env);

    expect(run.code).toBe(0);
    const report = run.json<KeysJson>();
    expect(report.ok).toBe(true);
    expect(report.workloads.map((workload) => workload.workload)).toEqual([
      'default',
      'finance-prod',
      'finance-staging',
    ]);
    expect(statuses(report.workloads[1])).toEqual({
      'key present': 'pass',
      'organization set': 'pass',
      'quota tag set': 'pass',
      'key accepted by the API': 'pass',
      'organization matches': 'pass',
    });
    expect(report.workloads[1]?.key_fingerprint).toBe('sk-…prod');
    const calls = sim.requests.slice(before);
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(
      Array(3).fill('GET /v1/models'),
    );
    expect(getOpenAIEventStats().recorded).toBe(0);
    expectNoKeys(run);
  });

  it('prints a checklist with fingerprints', async () => {
    const run = await cli(['keys', 'check', '--workload', 'finance'], {
      ...env,
      OPENAI_FINANCE_WORKLOAD: 'finance-prod',
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`finance-prod ${sim.baseURL}`);
    expect(run.stdout).toContain('✓ key present: sk-…prod from OPENAI_API_KEY_FINANCE_PROD');
    expect(run.stdout).toContain('✓ organization matches: the API answered for org-finance');
    expect(run.stdout).toContain('all checks passed, 0 warning(s)');
    expectNoKeys(run);
  });

  it('fails a key the API rejects and says which variable to replace', async () => {
    const run = await cli(['keys', 'check', '--workload', 'finance-prod'], {
      ...env,
      OPENAI_API_KEY_FINANCE_PROD: ROTATED_KEY,
    });

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ key accepted by the API: 401 Incorrect API key provided/);
    expect(run.stdout).toContain('fix: replace OPENAI_API_KEY_FINANCE_PROD with a current key');
    expect(run.stdout).toContain('- organization matches: not checked');
    expect(run.stdout).toContain('1 check(s) failed');
    expectNoKeys(run);
  });

  it('fails when the key does not belong to the configured organization', async () => {
    const run = await cli(['keys', 'check', '--workload', 'finance-prod'], {
      ...env,
      OPENAI_ORG_ID_FINANCE_PROD: 'org-someone-else',
    });

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '✗ organization matches: sk-…prod does not belong to organization org-someone-else',
    );
    expect(run.stdout).toContain('fix: set OPENAI_ORG_ID_FINANCE_PROD to the key');
    expectNoKeys(run);
  });

  it('fails a missing key without calling the API', async () => {
    const before = sim.requests.length;
    const run = await cli(['keys', 'check', '--workload', 'default'], {
      ...env,
      OPENAI_API_KEY: undefined,
    });

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ key present: no API key for default');
    expect(run.stdout).toContain('fix: set OPENAI_API_KEY');
    expect(run.stdout).toContain('- key accepted by the API: no key to try');
    expect(sim.requests.length).toBe(before);
  });

  it('warns about a finance workload without organization or quota tag', async () => {
    const run = await cli(['--json', 'keys', 'check', '--workload', 'finance-staging'], {
      ...env,
      OPENAI_ORG_ID: undefined,
      OPENAI_ORG_ID_FINANCE_STAGING: undefined,
      OPENAI_REQUEST_QUOTA_TAG_FINANCE_STAGING: undefined,
    });

    expect(run.code).toBe(0);
    const [staging] = run.json<KeysJson>().workloads;
    expect(statuses(staging)).toMatchObject({
      'organization set': 'warn',
      'quota tag set': 'warn',
      'key accepted by the API': 'pass',
      'organization matches': 'skip',
    });
    const match = staging?.checks.find((check) => check.name === 'organization matches');
    expect(match?.fix).toBe('set OPENAI_ORG_ID_FINANCE_STAGING=org-finance-staging to pin it');
  });

  it('fails when the API cannot be reached or does not answer in time', async () => {
    const port = await closedPort();
    const down = await cli(['keys', 'check', '--workload', 'finance-prod'], {
      ...env,
      OPENAI_BASE_URL_FINANCE_PROD: `http://127.0.0.1:${port}`,
    });
    expect(down.code).toBe(1);
    expect(down.stdout).toContain(
      `✗ key accepted by the API: cannot reach http://127.0.0.1:${port}/v1`,
    );

    sim.injectFault({ path: '/v1/models', times: 1, fault: { latencyMs: 1_500 } });
    const slow = await cli(['keys', 'check', '--workload', 'finance-prod', '--timeout', '1s'], env);
    expect(slow.code).toBe(1);
    expect(slow.stdout).toContain(`no answer from ${sim.baseURL} within 1000 ms`);
  });

  it('exits 2 for an unknown workload, malformed variables and a bad timeout', async () => {
    const unknown = await cli(['keys', 'check', '--workload', 'finance-dev'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown workload "finance-dev"');

    const malformed = await cli(['keys', 'check'], {
      ...env,
      OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'finance emea',
    });
    expect(malformed.code).toBe(2);
    expect(malformed.stdout).toContain('OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD');
    expect(malformed.stdout).toContain('configuration is malformed');

    const timeout = await cli(['keys', 'check', '--timeout', '0s'], env);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout must be from 1s to 2m');
  });
});
