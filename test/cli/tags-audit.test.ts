import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEmbeddedStore } from '../../src/stores/embedded-store.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { DebugEventRow, ReadableEventStore } from '../../src/stores/types.js';
import { cli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeRow } from '../support/rows.js';
import { closedPort } from '../support/ports.js';

const CATALOGUE = fileURLToPath(new URL('./fixtures/tag-catalogue.yaml', import.meta.url));
const INVALID = fileURLToPath(new URL('./fixtures/tag-catalogue-invalid.yaml', import.meta.url));
const HOSTILE_TAG = "team:x');drop_table_openai_debug_events;--";
const DAY_MS = 86_400_000;

interface AuditJson {
  events: number;
  violations: number;
  uncatalogued_tags: { tag: string; problem: string; events: number; workloads: string[] }[];
  unknown_quota_tags: { quota_tag: string; workloads: string[] }[];
  unused_catalogue_entries: { key: string; key_unused: boolean; values: string[] }[];
  unused_quota_tags: string[];
  workloads: { workload: string; events: number; share_without_quota_tag: number }[];
}

let db: TestDatabase;
let store: ReadableEventStore;
let tempDir: string;
let env: Record<string, string>;

/** An event `ageMs` old with exactly these tags and quota tag. */
function row(
  index: number,
  ageMs: number,
  workload: string,
  tags: string[],
  quota: string | null,
): DebugEventRow {
  const createdAt = new Date(Date.now() - ageMs).toISOString();
  return makeRow(index, { createdAt, workload, metadata: { tags, quota_tag: quota } });
}

async function catalogueFile(name: string, text: string): Promise<string> {
  const path = join(tempDir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  db = await createTestDatabase();
  store = createPostgresStore({ url: db.url });
  await store.migrate();
  const hour = 3_600_000;
  await store.writeEvents([
    row(
      1,
      hour,
      'finance-prod',
      ['service:rag', 'env:prod', 'workload:finance-prod', 'status:2xx', 'quota:finance-emea'],
      'finance-emea',
    ),
    row(2, hour, 'finance-prod', ['service:rag', 'env:prod', 'quota:finance-emea'], 'finance-emea'),
    row(3, hour, 'default', ['service:rag', 'env:staging', 'endpoint:/responses'], null),
    row(
      4,
      hour,
      'finance-staging',
      ['service:billing', 'colour:blue', 'env:staging'],
      'finance-latam',
    ),
    row(5, 30 * DAY_MS, 'default', [HOSTILE_TAG, 'service:"rag"', 'no-colon'], "q'; --"),
    row(6, 200 * DAY_MS, 'default', ['legacy:yes'], 'finance-old'),
  ]);
  tempDir = await mkdtemp(join(tmpdir(), 'openai-ops-tags-'));
  env = { OPENAI_OPS_DATABASE_URL: db.url };
});

afterAll(async () => {
  await store.close();
  await db.drop();
  await rm(tempDir, { recursive: true, force: true });
});

