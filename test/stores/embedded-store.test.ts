import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore, type EmbeddedEventStore } from '../../src/stores/embedded-store.js';
import { EmbeddedStoreLockedError } from '../../src/stores/errors.js';
import { spawnChildStore } from './support/child-store.js';
import { describeEventStoreContract } from './support/event-store-contract.js';
import { makeRow } from './support/rows.js';

let root: string;
let store: EmbeddedEventStore;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'openai-ops-embedded-'));
  store = createEmbeddedStore({ dataDir: join(root, 'shared') });
  await store.open();
});

afterAll(async () => {
  await store?.close();
  await rm(root, { recursive: true, force: true });
});

describe('embedded store', () => {
  describeEventStoreContract(() => store);

  it('keeps its data in <dataDir>/pglite and says where it is', () => {
    expect(store.kind).toBe('embedded');
    expect(store.location).toBe(join(root, 'shared'));
  });

  it('rejects once closed', async () => {
    const closing = createEmbeddedStore({ dataDir: join(root, 'contended') });
    await closing.writeEvents([makeRow()]);
    await closing.close();
    await expect(closing.writeEvents([makeRow()])).rejects.toThrow(/closed/);
  });
});

describe('embedded store lock', () => {
  // One directory for every lock test, in turn: a fresh PGlite directory costs seconds.
  const dataDir = () => join(root, 'contended');

  it('refuses a second process while the holder lives, then lets it in', async () => {
    const child = spawnChildStore(dataDir());
    try {
      expect(await child.send('open')).toMatchObject({ ok: 'open' });
      const contender = createEmbeddedStore({ dataDir: dataDir() });

      const refused = await contender.writeEvents([makeRow()]).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(EmbeddedStoreLockedError);
      const message = (refused as Error).message;
      expect(message).toContain(`process ${child.pid}`);
      expect(message).toContain(dataDir());
      expect(message).toContain('OPENAI_OPS_DATABASE_URL');
      await expect(contender.migrate()).rejects.toBeInstanceOf(EmbeddedStoreLockedError);

      expect(await child.send('close')).toMatchObject({ ok: 'close' });
      const row = makeRow();
      await contender.writeEvents([row]);
      expect(await contender.queryEvents({ requestId: row.requestId })).toEqual([row]);

      const lock = await readFile(join(dataDir(), 'pglite.lock'), 'utf8');
      expect(JSON.parse(lock)).toMatchObject({ pid: process.pid });
      await contender.close();
    } finally {
      child.kill();
    }
  });

  it('takes over the lock of a process that died, and keeps what it had written', async () => {
    const child = spawnChildStore(dataDir());
    const row = makeRow();
    expect(await child.send('open')).toMatchObject({ ok: 'open' });
    expect(await child.send(`write ${JSON.stringify(row)}`)).toMatchObject({ ok: 'write' });
    child.kill();
    await child.exited;
    const left = await readFile(join(dataDir(), 'pglite.lock'), 'utf8');
    expect(JSON.parse(left)).toMatchObject({ pid: child.pid });

    const successor = createEmbeddedStore({ dataDir: dataDir() });
    expect(await successor.queryEvents({ requestId: row.requestId })).toEqual([row]);
    await successor.close();
  });

  it('takes over a lock left by a dead pid, this pid in an earlier life, or garbage', async () => {
    const leftovers = [
      JSON.stringify({ pid: 2 ** 22 + 7, hostname: hostname(), since: '', token: 'dead' }),
      JSON.stringify({ pid: process.pid, hostname: hostname(), since: '', token: 'restart' }),
      'not a lock record',
    ];
    for (const leftover of leftovers) {
      await writeFile(join(dataDir(), 'pglite.lock'), leftover);
      const successor = createEmbeddedStore({ dataDir: dataDir() });
      await successor.open();
      const lock = await readFile(join(dataDir(), 'pglite.lock'), 'utf8');
      expect(JSON.parse(lock)).toMatchObject({ pid: process.pid });
      expect(lock).not.toBe(leftover);
      await successor.close();
    }
  });

  it('refuses a second store on the same directory in this process', async () => {
    const twin = createEmbeddedStore({ dataDir: join(root, 'shared') });
    await expect(twin.open()).rejects.toThrow(`in use by process ${process.pid}`);
  });
});
