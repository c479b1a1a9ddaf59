/**
 * Properties of workload resolution over arbitrary environments built from the documented
 * variables: it resolves or fails with a configuration error, the key never shows in what
 * it returns or throws, and the precedence rules hold for every combination.
 */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';

import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import { formatTags, mergeTags, parseTagList } from '../../src/openai/tags.js';
import {
  OPENAI_WORKLOADS,
  readOpenAiWorkloadEnv,
  resolveFinanceWorkload,
  workloadVariables,
  type WorkloadName,
} from '../../src/openai/workloads.js';
import { outcomeOf, RUNS, tricky } from './support.js';

const WORKLOAD_NAMES: WorkloadName[] = [...OPENAI_WORKLOADS, 'finance'];

const KEY_VARIABLES = OPENAI_WORKLOADS.map((workload) => workloadVariables(workload).key);
const OTHER_VARIABLES = OPENAI_WORKLOADS.flatMap((workload) => {
  const { org, baseUrl, tags, quotaTag } = workloadVariables(workload);
  return [org, baseUrl, tags, quotaTag];
});
const SWITCHES = [
  'OPENAI_FINANCE_WORKLOAD',
  'NODE_ENV',
  'OPENAI_DEBUG_LOGGING',
  'OPENAI_DEBUG_FETCH_DETAILS',
];

/** Plausible and implausible values for any variable. */
const anyValue = fc.oneof(
  fc.constantFrom('', ' ', 'true', 'FALSE', 'yes', '0', 'maybe', 'production', 'staging'),
  fc.constantFrom('finance-prod', 'finance-staging', 'finance', 'Finance-Prod', 'default'),
  fc.constantFrom('https://proxy.internal/openai/v1/v1/', 'http://127.0.0.1:1', 'not a url'),
  fc.constantFrom('service:rag,env:prod', 'env:staging,', 'env prod', 'k:v,k:w', ':x', 'a:'),
  fc.constantFrom('org-a', ' org-b ', 'org-a\norg-b', 'org\u0000', 'org-“curly”', 'finance-emea'),
  fc.string({ unit: tricky, maxLength: 30 }),
  fc.string({ maxLength: 30 }),
);

function envOf(variables: readonly string[]): fc.Arbitrary<Record<string, string>> {
  const entries = variables.map((name) =>
    fc.option(anyValue, { nil: undefined }).map((v) => [name, v]),
  );
  return fc.tuple(...entries).map((pairs) => {
    const env: Record<string, string> = {};
    for (const [name, value] of pairs) if (value !== undefined) env[name as string] = value;
    return env;
  });
}

/** A random key of a shape that occurs in the wild, long enough never to occur by chance. */
const canaryKey = fc
  .tuple(
    fc.constantFrom('sk-', 'sk-proj-', 'sk-svcacct-', 'canary-', ''),
    fc.stringMatching(/^[0-9a-f]{32}$/),
  )
  .map(([prefix, hex]) => `${prefix}${hex}`);

/** A workload whose resolution reads `variable`. */
function workloadReading(variable: string): WorkloadName {
  if (variable === 'OPENAI_FINANCE_WORKLOAD') return 'finance';
  if (variable.endsWith('_FINANCE_PROD')) return 'finance-prod';
  if (variable.endsWith('_FINANCE_STAGING')) return 'finance-staging';
  return 'default';
}

/** `pino`'s own serialisation, the way a service would log a configuration object. */
function pinoLine(value: unknown): string {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  pino({ level: 'info' }, destination).info({ config: value }, 'configuration');
  return text;
}

function renderings(value: unknown): string[] {
  return [
    JSON.stringify(value),
    inspect(value, { depth: null }),
    inspect(value, { depth: null, showHidden: true, getters: true }),
    String(value),
    pinoLine(value),
  ];
}

