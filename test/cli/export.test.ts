import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { IncidentBundle } from '../../src/cli/incident-bundle.js';
import { flushOpenAIEvents } from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { createEmbeddedStore } from '../../src/stores/embedded-store.js';
import type { DebugEventRow } from '../../src/stores/types.js';
import {
  DEFAULT_KEY,
  PROD_KEY,
  STAGING_KEY,
  startHarness,
  type Harness,
} from '../support/pipeline.js';
import { makeRow } from '../support/rows.js';
import { cli, type CliRun } from '../support/cli.js';
import { closedPort } from '../support/ports.js';

const HOSTILE_ID = "req_'; drop table openai_debug_events; --|`x`";

let harness: Harness;
let outDir: string;
let env: Record<string, string>;
/** The two attempts of a call that succeeded on its retry, oldest first. */
let retried: DebugEventRow[];
/** The two attempts of a call that failed on every attempt. */
let failed: DebugEventRow[];

function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) {
    for (const key of [DEFAULT_KEY, PROD_KEY, STAGING_KEY]) expect(text).not.toContain(key);
    expect(text).not.toMatch(/Bearer [A-Za-z0-9]/);
  }
}

function bundleOf(run: CliRun): IncidentBundle {
  expect(run.code).toBe(0);
  return run.json<IncidentBundle>();
}

async function seedCall(status: number, succeeds: boolean): Promise<DebugEventRow[]> {
  const client = getOpenAIClientForWorkload('finance-prod', {
    env: { ...harness.env, OPENAI_DEBUG_FETCH_DETAILS: 'true' },
    maxRetries: 1,
  });
  harness.sim.injectFault({ path: '/v1/embeddings', times: succeeds ? 1 : 2, fault: { status } });
  const call = client.embeddings.create({ model: 'text-embedding-3-small', input: 'invoice 42' });
  await (succeeds ? call : call.catch(() => undefined));
  await flushOpenAIEvents();
  return (await harness.rows()).slice(-2);
}

beforeAll(async () => {
  harness = await startHarness();
  harness.startRecording();
  retried = await seedCall(503, true);
  failed = await seedCall(500, false);
  await harness.reader.writeEvents([
    makeRow(1, {
      requestId: HOSTILE_ID,
      statusCode: 401,
      statusClass: '4xx',
      errorType: 'invalid_api_key',
      errorMessage: `Incorrect API key provided: ${PROD_KEY}; sent Bearer ${STAGING_KEY}`,
      debug: { authorization: 'Basic c2VjcmV0', response: { status_code: 401, refusal: null } },
    }),
  ]);
  outDir = await mkdtemp(join(tmpdir(), 'openai-ops-export-'));
  env = { ...harness.env, OPENAI_OPS_DATABASE_URL: harness.db.url };
});

afterAll(async () => {
  await harness.close();
  await rm(outDir, { recursive: true, force: true });
});