describe('openai-ops tags audit', () => {
  it('fails on uncatalogued tags and unknown quota tags, and warns on the rest', async () => {
    const run = await cli(['--json', 'tags', 'audit', '--catalogue', CATALOGUE], env);

    expect(run.code).toBe(1);
    const report = run.json<AuditJson>();
    expect(report.events).toBe(5);
    const problems = Object.fromEntries(report.uncatalogued_tags.map((f) => [f.tag, f.problem]));
    expect(problems).toEqual({
      'service:billing': 'value not catalogued',
      'colour:blue': 'key not catalogued',
      'service:"rag"': 'value not catalogued',
      'no-colon': 'not key:value',
    });
    expect(report.unknown_quota_tags.map((f) => f.quota_tag).sort()).toEqual([
      'finance-latam',
      "q'; --",
    ]);
    expect(report.unused_catalogue_entries).toEqual([
      { key: 'service', key_unused: false, values: ['ledger'] },
    ]);
    expect(report.unused_quota_tags).toEqual(['finance-apac']);
    expect(report.workloads).toEqual([
      { workload: 'default', events: 2, without_quota_tag: 1, share_without_quota_tag: 0.5 },
      { workload: 'finance-prod', events: 2, without_quota_tag: 0, share_without_quota_tag: 0 },
      { workload: 'finance-staging', events: 1, without_quota_tag: 0, share_without_quota_tag: 0 },
    ]);
    expect(report.violations).toBe(6);
    expect(await store.queryEvents({ limit: 100 })).toHaveLength(6);
  });

  it('prints tables a person can act on', async () => {
    const run = await cli(['tags', 'audit', '--catalogue', CATALOGUE], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('4 tag(s) not in the catalogue');
    expect(run.stdout).toMatch(
      /\| colour:blue\s+\| key not catalogued\s+\| 1\s+\| finance-staging/,
    );
    expect(run.stdout).toContain('2 quota tag(s) unknown to billing');
    expect(run.stdout).toContain('quota tags no event used: finance-apac');
    expect(run.stdout).toMatch(/\| default\s+\| 2\s+\| 1\s+\| 50\.0%/);
    expect(run.stdout).toContain(`FAIL: 6 violation(s)`);
    expect(run.stdout).toContain(CATALOGUE);
  });

  it('passes with a catalogue that covers the window, read as JSON', async () => {
    const catalogue = await catalogueFile(
      'permissive.json',
      JSON.stringify({
        tags: { service: ['rag', 'billing'], env: '*', colour: ['blue'] },
        quota_tags: ['finance-emea', 'finance-latam'],
      }),
    );
    const run = await cli(['tags', 'audit', '--catalogue', catalogue, '--since', '7d'], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('tag audit of 4 events');
    expect(run.stdout).toContain('PASS: no violations');
  });

  it('reports a hostile tag verbatim when the window reaches it', async () => {
    const catalogue = await catalogueFile('no-team.yaml', 'tags: {}\nquota_tags: []\n');
    const run = await cli(['--json', 'tags', 'audit', '--catalogue', catalogue], env);

    expect(run.code).toBe(1);
    const tags = run.json<AuditJson>().uncatalogued_tags.map((finding) => finding.tag);
    expect(tags).toContain(HOSTILE_TAG);
    expect(tags).not.toContain('legacy:yes');
    expect(await store.queryEvents({ limit: 100 })).toHaveLength(6);
  });

  it('exits 2 naming the file when the catalogue cannot be read', async () => {
    const missing = join(tempDir, 'missing.yaml');
    const run = await cli(['tags', 'audit', '--catalogue', missing], env);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`tag catalogue ${missing} cannot be read`);
    expect(run.stderr).toContain('ENOENT');
    const directory = await cli(['tags', 'audit', '--catalogue', tempDir], env);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain('cannot be read');
  });

  it('exits 2 with the line of a YAML syntax error', async () => {
    const broken = await catalogueFile('broken.yaml', 'tags:\n  service: [rag\nquota_tags: []\n');
    const run = await cli(['tags', 'audit', '--catalogue', broken], env);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`tag catalogue ${broken} is not valid YAML`);
    expect(run.stderr).toMatch(/line \d+/);
  });

  it('exits 2 listing every problem of an invalid catalogue with its path', async () => {
    const run = await cli(['tags', 'audit', '--catalogue', INVALID], env);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`tag catalogue ${INVALID} is not a valid tag catalogue`);
    for (const line of [
      '- tags.Service: key may only use a-z, 0-9, _, - and .',
      '- tags.env: must be "*" (any value) or a list of allowed values',
      '- tags.team[0]: must be a string',
      '- tags.team[1]: has whitespace, a comma or a control character',
      '- tags.region: is an empty list',
      '- quota_tags: lists a quota tag twice',
      '- (top level): unknown key "owner"',
    ]) {
      expect(run.stderr).toContain(line);
    }
  });

  it('exits 2 on bad usage', async () => {
    expect((await cli(['tags', 'audit'], env)).code).toBe(2);
    const run = await cli(['tags', 'audit', '--catalogue', CATALOGUE, '--since', 'forever'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--since must be a number and a unit');
  });

  it('reports a store that is down without a stack trace', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`;
    const run = await cli(['tags', 'audit', '--catalogue', CATALOGUE], {
      OPENAI_OPS_DATABASE_URL: url,
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read the postgres store at .*ECONNREFUSED/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('audits the embedded store', async () => {
    const dataDir = join(tempDir, 'embedded');
    const embedded = createEmbeddedStore({ dataDir });
    await embedded.writeEvents([
      row(11, 60_000, 'finance-prod', ['service:ledger', 'env:prod', 'team:ops'], 'finance-emea'),
      row(12, 60_000, 'finance-prod', ['service:rag', 'env:staging'], 'finance-apac'),
    ]);
    await embedded.close();

    const run = await cli(['--json', 'tags', 'audit', '--catalogue', CATALOGUE], {
      OPENAI_OPS_DATA_DIR: dataDir,
    });
    expect(run.code).toBe(0);
    const report = run.json<AuditJson>();
    expect(report).toMatchObject({ events: 2, violations: 0, unused_quota_tags: [] });
  }, 60_000); // A fresh embedded store runs initdb in WebAssembly: seconds, not milliseconds.
});