describe('readOpenAiWorkloadEnv', () => {
  it('resolves or throws OpenAIOpsConfigError, for any environment and workload name', () => {
    const env = envOf([...KEY_VARIABLES, ...OTHER_VARIABLES, ...SWITCHES]);
    fc.assert(
      fc.property(env, fc.constantFrom(...WORKLOAD_NAMES), (values, workload) => {
        const outcome = outcomeOf(() => readOpenAiWorkloadEnv(workload, values));
        if (!outcome.ok) expect(outcome.error).toBeInstanceOf(OpenAIOpsConfigError);
      }),
      RUNS,
    );
  });

  it('never shows the key in what it returns: JSON, inspect, String, pino', () => {
    const env = envOf([...OTHER_VARIABLES, ...SWITCHES]);
    fc.assert(
      fc.property(
        env,
        canaryKey,
        fc.constantFrom(...KEY_VARIABLES),
        fc.constantFrom(...WORKLOAD_NAMES),
        (values, key, keyVariable, workload) => {
          const outcome = outcomeOf(() =>
            readOpenAiWorkloadEnv(workload, { ...values, [keyVariable]: key }),
          );
          if (!outcome.ok) {
            expect((outcome.error as Error).message).not.toContain(key);
            return;
          }
          for (const text of [...renderings(outcome.value), ...renderings(outcome.value.apiKey)]) {
            expect(text).not.toContain(key);
          }
        },
      ),
      RUNS,
    );
  });

  it('never repeats a key pasted into the wrong variable in its error', () => {
    const env = envOf(SWITCHES.filter((name) => name !== 'OPENAI_FINANCE_WORKLOAD'));
    const skKey = fc
      .tuple(fc.constantFrom('sk-', 'sk-proj-'), fc.stringMatching(/^[A-Za-z0-9_-]{32,48}$/))
      .map(([prefix, body]) => `${prefix}${body}`);
    const wrongPlace = fc.constantFrom(...OTHER_VARIABLES, ...SWITCHES);
    fc.assert(
      fc.property(env, skKey, wrongPlace, (values, key, variable) => {
        const outcome = outcomeOf(() =>
          readOpenAiWorkloadEnv(workloadReading(variable), { ...values, [variable]: key }),
        );
        if (!outcome.ok) {
          expect((outcome.error as Error).message, `pasted into ${variable}`).not.toContain(key);
        }
      }),
      RUNS,
    );
  });

  it('resolves only keys and organizations that can be sent as HTTP headers', () => {
    const messy = fc.oneof(
      fc.constantFrom(
        'org-a\norg-b',
        'org\r\nx-injected: 1',
        'org\u0000',
        '“org-curly”',
        'org\u2028',
      ),
      fc.constantFrom(
        'sk-abc\ndef0123456789',
        'sk-“0123456789abcdef”',
        'sk-abc\u0000def0123456789',
      ),
      fc.string({ unit: tricky, minLength: 1, maxLength: 20 }),
    );
    fc.assert(
      fc.property(messy, fc.constantFrom('OPENAI_API_KEY', 'OPENAI_ORG_ID'), (value, variable) => {
        const env = { OPENAI_API_KEY: 'sk-valid-0123456789abcdef', [variable]: value };
        const outcome = outcomeOf(() => readOpenAiWorkloadEnv('default', env));
        if (!outcome.ok) {
          expect(outcome.error).toBeInstanceOf(OpenAIOpsConfigError);
          expect((outcome.error as OpenAIOpsConfigError).variable).toBe(variable);
          return;
        }
        const config = outcome.value;
        const headers = outcomeOf(() => {
          const sent = new Headers({ authorization: `Bearer ${config.apiKey?.reveal() ?? ''}` });
          if (config.organization !== null) sent.set('openai-organization', config.organization);
          return sent;
        });
        expect(headers.ok, `${variable}=${JSON.stringify(value)} resolved but cannot be sent`).toBe(
          true,
        );
      }),
      RUNS,
    );
  });

  it("uses a finance workload's own variable when set, else the default one", () => {
    // No hyphens: `xn--…` would be an invalid punycode host, which is not what this checks.
    const value = fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/);
    fc.assert(
      fc.property(
        fc.constantFrom<'finance-prod' | 'finance-staging'>('finance-prod', 'finance-staging'),
        fc.option(value, { nil: undefined }),
        fc.option(value, { nil: undefined }),
        (workload, own, fallback) => {
          const names = workloadVariables(workload);
          const env: Record<string, string> = {};
          if (own !== undefined) {
            env[names.org] = `org-${own}`;
            env[names.quotaTag] = own;
            env[names.baseUrl] = `https://${own}.internal`;
            env[names.key] = `sk-own-${own}-0123456789`;
          }
          if (fallback !== undefined) {
            env.OPENAI_ORG_ID = `org-${fallback}`;
            env.OPENAI_REQUEST_QUOTA_TAG = fallback;
            env.OPENAI_BASE_URL = `https://${fallback}.internal`;
            env.OPENAI_API_KEY = `sk-default-${fallback}-0123456789`;
          }
          const config = readOpenAiWorkloadEnv(workload, env);
          const chosen = own ?? fallback;
          expect(config.organization).toBe(chosen === undefined ? null : `org-${chosen}`);
          expect(config.quotaTag).toBe(chosen ?? null);
          expect(config.baseUrl).toBe(
            chosen === undefined ? 'https://api.openai.com/v1' : `https://${chosen}.internal/v1`,
          );
          expect(config.apiKey?.source ?? null).toBe(
            own !== undefined ? names.key : fallback !== undefined ? 'OPENAI_API_KEY' : null,
          );
        },
      ),
      RUNS,
    );
  });

  it('lets finance tags override default tags key by key, then adds the workload tag', () => {
    const tagList = fc
      .array(
        fc.tuple(
          fc.constantFrom('env', 'service', 'team', 'workload', 'region', 'cost.center'),
          fc.stringMatching(/^[a-z0-9:_-]{1,12}$/),
        ),
        { maxLength: 5 },
      )
      .map((entries) => entries.map(([key, value]) => `${key}:${value}`).join(','));
    fc.assert(
      fc.property(
        tagList,
        tagList,
        fc.constantFrom<'finance-prod' | 'finance-staging'>('finance-prod', 'finance-staging'),
        (defaults, finance, workload) => {
          const names = workloadVariables(workload);
          const env = { OPENAI_REQUEST_TAGS: defaults, [names.tags]: finance };
          const expected = mergeTags(
            parseTagList(defaults, 'expected'),
            parseTagList(finance, 'expected'),
            new Map([['workload', workload]]),
          );
          expect(readOpenAiWorkloadEnv(workload, env).tags).toEqual(formatTags(expected));
          expect(readOpenAiWorkloadEnv('default', env).tags).toEqual(
            formatTags(parseTagList(defaults, 'expected')),
          );
        },
      ),
      RUNS,
    );
  });
});