describe('openai-ops export', () => {
  it('bundles every attempt of a retried call, found from any attempt', async () => {
    const [first, second] = retried;
    const bundle = bundleOf(await cli(['--json', 'export', first?.requestId ?? ''], env));

    expect(bundle.request_id).toBe(first?.requestId);
    expect(bundle.attempts.map((attempt) => [attempt.attempt, attempt.status_code])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    expect(bundle.attempts[1]?.request_id).toBe(second?.requestId);
    expect(bundle).toMatchObject({
      workload: 'finance-prod',
      organization: 'org-finance',
      endpoint: '/embeddings',
      model: 'text-embedding-3-small',
      status: '2xx',
      status_code: 200,
      quota_tag: 'finance-emea',
      attempts_complete: true,
      debug_request_id: first?.requestId,
    });
    expect(bundle.tags).toEqual(first?.metadata.tags);
    expect(bundle.tags).toContain('quota:finance-emea');
    expect(bundle.debug).toMatchObject({ response: { status_code: 503 } });
    expect(bundle.attempts[0]?.key_fingerprint).toBe('sk-…prod');
    expect(bundle.summary).toMatch(
      /succeeded with HTTP 200 in [\d.]+ ms on attempt 2, after 1 earlier attempt$/,
    );

    const steps = bundle.timeline.map((entry) => entry.what);
    expect(steps[0]).toMatch(/^attempt 1 sent as req_/);
    expect(steps.some((what) => /attempt 2 \(retry\) sent/.test(what))).toBe(true);
    expect(steps.at(-1)).toMatch(/attempt 2 \(retry\) completed/);
    const times = bundle.timeline.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('prints a Markdown summary of a failed call for a ticket', async () => {
    const last = failed[1];
    const run = await cli(['export', last?.requestId ?? ''], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`# Incident export: \`${last?.requestId}\``);
    expect(run.stdout).toMatch(/failed with HTTP 500 .* on attempt 2, after 1 earlier attempt/);
    expect(run.stdout).toContain('| Quota tag | `finance-emea` |');
    expect(run.stdout).toContain('| Workload | `finance-prod` |');
    expect(run.stdout).toMatch(/\| 1 \| `req_\w+` \| `[^`]+` \| 500 \|/);
    expect(run.stdout).toContain('`workload:finance-prod`');
    expect(run.stdout).toContain('Status code reported: 500.');
    expectNoSecrets(run.stdout, run.stderr);
  });

  it('writes the JSON bundle and the Markdown beside it with --out', async () => {
    const out = join(outDir, 'incident.json');
    const run = await cli(['export', retried[1]?.requestId ?? '', '--out', out], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${out} and ${join(outDir, 'incident.md')}`);
    const bundle = JSON.parse(await readFile(out, 'utf8')) as IncidentBundle;
    expect(bundle.attempts).toHaveLength(2);
    const markdown = await readFile(join(outDir, 'incident.md'), 'utf8');
    expect(markdown).toContain('## Attempts');
    expect(markdown).toContain('## Timeline');
  });

  it('redacts keys and tokens and keeps a hostile request id inert', async () => {
    const out = join(outDir, 'hostile');
    const run = await cli(['export', HOSTILE_ID, '--out', out], env);

    expect(run.code).toBe(0);
    const json = await readFile(out, 'utf8');
    const markdown = await readFile(`${out}.md`, 'utf8');
    expectNoSecrets(json, markdown, run.stdout, run.stderr);
    const bundle = JSON.parse(json) as IncidentBundle;
    expect(bundle.request_id).toBe(HOSTILE_ID);
    expect(bundle.error?.message).toBe(
      'Incorrect API key provided: [REDACTED]; sent Bearer [REDACTED]',
    );
    expect(bundle.debug).toEqual({
      authorization: '[REDACTED]',
      response: { status_code: 401, refusal: null },
    });
    expect(markdown).toContain(
      "# Incident export: `` req_'; drop table openai_debug_events; --|`x` ``",
    );
    expect(markdown).toContain(
      "| Request id | `` req_'; drop table openai_debug_events; --\\|`x` `` |",
    );

    expect(await harness.reader.queryEvents({ requestId: HOSTILE_ID })).toHaveLength(1);
  });

  it('says where it looked when no event has the request id', async () => {
    const run = await cli(['export', "req_missing' or '1'='1"], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`no event with request id "req_missing' or '1'='1"`);
    expect(run.stderr).toContain(`/${harness.db.name}`);
    expect(run.stderr).toContain('OPENAI_DEBUG_LOGGING');
  });

  it('rejects an empty request id and a Markdown file name for --out', async () => {
    expect((await cli(['export', '  '], env)).code).toBe(2);
    const run = await cli(['export', 'req_x', '--out', join(outDir, 'x.md')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('x.json');
  });

  it('reports a store that is down without a stack trace', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`;
    const run = await cli(['export', 'req_x'], { OPENAI_OPS_DATABASE_URL: url });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /cannot read the postgres store at postgres:\/\/postgres@127\.0\.0\.1/,
    );
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).toContain('OPENAI_OPS_DATABASE_URL');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('exports from the embedded store', async () => {
    const dataDir = join(outDir, 'embedded');
    const store = createEmbeddedStore({ dataDir });
    await store.writeEvents([makeRow(7, { requestId: 'req_embedded_1' })]);
    await store.close();

    const run = await cli(['--json', 'export', 'req_embedded_1'], {
      OPENAI_OPS_DATA_DIR: dataDir,
    });
    const bundle = bundleOf(run);
    expect(bundle.attempts).toHaveLength(1);
    expect(bundle.quota_tag).toBe('finance-emea');
    expect(bundle.notes.join(' ')).toMatch(/no client request id/);
  }, 60_000); // A fresh embedded store runs initdb in WebAssembly: seconds, not milliseconds.
});
