/**
 * Hostile values in tags, CLI filters, export ids and tag catalogues: each is either
 * rejected with a clear message (exit code 2) or stored and queried inertly: the table is
 * still there, no other row changed, and the value comes back exactly as it went in. The
 * read-only SQL path refuses writes and scripts.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import {
  configureOpenAIEvents,
  flushOpenAIEvents,
  shutdownOpenAIEvents,
} from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { runInCallScope } from '../../src/openai/scope.js';
import { readOpenAiWorkloadEnv } from '../../src/openai/workloads.js';
import { createEmbeddedStore } from '../../src/stores/embedded-store.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { DebugEventRow, ReadableEventStore } from '../../src/stores/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { cli, type CliRun } from '../support/cli.js';
import { captureLogs } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeRows } from '../support/rows.js';
import { eventCounter, type EventCounter } from './support.js';

const KEY = 'sk-hostile-test-key-000000000000host';

/** Values an attacker or a careless script would put in a tag, a filter or an id. */
const HOSTILE: Record<string, string> = {
  quotes: `it's"quoted"`,
  'sql with spaces': `'; drop table openai_debug_events; --`,
  'sql without spaces': `';drop/**/table/**/openai_debug_events;--`,
  placeholder: '$1',
  'numbered placeholders': '$1$2::text',
  backslashes: 'a\\b\\\\c\\',
  nul: 'a\u0000b',
  '100k characters': 'x'.repeat(100_000),
  unicode: 'ünï€ødé-日本語',
  'right-to-left override': '\u202eevil\u202c',
  emoji: '🔥👩‍👩‍👧',
  'json object': '{"a":{"b":null}}',
  'json with comma': '{"a":1,"b":2}',
  'json closing': '"]}',
  'jsonb containment': `@>'["x"]'`,
  'lone surrogate': 'x\ud800y',
  'format string': '%s%n%x%d',
  'terminal escape': '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007',
  'crlf injection': 'a\r\nx-injected: 1',
  'proto key': '__proto__',
};

/** Longest error message that still reads as a message rather than an echo of the input. */
const MAX_MESSAGE = 1_000;

let sim: Simulator;
let db: TestDatabase;
let reader: ReadableEventStore;
let root: string;
let env: Record<string, string>;
let openai: OpenAI;
let catalogue: string;
let counter: EventCounter;

/** Rows in `openai_debug_events`, or null once the table is gone. */
const eventCount = (): Promise<number | null> => counter.count();

beforeAll(async () => {
  sim = await startSimulator();
  db = await createTestDatabase('openai_ops_hostile');
  reader = createPostgresStore({ url: db.url });
  await reader.migrate();
  counter = eventCounter(db.url);
  await reader.writeEvents(makeRows(5));
  root = mkdtempSync(join(tmpdir(), 'openai-ops-hostile-'));
  catalogue = join(root, 'catalogue.yaml');
  writeFileSync(catalogue, 'tags:\n  service: [rag]\nquota_tags: []\n');
  env = {
    OPENAI_API_KEY: KEY,
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_REQUEST_TAGS: 'service:rag',
    OPENAI_DEBUG_LOGGING: 'true',
    OPENAI_OPS_DATABASE_URL: db.url,
    OPENAI_OPS_DATA_DIR: join(root, 'data'),
    OPENAI_OPS_LOG_LEVEL: 'silent',
  };
  openai = getOpenAIClientForWorkload('default', { env, maxRetries: 0 });
  await shutdownOpenAIEvents();
  configureOpenAIEvents({
    env,
    logger: captureLogs().logger,
    openStore: () => Promise.resolve(createPostgresStore({ url: db.url })),
    settings: { spoolDir: join(root, 'spool'), flushIntervalMs: 10 },
  });
});

afterAll(async () => {
  await shutdownOpenAIEvents();
  await reader.close();
  await counter.close();
  await sim.close();
  await db.drop();
  rmSync(root, { recursive: true, force: true });
});

/** Control characters other than the tab and newline that plain output is made of. */
function hasControlCharacters(text: string): boolean {
  return /\p{Cc}/u.test(text.replace(/[\t\n]/g, ''));
}

/** Sends one request and returns its stored event. */
async function sendOne(client: OpenAI, send = () => embed(client)): Promise<DebugEventRow> {
  const before = await eventCount();
  const result = await send();
  await flushOpenAIEvents();
  const rows = await reader.queryEvents({ requestId: result._request_id ?? 'missing' });
  expect(rows).toHaveLength(1);
  expect(await eventCount()).toBe((before ?? 0) + 1);
  return rows[0] as DebugEventRow;
}

