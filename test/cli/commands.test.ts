import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import type { DebugEventRow } from '../../src/stores/types.js';
import { cli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const KEY = 'sk-cli-test-key-00000000000000ckey';
const FINANCE_KEY = 'sk-cli-finance-key-0000000000fkey';

let db: TestDatabase;
let sim: Simulator;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator();
  dataDir = mkdtempSync(join(tmpdir(), 'openai-ops-cli-'));
  env = {
    OPENAI_OPS_DATABASE_URL: db.url,
    OPENAI_OPS_DATA_DIR: dataDir,
    OPENAI_OPS_LOG_LEVEL: 'silent',
    OPENAI_API_KEY: KEY,
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_REQUEST_TAGS: 'service:rag,env:staging',
    OPENAI_API_KEY_FINANCE_PROD: FINANCE_KEY,
    OPENAI_ORG_ID_FINANCE_PROD: 'org-finance',
    OPENAI_REQUEST_TAGS_FINANCE_PROD: 'env:prod',
    OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'finance-emea',
  };
});

afterAll(async () => {
  await sim.close();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('openai-ops env', () => {
  it('shows each workload with a key fingerprint, never the key', async () => {
    const run = await cli(['--json', 'env'], env);
    expect(run.code).toBe(0);
    const report = run.json<{ workloads: { workload: string; keyFingerprint: string }[] }>();
    expect(report.workloads.map((workload) => workload.workload)).toEqual([
      'default',
      'finance-prod',
      'finance-staging',
    ]);
    expect(report.workloads[1]).toMatchObject({
      keyFingerprint: 'sk-…fkey',
      keySource: 'OPENAI_API_KEY_FINANCE_PROD',
      organization: 'org-finance',
      tags: ['service:rag', 'env:prod', 'workload:finance-prod'],
      quotaTag: 'finance-emea',
    });
    const human = await cli(['env'], env);
    for (const text of [run.stdout, human.stdout, human.stderr]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(FINANCE_KEY);
    }
    expect(human.stdout).toContain('sk-…fkey from OPENAI_API_KEY_FINANCE_PROD');
  });

  it('lists each problem with its fix and exits 1 when a key is missing', async () => {
    const run = await cli(['env', '--workload', 'default'], { OPENAI_OPS_DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('no API key for default');
    expect(run.stdout).toContain('fix: set OPENAI_API_KEY');
    expect(run.stdout).toContain('fix: set OPENAI_DEBUG_LOGGING=true');
  });

  it('exits 2 naming the variable for malformed configuration', async () => {
    const run = await cli(['env'], { ...env, OPENAI_REQUEST_TAGS_FINANCE_PROD: 'env prod' });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('OPENAI_REQUEST_TAGS_FINANCE_PROD');
    expect(run.stdout).toContain('"env prod"');
  });

  it('exits 2 for an unknown workload', async () => {
    const run = await cli(['env', '--workload', 'marketing'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown workload "marketing"/);
  });
});

describe('openai-ops validate and events', () => {
  it('validates every kind on a finance workload and reads the events back', async () => {
    const run = await cli(['--json', 'validate', '--workload', 'finance-prod'], {
      ...env,
      OPENAI_DEBUG_FETCH_DETAILS: 'true',
    });
    expect(run.code).toBe(0);
    const report = run.json<{ results: { kind: string; ok: boolean; checks: unknown[] }[] }>();
    expect(report.results.map((result) => [result.kind, result.ok])).toEqual([
      ['embedding', true],
      ['response', true],
      ['realtime', true],
      ['video', true],
    ]);
    expect(run.stdout).not.toContain(FINANCE_KEY);

    const events = await cli(
      ['--json', 'events', '--workload', 'finance-prod', '--limit', '4'],
      env,
    );
    expect(events.code).toBe(0);
    const rows = events.json<DebugEventRow[]>();
    expect(rows.map((row) => row.endpoint)).toEqual([
      '/videos',
      '/realtime/client_secrets',
      '/responses',
      '/embeddings',
    ]);
    expect(rows.every((row) => row.metadata.quota_tag === 'finance-emea')).toBe(true);
    expect(rows.every((row) => row.metadata.tags.includes('workload:finance-prod'))).toBe(true);
    expect(rows[0]?.debug).toMatchObject({ response: { status_code: 200 } });
  });

  it('fails the checklist when the API rejects the key', async () => {
    const strict = await startSimulator({ keys: [{ key: 'sk-the-only-valid-key-000000' }] });
    try {
      const run = await cli(['validate', '--kinds', 'embedding'], {
        ...env,
        OPENAI_BASE_URL: strict.baseURL,
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/FAIL embedding/);
      expect(run.stdout).toMatch(/Incorrect API key/);
    } finally {
      await strict.close();
    }
  });

  it('filters events by tag, status, endpoint and time', async () => {
    const byTag = await cli(['--json', 'events', '--tag', 'env:prod', '--since', '1h'], env);
    expect(byTag.json<DebugEventRow[]>().length).toBeGreaterThanOrEqual(4);
    const failures = await cli(['--json', 'events', '--status', '4xx'], env);
    const failed = failures.json<DebugEventRow[]>();
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.every((row) => row.statusClass === '4xx')).toBe(true);
    const embeddings = await cli(['--json', 'events', '--endpoint', '/embeddings'], env);
    expect(embeddings.json<DebugEventRow[]>().every((row) => row.endpoint === '/embeddings')).toBe(
      true,
    );
    const hostile = await cli(['--json', 'events', '--tag', "env:x'or'1'='1"], env);
    expect(hostile.code).toBe(0);
    expect(hostile.json<DebugEventRow[]>()).toEqual([]);
  });

  it('rejects bad filters with exit code 2', async () => {
    for (const args of [
      ['events', '--since', 'yesterday'],
      ['events', '--tag', 'no-colon'],
      ['events', '--status', '7xx'],
      ['events', '--limit', '0'],
      ['validate', '--kinds', 'embedding,telepathy'],
    ]) {
      const run = await cli(args, env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/openai-ops: /);
    }
  });

  it('reports an unreachable store clearly, without a stack trace', async () => {
    const run = await cli(['events'], {
      ...env,
      OPENAI_OPS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none?connect_timeout=2',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /cannot read the postgres store at postgres:\/\/postgres@127.0.0.1:1/,
    );
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('openai-ops on the embedded store', () => {
  it('migrates twice, validates with the simulator and lists the events', async () => {
    const embedded = { ...env, OPENAI_OPS_DATABASE_URL: undefined };
    expect((await cli(['migrate'], embedded)).code).toBe(0);
    expect((await cli(['migrate'], embedded)).code).toBe(0);
    const run = await cli(['validate', '--simulate', '--kinds', 'embedding,video'], {
      ...embedded,
      OPENAI_API_KEY: undefined,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('PASS embedding');
    const events = await cli(['--json', 'events'], embedded);
    expect(events.json<DebugEventRow[]>().map((row) => row.endpoint)).toEqual([
      '/videos',
      '/embeddings',
    ]);
  });
});

describe('openai-ops start', () => {
  it('rehearses both workloads and shows the runbook query', async () => {
    const home = mkdtempSync(join(tmpdir(), 'openai-ops-start-'));
    try {
      const run = await cli(['start'], {
        OPENAI_OPS_DATA_DIR: home,
        OPENAI_OPS_LOG_LEVEL: 'silent',
      });
      expect(run.code).toBe(0);
      expect(run.stdout.match(/PASS/g)).toHaveLength(8);
      expect(run.stdout).toContain('quota:finance-rehearsal');
      expect(run.stdout).toMatch(/request_id\s+\|\s+endpoint\s+\|\s+tags\s+\|\s+quota_tag/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('openai-ops env and the spool', () => {
  it('reports spooled events waiting and a spool directory that cannot be written', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'openai-ops-env-spool-'));
    try {
      writeFileSync(join(spoolDir, '20260101T000000000Z-1-000001.ndjson'), '{"a":1}\n');
      const waiting = await cli(['--json', 'env'], { ...env, OPENAI_OPS_SPOOL_DIR: spoolDir });
      expect(waiting.code).toBe(0);
      expect(waiting.json<{ spool: unknown }>().spool).toMatchObject({
        dir: spoolDir,
        writable: true,
        segments: 1,
        bytes: 8,
      });
      const blocked = join(spoolDir, '20260101T000000000Z-1-000001.ndjson', 'spool');
      const broken = await cli(['env'], { ...env, OPENAI_OPS_SPOOL_DIR: blocked });
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain(`the spool directory ${blocked} is not writable`);
      expect(broken.stdout).toContain('fix: free space or fix permissions');
    } finally {
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
