import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import {
  readOpenAiWorkloadEnv,
  resolveFinanceWorkload,
  resolveWorkloadName,
} from '../../src/openai/workloads.js';

const DEFAULT_KEY = 'sk-default-0000000000000000aaaa';
const PROD_KEY = 'sk-finance-prod-00000000000pppp';

const fleet = {
  OPENAI_API_KEY: DEFAULT_KEY,
  OPENAI_ORG_ID: 'org-default',
  OPENAI_BASE_URL: 'https://gateway.internal/openai/v1/',
  OPENAI_REQUEST_TAGS: 'service:rag,env:staging,workload:rag',
  OPENAI_REQUEST_QUOTA_TAG: 'shared-pool',
  OPENAI_API_KEY_FINANCE_PROD: PROD_KEY,
  OPENAI_ORG_ID_FINANCE_PROD: 'org-finance',
  OPENAI_REQUEST_TAGS_FINANCE_PROD: 'env:prod,team:ledger',
  OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'finance-emea',
};

describe('readOpenAiWorkloadEnv', () => {
  it('resolves the default workload from the default variables', () => {
    const config = readOpenAiWorkloadEnv('default', fleet);
    expect(config).toMatchObject({
      workload: 'default',
      keyFingerprint: 'sk-…aaaa',
      organization: 'org-default',
      baseUrl: 'https://gateway.internal/openai/v1',
      tags: ['service:rag', 'env:staging', 'workload:rag'],
      quotaTag: 'shared-pool',
      debugLogging: false,
      debugFetchDetails: false,
    });
    expect(config.apiKey?.reveal()).toBe(DEFAULT_KEY);
    expect(config.apiKey?.source).toBe('OPENAI_API_KEY');
  });

  it('uses a finance workload’s own variables and overrides tags key by key', () => {
    const config = readOpenAiWorkloadEnv('finance-prod', fleet);
    expect(config.apiKey?.reveal()).toBe(PROD_KEY);
    expect(config.apiKey?.source).toBe('OPENAI_API_KEY_FINANCE_PROD');
    expect(config.organization).toBe('org-finance');
    expect(config.quotaTag).toBe('finance-emea');
    expect(config.tags).toEqual([
      'service:rag',
      'env:prod',
      'workload:finance-prod',
      'team:ledger',
    ]);
  });

  it('falls back to the default variables for whatever a finance workload leaves unset', () => {
    const config = readOpenAiWorkloadEnv('finance-staging', fleet);
    expect(config.apiKey?.source).toBe('OPENAI_API_KEY');
    expect(config.organization).toBe('org-default');
    expect(config.baseUrl).toBe('https://gateway.internal/openai/v1');
    expect(config.quotaTag).toBe('shared-pool');
    expect(config.tags).toEqual(['service:rag', 'env:staging', 'workload:finance-staging']);
    expect(config.keyVariables).toEqual(['OPENAI_API_KEY_FINANCE_STAGING', 'OPENAI_API_KEY']);
  });

  it('resolves "finance" to the environment’s finance workload', () => {
    expect(readOpenAiWorkloadEnv('finance', { ...fleet, NODE_ENV: 'production' }).workload).toBe(
      'finance-prod',
    );
    expect(readOpenAiWorkloadEnv('finance', fleet).workload).toBe('finance-staging');
  });

  it('reports a missing key as null instead of failing', () => {
    const config = readOpenAiWorkloadEnv('default', {});
    expect(config.apiKey).toBeNull();
    expect(config.keyFingerprint).toBeNull();
    expect(config.baseUrl).toBe('https://api.openai.com/v1');
    expect(config.tags).toEqual([]);
    expect(config.quotaTag).toBeNull();
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    [' Yes ', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['', false],
  ])('reads debug flag %j as %s', (value, expected) => {
    const config = readOpenAiWorkloadEnv('default', {
      OPENAI_DEBUG_LOGGING: value,
      OPENAI_DEBUG_FETCH_DETAILS: value,
    });
    expect(config.debugLogging).toBe(expected);
    expect(config.debugFetchDetails).toBe(expected);
  });

  it.each([
    [{ OPENAI_DEBUG_LOGGING: 'on' }, 'OPENAI_DEBUG_LOGGING'],
    [{ OPENAI_DEBUG_FETCH_DETAILS: 'enabled' }, 'OPENAI_DEBUG_FETCH_DETAILS'],
    [{ OPENAI_REQUEST_TAGS: 'service' }, 'OPENAI_REQUEST_TAGS'],
    [{ OPENAI_REQUEST_TAGS_FINANCE_PROD: 'env prod' }, 'OPENAI_REQUEST_TAGS_FINANCE_PROD'],
    [{ OPENAI_REQUEST_QUOTA_TAG: 'two words' }, 'OPENAI_REQUEST_QUOTA_TAG'],
    [{ OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'a,b' }, 'OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD'],
    [{ OPENAI_BASE_URL_FINANCE_PROD: 'gateway:8080' }, 'OPENAI_BASE_URL_FINANCE_PROD'],
    [{ OPENAI_FINANCE_WORKLOAD: 'finance-dev' }, 'OPENAI_FINANCE_WORKLOAD'],
  ])('rejects %j naming %s', (env, variable) => {
    const workload = 'OPENAI_FINANCE_WORKLOAD' in env ? 'finance' : 'finance-prod';
    let error: unknown;
    try {
      readOpenAiWorkloadEnv(workload, env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OpenAIOpsConfigError);
    expect((error as OpenAIOpsConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(variable);
  });

  it('rejects an unknown workload, listing the valid ones', () => {
    expect(() => readOpenAiWorkloadEnv('marketing' as 'default', fleet)).toThrow(
      /Unknown workload "marketing"; use one of default, finance-prod, finance-staging/,
    );
  });

  it('never prints, serialises or inspects the raw key', () => {
    const config = readOpenAiWorkloadEnv('finance-prod', fleet);
    const renderings = [
      JSON.stringify(config),
      inspect(config, { depth: 5 }),
      String(config.apiKey),
      `${config.apiKey?.toString()}`,
    ];
    for (const text of renderings) {
      expect(text).not.toContain(PROD_KEY);
      expect(text).toContain('sk-…pppp');
    }
    expect(Object.keys(config.apiKey ?? {})).not.toContain('value');
  });
});

describe('resolveFinanceWorkload', () => {
  it('follows NODE_ENV when OPENAI_FINANCE_WORKLOAD is unset', () => {
    expect(resolveFinanceWorkload({ NODE_ENV: 'production' })).toBe('finance-prod');
    expect(resolveFinanceWorkload({ NODE_ENV: 'development' })).toBe('finance-staging');
    expect(resolveFinanceWorkload({})).toBe('finance-staging');
  });

  it('prefers OPENAI_FINANCE_WORKLOAD when it is valid', () => {
    expect(
      resolveFinanceWorkload({
        NODE_ENV: 'production',
        OPENAI_FINANCE_WORKLOAD: 'finance-staging',
      }),
    ).toBe('finance-staging');
    expect(resolveFinanceWorkload({ OPENAI_FINANCE_WORKLOAD: ' finance-prod ' })).toBe(
      'finance-prod',
    );
  });

  it('rejects anything else, naming the variable', () => {
    expect(() => resolveFinanceWorkload({ OPENAI_FINANCE_WORKLOAD: 'prod' })).toThrow(
      /^OPENAI_FINANCE_WORKLOAD must be finance-prod or finance-staging; got "prod"/,
    );
  });
});

describe('resolveWorkloadName', () => {
  it('accepts the three workloads and the finance alias', () => {
    expect(resolveWorkloadName('default', {})).toBe('default');
    expect(resolveWorkloadName('finance-prod', {})).toBe('finance-prod');
    expect(resolveWorkloadName('finance', { NODE_ENV: 'production' })).toBe('finance-prod');
  });
});