describe('resolveFinanceWorkload', () => {
  it('resolves or throws OpenAIOpsConfigError naming OPENAI_FINANCE_WORKLOAD', () => {
    fc.assert(
      fc.property(envOf(SWITCHES), (env) => {
        const outcome = outcomeOf(() => resolveFinanceWorkload(env));
        if (outcome.ok) {
          expect(['finance-prod', 'finance-staging']).toContain(outcome.value);
          return;
        }
        expect(outcome.error).toBeInstanceOf(OpenAIOpsConfigError);
        expect((outcome.error as OpenAIOpsConfigError).variable).toBe('OPENAI_FINANCE_WORKLOAD');
      }),
      RUNS,
    );
  });

  it('follows OPENAI_FINANCE_WORKLOAD when set, else NODE_ENV', () => {
    fc.assert(
      fc.property(
        envOf(['NODE_ENV']),
        fc.constantFrom('finance-prod', 'finance-staging'),
        (env, chosen) => {
          const fallback =
            env.NODE_ENV?.trim() === 'production' ? 'finance-prod' : 'finance-staging';
          expect(resolveFinanceWorkload(env)).toBe(fallback);
          expect(resolveFinanceWorkload({ ...env, OPENAI_FINANCE_WORKLOAD: ` ${chosen} ` })).toBe(
            chosen,
          );
          expect(readOpenAiWorkloadEnv('finance', env).workload).toBe(fallback);
        },
      ),
      RUNS,
    );
  });
});