function embed(client: OpenAI) {
  return client.embeddings.create({ model: 'text-embedding-3-small', input: 'hostile' });
}

/** What is wrong with a CLI run that should have been refused with exit code 2. */
function refusalProblems(run: CliRun, mustName: string): string[] {
  const problems: string[] = [];
  if (run.code !== 2) problems.push(`exit code ${run.code}, not 2`);
  const message = run.stderr + run.stdout;
  if (!message.includes(mustName)) problems.push(`message does not name ${mustName}`);
  if (/cannot read the \w+ store/.test(message)) problems.push('message blames the store');
  if (message.length > MAX_MESSAGE) problems.push(`message is ${message.length} characters long`);
  if (/\n\s+at /.test(message)) problems.push('message has a stack trace');
  return problems;
}

/** Checks that `tag` can be found again with `events --tag` and `tags audit`, exactly. */
async function expectQueriedInertly(tag: string, requestId: string): Promise<void> {
  const before = await eventCount();
  const found = await cli(['--json', 'events', '--tag', tag, '--limit', '10000'], env);
  expect(found.code, found.stderr).toBe(0);
  expect(found.json<DebugEventRow[]>().map((row) => row.requestId)).toEqual([requestId]);
  const audit = await cli(['--json', 'tags', 'audit', '--catalogue', catalogue], env);
  const findings = audit.json<{ uncatalogued_tags: { tag: string }[] }>();
  expect(findings.uncatalogued_tags.map((row) => row.tag)).toContain(tag);
  expect(await eventCount()).toBe(before);
}

describe('hostile tag values', () => {
  it.each(Object.entries(HOSTILE))('OPENAI_REQUEST_TAGS hx:<%s>', async (_name, value) => {
    const tags = `service:rag,hx:${value}`;
    const hostileEnv = { ...env, OPENAI_REQUEST_TAGS: tags };
    let accepted = true;
    try {
      readOpenAiWorkloadEnv('default', hostileEnv);
    } catch (error) {
      accepted = false;
      expect(error).toBeInstanceOf(OpenAIOpsConfigError);
      expect((error as OpenAIOpsConfigError).variable).toBe('OPENAI_REQUEST_TAGS');
      expect((error as Error).message.length).toBeLessThan(MAX_MESSAGE);
      const shown = await cli(['env', '--workload', 'default'], hostileEnv);
      expect(shown.code).toBe(2);
      expect(shown.stdout).toContain('OPENAI_REQUEST_TAGS');
      expect(hasControlCharacters(shown.stdout)).toBe(false);
    }
    if (!accepted) return;

    const client = getOpenAIClientForWorkload('default', { env: hostileEnv, maxRetries: 0 });
    const event = await sendOne(client);
    expect(event.metadata.tags).toContain(`hx:${value}`);
    await expectQueriedInertly(`hx:${value}`, event.requestId);
  });

  it.each(Object.entries(HOSTILE))('per-call tag and quota tag <%s>', async (_name, value) => {
    const before = await eventCount();
    let event: DebugEventRow;
    try {
      event = await sendOne(openai, () =>
        runInCallScope({ tags: { hc: value }, quotaTag: `q-${value}` }, () => embed(openai)),
      );
    } catch (error) {
      expect(error).toBeInstanceOf(OpenAIOpsConfigError);
      expect(['tags', 'quotaTag']).toContain((error as OpenAIOpsConfigError).variable);
      expect((error as Error).message.length).toBeLessThan(MAX_MESSAGE);
      expect(await eventCount()).toBe(before);
      return;
    }
    expect(event.metadata.tags).toContain(`hc:${value}`);
    expect(event.metadata.quota_tag).toBe(`q-${value}`);
    expect(event.metadata.tags).toContain(`quota:q-${value}`);
    await expectQueriedInertly(`hc:${value}`, event.requestId);
  });

  it('keeps terminal escapes in stored values out of every human-readable output', async () => {
    const model = `gpt-4o-mini${HOSTILE['terminal escape'] ?? ''}\u001b[2J`;
    await openai.embeddings.create({ model, input: 'x' }).catch(() => undefined);
    await flushOpenAIEvents();
    const [event] = await reader.queryEvents({ model, limit: 1 });
    expect(event?.model).toBe(model);
    const outputs: [string, CliRun][] = [
      ['events', await cli(['events', '--limit', '3'], env)],
      ['events --model', await cli(['events', '--model', model], env)],
      ['export', await cli(['export', event?.requestId ?? 'missing'], env)],
      ['tags audit', await cli(['tags', 'audit', '--catalogue', catalogue], env)],
    ];
    const escaped = outputs
      .filter(([, run]) => hasControlCharacters(run.stdout + run.stderr))
      .map(([name]) => name);
    expect(escaped).toEqual([]);
  });
});

