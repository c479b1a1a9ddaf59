/**
 * A canary key, used through every CLI command and every SDK endpoint family with content
 * capture and debug details on, must never appear in a stored row, a log line, a spool
 * file, an export file or CLI output: not as written, not base64- or URL-encoded. The same
 * holds for a wrong key, for the database password, and for the ephemeral secrets the API
 * hands back.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { setLogger } from '../../src/config/logger.js';
import {
  configureOpenAIEvents,
  flushOpenAIEvents,
  shutdownOpenAIEvents,
} from '../../src/events/runtime.js';
import { getOpenAIClientForWorkload } from '../../src/openai/client.js';
import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { DebugEventRow } from '../../src/stores/types.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { closedPort } from '../support/ports.js';
import { cli, type CliRun } from '../support/cli.js';
import { captureLogs, type CapturedLogs } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  databaseRows,
  filesUnder,
  findLeaks,
  hex,
  truncateEvents,
  type Surface,
} from './support.js';

const CANARIES = [
  ['an sk- key', `sk-canary-${hex()}`],
  ['a key without the sk- prefix', `canary-${hex()}`],
] as const;

const CATALOGUE = `tags:
  service: [rag]
  env: "*"
quota_tags: [finance-emea]
`;

/** Every endpoint family once, with the secret inside each prompt. Returns what the API issued. */
async function exerciseEndpoints(openai: OpenAI, secret: string): Promise<string[]> {
  const prompt = `Reconcile invoice 42; the key is ${secret}.`;
  await openai.responses.create({ model: 'gpt-4.1-mini', input: prompt });
  const responseStream = await openai.responses.create({
    model: 'gpt-4.1-mini',
    input: prompt,
    stream: true,
  });
  for await (const event of responseStream) void event;
  const chatStream = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  });
  for await (const chunk of chatStream) void chunk;
  await openai.embeddings.create({ model: 'text-embedding-3-small', input: prompt });

  const speech = await openai.audio.speech.create({
    model: 'gpt-4o-mini-tts',
    voice: 'alloy',
    input: prompt,
    response_format: 'wav',
  });
  const audio = Buffer.from(await speech.arrayBuffer());
  await openai.audio.transcriptions.create({
    model: 'gpt-4o-transcribe',
    file: await toFile(audio, 'close.wav', { type: 'audio/wav' }),
    prompt,
  });
  await openai.images.generate({ model: 'gpt-image-1', prompt });

  const file = await openai.files.create({
    file: await toFile(Buffer.from(`${JSON.stringify({ prompt })}\n`), 'rows.jsonl'),
    purpose: 'batch',
  });
  await openai.files.retrieve(file.id);
  await (await openai.files.content(file.id)).text();
  await openai.models.list();
  await openai.models.retrieve('gpt-4o-mini');

  const video = await openai.videos.create({ model: 'sora-2', prompt, seconds: '4' });
  for (let step = 0; step < 3; step += 1) await openai.videos.retrieve(video.id);
  await (await openai.videos.downloadContent(video.id)).arrayBuffer();

  const realtime = await openai.realtime.clientSecrets.create({
    session: { type: 'realtime', model: 'gpt-realtime', instructions: prompt },
  });
  const chatkit = await openai.beta.chatkit.sessions.create({
    user: 'u_canary',
    workflow: { id: 'wf_canary', state_variables: { note: prompt } },
  });
  return [realtime.value, chatkit.client_secret];
}

