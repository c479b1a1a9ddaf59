import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import { DEFAULT_TIMEOUT_MS, getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { OPENAI_OPS_VERSION } from '../../src/version.js';

const DEFAULT_KEY = 'sk-client-default-000000000000dflt';
const PROD_KEY = 'sk-client-prod-000000000000000prod';
const STAGING_KEY = 'sk-client-staging-00000000000stag';

let sim: Simulator;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({
    keys: [
      { key: DEFAULT_KEY, organization: 'org-default' },
      { key: PROD_KEY, organization: 'org-prod' },
      { key: STAGING_KEY, organization: 'org-staging' },
    ],
  });
  env = {
    OPENAI_API_KEY: DEFAULT_KEY,
    OPENAI_ORG_ID: 'org-default',
    OPENAI_BASE_URL: `${sim.url}/v1/v1/`,
    OPENAI_API_KEY_FINANCE_PROD: PROD_KEY,
    OPENAI_ORG_ID_FINANCE_PROD: 'org-prod',
    OPENAI_API_KEY_FINANCE_STAGING: STAGING_KEY,
    OPENAI_ORG_ID_FINANCE_STAGING: 'org-staging',
  };
});

afterAll(async () => {
  await sim.close();
});

function lastRequest() {
  const request = sim.requests.at(-1);
  if (request === undefined) throw new Error('the simulator saw no request');
  return request;
}

describe('getOpenAIClientForWorkload', () => {
  it.each([
    ['default', DEFAULT_KEY, 'org-default'],
    ['finance-prod', PROD_KEY, 'org-prod'],
    ['finance-staging', STAGING_KEY, 'org-staging'],
  ] as const)('sends %s with its own key and organization', async (workload, key, org) => {
    const client = getOpenAIClientForWorkload(workload, { env });
    expect(client).toBeInstanceOf(OpenAI);
    expect(client.baseURL).toBe(`${sim.url}/v1`);
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    const request = lastRequest();
    expect(request.path).toBe('/v1/embeddings');
    expect(request.apiKey).toBe(key);
    expect(request.organization).toBe(org);
    expect(request.headers['user-agent']).toBe(
      `openai-ops/${OPENAI_OPS_VERSION} (workload ${workload})`,
    );
  });

  it('sends a new X-Client-Request-Id with every call, and keeps it in withOptions', async () => {
    const client = getOpenAIClientForWorkload('finance-prod', { env });
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'a' });
    const first = lastRequest().headers['x-client-request-id'];
    await client.withOptions({ timeout: 5_000 }).embeddings.create({
      model: 'text-embedding-3-small',
      input: 'b',
    });
    const second = lastRequest();
    expect(first).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
    expect(second.headers['x-client-request-id']).toMatch(/^[0-9a-f]{16}-[0-9a-z]+$/);
    expect(second.headers['x-client-request-id']).not.toBe(first);
    expect(second.headers['user-agent']).toBe(
      `openai-ops/${OPENAI_OPS_VERSION} (workload finance-prod)`,
    );
  });

  it("lets the caller's own User-Agent and request id win", async () => {
    const client = getOpenAIClientForWorkload('default', {
      env,
      defaultHeaders: { 'User-Agent': 'billing-service/2.1' },
    });
    await client.models.list();
    expect(lastRequest().headers['user-agent']).toBe('billing-service/2.1');
    await client.embeddings.create(
      { model: 'text-embedding-3-small', input: 'x' },
      { idempotencyKey: 'invoice-42' },
    );
    expect(lastRequest().headers['x-client-request-id']).toBe('invoice-42');
  });

  it('uses a sane default timeout and honours explicit options', () => {
    const client = getOpenAIClientForWorkload('default', { env });
    expect(client.timeout).toBe(DEFAULT_TIMEOUT_MS);
    const custom = getOpenAIClientForWorkload('default', { env, timeout: 1_234, maxRetries: 7 });
    expect(custom.timeout).toBe(1_234);
    expect(custom.maxRetries).toBe(7);
  });

  it('honours an explicit key even when the environment has none', async () => {
    const client = getOpenAIClientForWorkload('finance-prod', {
      env: { OPENAI_BASE_URL: sim.baseURL },
      apiKey: PROD_KEY,
      organization: 'org-prod',
    });
    await client.models.list();
    expect(lastRequest().apiKey).toBe(PROD_KEY);
  });

  it('reuses a client until the configuration changes, then builds a fresh one', () => {
    const previous = process.env;
    try {
      process.env = { ...previous, ...env };
      const first = getOpenAIClientForWorkload('finance-prod');
      expect(getOpenAIClientForWorkload('finance-prod')).toBe(first);
      process.env = { ...process.env, OPENAI_API_KEY_FINANCE_PROD: `${PROD_KEY}-rotated` };
      const rotated = getOpenAIClientForWorkload('finance-prod');
      expect(rotated).not.toBe(first);
      expect(rotated.apiKey).toBe(`${PROD_KEY}-rotated`);
      process.env = { ...process.env, OPENAI_BASE_URL_FINANCE_PROD: 'http://127.0.0.1:1' };
      expect(getOpenAIClientForWorkload('finance-prod').baseURL).toBe('http://127.0.0.1:1/v1');
    } finally {
      process.env = previous;
    }
  });

  it('names both variables that could supply a missing finance key', () => {
    let error: unknown;
    try {
      getOpenAIClientForWorkload('finance-staging', { env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OpenAIOpsConfigError);
    expect((error as Error).message).toBe(
      'No OpenAI API key for workload finance-staging: ' +
        'set OPENAI_API_KEY_FINANCE_STAGING or OPENAI_API_KEY.',
    );
  });

  it('rejects an unknown workload before building anything', () => {
    expect(() => getOpenAIClientForWorkload('marketing' as 'default', { env })).toThrow(
      /Unknown workload "marketing"/,
    );
  });

  it('lets the SDK see a wrong key as the API answers it', async () => {
    const client = getOpenAIClientForWorkload('default', {
      env: { ...env, OPENAI_API_KEY: 'sk-not-a-known-key-0000000000' },
      maxRetries: 0,
    });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