describe('hostile CLI filters', () => {
  const filters: [option: string, args: (value: string) => string[], name: string][] = [
    ['--tag', (value) => ['events', '--tag', `hx:${value}`], '--tag'],
    ['--endpoint', (value) => ['events', '--endpoint', value], '--endpoint'],
    ['--model', (value) => ['events', '--model', value], '--model'],
    ['--workload', (value) => ['events', '--workload', value], 'workload'],
    ['export <request-id>', (value) => ['export', value], 'request id'],
  ];

  it.each(filters)('%s refuses or matches inertly', async (_option, args, name) => {
    const problems: string[] = [];
    for (const [label, value] of Object.entries(HOSTILE)) {
      const before = await eventCount();
      const run = await cli(['--json', ...args(value)], env);
      const after = await eventCount();
      if (after !== before) problems.push(`${label}: row count ${before} → ${after}`);
      if (run.code === 2) {
        problems.push(...refusalProblems(run, name).map((problem) => `${label}: ${problem}`));
      } else if (run.code === 0 && args(value)[0] === 'events') {
        const rows = run.json<DebugEventRow[]>();
        const field = args(value)[1];
        const wrong = rows.filter(
          (row) =>
            (field === '--tag' && !row.metadata.tags.includes(`hx:${value}`)) ||
            (field === '--endpoint' && row.endpoint !== value) ||
            (field === '--model' && row.model !== value),
        );
        if (wrong.length > 0) problems.push(`${label}: ${wrong.length} rows do not match`);
      } else if (run.code === 1 && args(value)[0] === 'export') {
        if (run.stderr.length > MAX_MESSAGE) {
          problems.push(`${label}: "no event" message is ${run.stderr.length} characters long`);
        }
      } else if (run.code !== 0) {
        problems.push(`${label}: exit code ${run.code}: ${run.stderr.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('--since refuses durations no date can hold, naming the option', async () => {
    const problems: string[] = [];
    for (const since of ['99999999999999w', '9007199254740993s', '١٢h', '-1h', '1e3d']) {
      const run = await cli(['events', '--since', since], env);
      problems.push(...refusalProblems(run, '--since').map((problem) => `${since}: ${problem}`));
    }
    expect(problems).toEqual([]);
  });

  it('export --out does not write through a planted symlink beside it', async () => {
    const [row] = await reader.queryEvents({ limit: 1 });
    const dir = mkdtempSync(join(root, 'out-'));
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'do not overwrite\n');
    symlinkSync(victim, join(dir, 'incident.md'));
    const run = await cli(
      ['export', row?.requestId ?? 'missing', '--out', join(dir, 'incident.json')],
      env,
    );
    expect([0, 2]).toContain(run.code);
    expect(readFileSync(victim, 'utf8')).toBe('do not overwrite\n');
  });
});

describe('hostile tag catalogues', () => {
  const nested = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
  const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (const [name, from] of [
    ['b', 'a'],
    ['c', 'b'],
    ['d', 'c'],
    ['e', 'd'],
    ['f', 'e'],
  ]) {
    laughs.push(`${name}: &${name} [${Array(9).fill(`*${from}`).join(', ')}]`);
  }
  const catalogues: Record<string, [file: string, text: string]> = {
    'sql and placeholders': [
      'sql.yaml',
      `tags:\n  service: ["';drop/**/table/**/openai_debug_events;--", "$1", 'it''s']\nquota_tags: ["\\\\"]\n`,
    ],
    'unicode, emoji and rtl': [
      'u.yaml',
      'tags:\n  k: ["\u202eevil", "🔥", "日本"]\nquota_tags: []\n',
    ],
    'nul in a value': ['nul.yaml', 'tags:\n  k: ["a\\0b"]\nquota_tags: []\n'],
    'escape in a value': ['esc.yaml', 'tags:\n  k: ["a\\eb"]\nquota_tags: []\n'],
    '100k-character value': [
      'long.yaml',
      `tags:\n  k: ["${'v'.repeat(100_000)}"]\nquota_tags: []\n`,
    ],
    '100k-character key': [
      'longkey.json',
      `{"tags": {"${'k'.repeat(100_000)}": "*"}, "quota_tags": []}`,
    ],
    'billion laughs': ['laughs.yaml', `${laughs.join('\n')}\ntags: {}\nquota_tags: *f\n`],
    'deep nesting': ['deep.yaml', `tags: {}\nquota_tags: ${nested}\n`],
    'deep nesting, json': ['deep.json', `{"tags": {}, "quota_tags": ${nested}}`],
    'duplicate keys': ['dup.yaml', 'tags:\n  k: "*"\n  k: [x]\nquota_tags: []\n'],
    'json fragment': ['frag.json', '{"tags": {"k": ["x"]}, "quota_tags": ["a"'],
    binary: ['bin.yaml', '\u0000\u0001\u00ff\ufffe garbage'],
  };

  it.each(Object.entries(catalogues))(
    '%s: audits or is refused clearly',
    async (_name, [file, text]) => {
      const path = join(root, file);
      writeFileSync(path, text);
      const before = await eventCount();
      const run = await cli(['--json', 'tags', 'audit', '--catalogue', path], env);
      expect(await eventCount()).toBe(before);
      if (run.code === 2) {
        expect(refusalProblems(run, `tag catalogue ${path}`)).toEqual([]);
        return;
      }
      expect([0, 1]).toContain(run.code);
      expect(run.json<{ events: number }>().events).toBe(before);
    },
  );

  it('reserves the __proto__ tag key everywhere instead of dropping it somewhere', async () => {
    expect(() =>
      // An own property named __proto__, as JSON.parse or Object.fromEntries would give it.
      runInCallScope({ tags: Object.fromEntries([['__proto__', 'x']]) }, () => undefined),
    ).toThrow(/reserved key __proto__/);
    for (const [file, text] of [
      ['proto.yaml', 'tags:\n  service: [rag]\n  __proto__: "*"\nquota_tags: []\n'],
      ['proto.json', '{"tags": {"service": ["rag"], "__proto__": "*"}, "quota_tags": []}'],
    ] as const) {
      const path = join(root, file);
      writeFileSync(path, text);
      const run = await cli(['tags', 'audit', '--catalogue', path], env);
      expect(run.code, file).toBe(2);
      expect(run.stderr, file).toMatch(/reserved key __proto__/);
    }
  });
});

describe('the read-only SQL path, store.sql()', () => {
  const refused = [
    'select 1; drop table openai_debug_events',
    'commit; delete from openai_debug_events',
    'rollback; truncate openai_debug_events',
    'select 1; commit; delete from openai_debug_events',
    'delete from openai_debug_events',
    "update openai_debug_events set model = 'pwned'",
    'insert into openai_debug_events (request_id, attempt) values ($$x$$, 1)',
    'drop table openai_debug_events',
    'truncate openai_debug_events',
    'create table pwned (x int)',
    'alter table openai_debug_events add column pwned int',
    'with gone as (delete from openai_debug_events returning 1) select count(*) from gone',
    'do $$ begin delete from openai_debug_events; end $$',
    'do $$ begin set transaction read write; delete from openai_debug_events; end $$',
    "select set_config('transaction_read_only', 'off', false)",
    "select nextval(pg_get_serial_sequence('openai_debug_events', 'id'))",
  ];

  async function expectReadOnly(store: ReadableEventStore, count: () => Promise<number | null>) {
    const before = await count();
    const accepted: string[] = [];
    for (const statement of refused) {
      const outcome = await store.sql(statement).then(
        () => 'accepted',
        (error: unknown) => (error instanceof Error ? 'refused' : 'threw a non-error'),
      );
      if (outcome !== 'refused') accepted.push(`${outcome}: ${statement}`);
      expect(await count(), statement).toBe(before);
    }
    expect(accepted).toEqual([]);
    expect(
      await store.sql(
        '-- the runbook query, as pasted\nselect count(*) as n from openai_debug_events;',
      ),
    ).toEqual([{ n: expect.anything() as unknown }]);
  }

  it('refuses writes and scripts on the Postgres store', async () => {
    await expectReadOnly(reader, () => eventCount());
  });

  it('refuses writes and scripts on the embedded store', async () => {
    const store = createEmbeddedStore({ dataDir: join(root, 'embedded') });
    try {
      await store.migrate();
      await store.writeEvents(makeRows(3));
      await expectReadOnly(store, async () => {
        const [row] = await store.queryEvents({ limit: 10_000 }).then((rows) => [rows.length]);
        return row ?? null;
      });
    } finally {
      await store.close();
    }
  });

  it('refuses to write files on the database server', async () => {
    // The server runs as another user: the folder must be writable for the attempt to count.
    const dir = mkdtempSync(join(tmpdir(), 'openai-ops-copy-'));
    chmodSync(dir, 0o777);
    const target = join(dir, 'pwned.txt');
    try {
      const outcome = await reader.sql(`copy (select 1) to '${target}'`).then(
        () => 'accepted',
        () => 'refused',
      );
      expect(outcome).toBe('refused');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