/** An upstream (a careless proxy) that answers every request 401 and echoes the bearer token. */
async function startReflector(): Promise<{ baseURL: string; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    count += 1;
    const token = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const debug = request.url?.includes('/debug') === true;
    response.writeHead(debug ? 403 : 401, {
      'content-type': 'application/json',
      'x-request-id': `req_reflect_${String(count).padStart(6, '0')}`,
    });
    response.end(
      JSON.stringify({
        error: {
          message: `Incorrect API key provided: ${token}.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each(CANARIES)('a canary key (%s)', (_label, key) => {
  const wrongKey = `${key.startsWith('sk-') ? 'sk-' : ''}wrong-canary-${hex()}`;
  const stagingKey = `${key.startsWith('sk-') ? 'sk-' : ''}staging-canary-${hex()}`;
  const dbPassword = `pw/canary+${hex(8)}`;
  const secrets: Record<string, string> = { key, wrongKey, stagingKey, dbPassword };

  let sim: Simulator;
  let db: TestDatabase;
  let root: string;
  let spoolDir: string;
  let dbUrl: string;
  let deadDbUrl: string;
  let catalogue: string;
  const simLines: string[] = [];
  let logs: CapturedLogs;

  beforeAll(async () => {
    sim = await startSimulator({
      keys: [{ key, organization: 'org-canary' }, { key: stagingKey }],
      logger: (line) => simLines.push(JSON.stringify(line)),
    });
    db = await createTestDatabase('openai_ops_canary');
    const url = new URL(db.url);
    url.password = encodeURIComponent(dbPassword);
    dbUrl = url.href;
    const dead = new URL(dbUrl);
    dead.port = String(await closedPort());
    deadDbUrl = `${dead.href}?connect_timeout=2`;
    root = mkdtempSync(join(tmpdir(), 'openai-ops-canary-'));
    spoolDir = join(root, 'spool');
    mkdirSync(join(root, 'out'));
    catalogue = join(root, 'catalogue.yaml');
    writeFileSync(catalogue, CATALOGUE);
  });

  beforeEach(async () => {
    await shutdownOpenAIEvents();
    logs = captureLogs();
    setLogger(logs.logger);
    simLines.length = 0;
    for (const dir of [spoolDir, join(root, 'out')]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
    await truncateEvents(dbUrl);
  });

  afterAll(async () => {
    await shutdownOpenAIEvents();
    setLogger(undefined);
    await sim.close();
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  });

  /** The library's environment: every switch that puts more data in events is on. */
  function sdkEnv(baseURL = sim.baseURL): Record<string, string> {
    return {
      OPENAI_API_KEY: key,
      OPENAI_ORG_ID: 'org-canary',
      OPENAI_BASE_URL: baseURL,
      OPENAI_API_KEY_FINANCE_PROD: key,
      OPENAI_API_KEY_FINANCE_STAGING: stagingKey,
      OPENAI_REQUEST_TAGS: 'service:rag,env:canary',
      OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'finance-emea',
      OPENAI_DEBUG_LOGGING: 'true',
      OPENAI_DEBUG_FETCH_DETAILS: 'true',
      OPENAI_DEBUG_CAPTURE_CONTENT: 'true',
      OPENAI_DEBUG_CONTENT_MAX_BYTES: '65536',
    };
  }

  function cliEnv(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      ...sdkEnv(),
      OPENAI_OPS_DATABASE_URL: dbUrl,
      OPENAI_OPS_DATA_DIR: join(root, 'data'),
      OPENAI_OPS_SPOOL_DIR: spoolDir,
      OPENAI_OPS_LOG_LEVEL: 'debug',
      ...overrides,
    };
  }

  function startPipeline(storeUrl: string, env = sdkEnv()): void {
    configureOpenAIEvents({
      env,
      logger: logs.logger,
      openStore: () =>
        Promise.resolve(createPostgresStore({ url: storeUrl, connectTimeoutSeconds: 2 })),
      settings: { spoolDir, flushIntervalMs: 10, replayIntervalMs: 60_000, writeTimeoutMs: 3_000 },
    });
  }

  /** Sends every family with the right key, then the error paths: a wrong key and no server. */
  async function exerciseAll(env: Record<string, string>): Promise<string[]> {
    const openai = getOpenAIClientForWorkload('finance-prod', { env, maxRetries: 0 });
    const issued = await exerciseEndpoints(openai, key);
    const wrong = getOpenAIClientForWorkload('default', { env, apiKey: wrongKey, maxRetries: 0 });
    const prompt = `is ${wrongKey} the right key?`;
    await expect(
      wrong.embeddings.create({ model: 'text-embedding-3-small', input: prompt }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      wrong.responses.create({ model: 'gpt-4.1-mini', input: prompt }),
    ).rejects.toThrow();
    const unreachable = getOpenAIClientForWorkload('finance-prod', {
      env,
      baseURL: `http://127.0.0.1:${await closedPort()}/v1`,
      maxRetries: 0,
    });
    await expect(
      unreachable.embeddings.create({ model: 'text-embedding-3-small', input: `key ${key}` }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    await flushOpenAIEvents();
    return issued;
  }

  function outputs(label: string, run: CliRun): Surface[] {
    return [
      { where: `${label} stdout`, text: run.stdout },
      { where: `${label} stderr`, text: run.stderr },
    ];
  }

  function everythingElse(): Surface[] {
    return [
      { where: 'library log', text: logs.text() },
      { where: 'simulator log', text: simLines.join('\n') },
      ...filesUnder(root, 'tmp'),
    ];
  }

  it('leaves no trace through every SDK endpoint family while the store is up', async () => {
    startPipeline(dbUrl);
    const issued = await exerciseAll(sdkEnv());
    await shutdownOpenAIEvents();

    const rows = await databaseRows(dbUrl);
    const stored = rows.find((surface) => surface.where === 'table openai_debug_events');
    const events = JSON.parse(stored?.text ?? '[]') as Record<string, unknown>[];
    expect(events.length).toBeGreaterThanOrEqual(20);
    expect(JSON.stringify(events)).toContain('[REDACTED]');
    const ephemeral = Object.fromEntries(
      issued.map((secret, index) => [`issued#${index}`, secret]),
    );
    expect(findLeaks([...rows, ...everythingElse()], { ...secrets, ...ephemeral })).toEqual([]);
  });

  it('leaves no trace in the spool while the store is down', async () => {
    startPipeline(deadDbUrl);
    await exerciseAll(sdkEnv());
    await shutdownOpenAIEvents();

    const spooled = filesUnder(spoolDir).filter((file) => !file.where.endsWith('(name)'));
    const lines = spooled.flatMap((file) => file.text.split('\n').filter((line) => line !== ''));
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(logs.events('openai.debug_event_persist_failed').length).toBeGreaterThan(0);
    expect(findLeaks(everythingElse(), secrets)).toEqual([]);
  });

  it("redacts another workload's configured key quoted in a captured prompt", async () => {
    startPipeline(dbUrl);
    const openai = getOpenAIClientForWorkload('default', { env: sdkEnv(), maxRetries: 0 });
    const snippet = `OPENAI_API_KEY_FINANCE_STAGING=${stagingKey}`;
    await openai.responses.create({ model: 'gpt-4.1-mini', input: `why does ${snippet} fail?` });
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: snippet });
    await shutdownOpenAIEvents();

    const rows = await databaseRows(dbUrl);
    expect(JSON.stringify(rows)).toContain('OPENAI_API_KEY_FINANCE_STAGING=');
    expect(findLeaks([...rows, ...everythingElse()], secrets)).toEqual([]);
  });

  it('leaves no trace in any CLI command, with the right key, a wrong key and the store up', async () => {
    startPipeline(dbUrl);
    await exerciseAll(sdkEnv());
    await shutdownOpenAIEvents();
    const surfaces: Surface[] = [];
    const run = async (label: string, args: string[], env = cliEnv()) => {
      const result = await cli(args, env);
      surfaces.push(...outputs(label, result));
      return result;
    };

    await run('env', ['env']);
    await run('env --json', ['--json', 'env']);
    expect((await run('validate', ['validate'])).code).toBe(0);
    await run('validate finance --json', ['--json', 'validate', '--workload', 'finance-prod']);
    const wrong = cliEnv({ OPENAI_API_KEY: wrongKey, OPENAI_API_KEY_FINANCE_PROD: wrongKey });
    expect(
      (await run('validate wrong key', ['validate', '--kinds', 'embedding,video'], wrong)).code,
    ).toBe(1);
    await run('env wrong key', ['env'], wrong);

    await run('events', ['events', '--limit', '200']);
    const listed = await run('events --json', ['--json', 'events', '--limit', '200']);
    const events = listed.json<DebugEventRow[]>();
    const ids = [
      events.find((event) => event.statusClass === '2xx')?.requestId,
      events.find((event) => event.statusClass === '4xx')?.requestId,
      events.find((event) => event.requestId.startsWith('local_'))?.requestId,
      events.find((event) => event.endpoint === '/videos')?.requestId,
    ].filter((id): id is string => id !== undefined);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    for (const [index, id] of ids.entries()) {
      const out = join(root, 'out', `bundle-${index}.json`);
      expect((await run(`export ${id} --out`, ['export', id, '--out', out])).code).toBe(0);
      await run(`export ${id} --json`, ['--json', 'export', id]);
      await run(`export ${id}`, ['export', id]);
      expect(readFileSync(out.replace(/\.json$/, '.md'), 'utf8')).toContain(id);
    }

    await run('tags audit', ['tags', 'audit', '--catalogue', catalogue]);
    await run('tags audit --json', ['--json', 'tags', 'audit', '--catalogue', catalogue]);
    expect((await run('keys check', ['keys', 'check', '--workload', 'default'])).code).toBe(0);
    await run('keys check --json', ['--json', 'keys', 'check']);
    expect((await run('keys check wrong key', ['keys', 'check'], wrong)).code).toBe(1);
    const otherOrg = cliEnv({ OPENAI_ORG_ID: 'org-someone-else' });
    await run(
      'keys check wrong org',
      ['--json', 'keys', 'check', '--workload', 'default'],
      otherOrg,
    );

    expect(
      findLeaks([...surfaces, ...(await databaseRows(dbUrl)), ...everythingElse()], secrets),
    ).toEqual([]);
  });

  it('leaves no trace in any CLI command while the store is down', async () => {
    const surfaces: Surface[] = [];
    const down = cliEnv({ OPENAI_OPS_DATABASE_URL: deadDbUrl });
    for (const args of [
      ['events'],
      ['--json', 'events', '--tag', 'env:canary'],
      ['export', 'req_missing'],
      ['export', 'req_missing', '--out', join(root, 'out', 'missing.json')],
      ['tags', 'audit', '--catalogue', catalogue],
      ['validate', '--kinds', 'embedding'],
      ['migrate'],
    ]) {
      const result = await cli(args, down);
      expect(result.code, args.join(' ')).not.toBe(0);
      surfaces.push(...outputs(`${args.join(' ')} (store down)`, result));
    }
    for (const args of [['env'], ['--json', 'env'], ['keys', 'check']]) {
      surfaces.push(...outputs(`${args.join(' ')} (store down)`, await cli(args, down)));
    }
    expect(findLeaks([...surfaces, ...everythingElse()], secrets)).toEqual([]);
  });

  it('leaves no trace when the upstream echoes the key back in its errors', async () => {
    const reflector = await startReflector();
    const surfaces: Surface[] = [];
    try {
      startPipeline(dbUrl, sdkEnv(reflector.baseURL));
      const openai = getOpenAIClientForWorkload('default', {
        env: sdkEnv(reflector.baseURL),
        maxRetries: 0,
      });
      await expect(
        openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }),
      ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await shutdownOpenAIEvents();

      const env = cliEnv({ OPENAI_BASE_URL: reflector.baseURL });
      const events = await cli(
        ['--json', 'events', '--endpoint', '/embeddings', '--limit', '1'],
        env,
      );
      surfaces.push(...outputs('events --json', events));
      surfaces.push(...outputs('events', await cli(['events', '--limit', '5'], env)));
      surfaces.push(...outputs('validate', await cli(['validate', '--kinds', 'embedding'], env)));
      surfaces.push(...outputs('keys check', await cli(['keys', 'check'], env)));
      const id = events.json<DebugEventRow[]>()[0]?.requestId ?? 'missing';
      const out = join(root, 'out', 'reflected.json');
      surfaces.push(...outputs('export', await cli(['export', id, '--out', out], env)));
    } finally {
      await shutdownOpenAIEvents();
      await reflector.close();
    }
    expect(
      findLeaks([...surfaces, ...(await databaseRows(dbUrl)), ...everythingElse()], { key }),
    ).toEqual([]);
  });
});
