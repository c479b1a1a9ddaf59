import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import {
  describeStoreConfig,
  isReadableEventStore,
  openEventStore,
} from '../../src/stores/select-store.js';
import type { EventStore } from '../../src/stores/types.js';

const SUPABASE = { SUPABASE_URL: 'https://abcd.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'srk' };

function configError(fn: () => unknown): OpenAIOpsConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OpenAIOpsConfigError) return error;
    throw error;
  }
  throw new Error('expected an OpenAIOpsConfigError');
}

describe('describeStoreConfig', () => {
  it('prefers OPENAI_OPS_DATABASE_URL, then DATABASE_URL, never showing the password', () => {
    const both = {
      OPENAI_OPS_DATABASE_URL: 'postgresql://ops:pw@ops-db:6543/ops',
      DATABASE_URL: 'postgres://app:pw@app-db/app',
      ...SUPABASE,
    };
    expect(describeStoreConfig(both)).toEqual({
      kind: 'postgres',
      variable: 'OPENAI_OPS_DATABASE_URL',
      location: 'postgresql://ops@ops-db:6543/ops',
    });
    const appOnly = { ...both, OPENAI_OPS_DATABASE_URL: undefined };
    expect(describeStoreConfig(appOnly)).toMatchObject({
      variable: 'DATABASE_URL',
      location: 'postgres://app@app-db:5432/app',
    });
    expect(JSON.stringify(describeStoreConfig(both))).not.toContain('pw');
  });

  it('names the variable holding a URL that is not Postgres, without echoing it', () => {
    const error = configError(() => describeStoreConfig({ DATABASE_URL: 'mysql://u:pw@h/db' }));
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toMatch(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\//);
    expect(error.message).toContain('OPENAI_OPS_DATABASE_URL');
    expect(error.message).not.toContain('pw');
    expect(configError(() => describeStoreConfig({ OPENAI_OPS_DATABASE_URL: 'db' })).variable).toBe(
      'OPENAI_OPS_DATABASE_URL',
    );
  });

  it('selects Supabase REST when both of its variables are set, and not its key', () => {
    expect(describeStoreConfig(SUPABASE)).toEqual({
      kind: 'supabase',
      variable: 'SUPABASE_URL',
      location: 'https://abcd.supabase.co',
    });
    const half = configError(() => describeStoreConfig({ SUPABASE_URL: SUPABASE.SUPABASE_URL }));
    expect(half.variable).toBe('SUPABASE_SERVICE_ROLE_KEY');
    const bad = { ...SUPABASE, SUPABASE_URL: 'abcd.supabase.co' };
    expect(configError(() => describeStoreConfig(bad)).variable).toBe('SUPABASE_URL');
  });

  it('falls back to the embedded store in OPENAI_OPS_DATA_DIR or .openai-ops', () => {
    expect(describeStoreConfig({})).toEqual({
      kind: 'embedded',
      variable: null,
      location: resolve('.openai-ops'),
    });
    expect(
      describeStoreConfig({ OPENAI_OPS_DATA_DIR: ' /var/lib/ops ', DATABASE_URL: ' ' }),
    ).toEqual({ kind: 'embedded', variable: 'OPENAI_OPS_DATA_DIR', location: '/var/lib/ops' });
  });
});

describe('openEventStore', () => {
  let root: string;
  const opened: EventStore[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'openai-ops-select-'));
  });

  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await rm(root, { recursive: true, force: true });
  });

  it('opens a Postgres store without connecting yet', async () => {
    const store = await openEventStore({ DATABASE_URL: 'postgres://u:pw@127.0.0.1:1/none' });
    opened.push(store);
    expect(store.kind).toBe('postgres');
    expect(store.location).toBe('postgres://u@127.0.0.1:1/none');
    expect(isReadableEventStore(store)).toBe(true);
  });

  it('opens the embedded store in OPENAI_OPS_DATA_DIR', async () => {
    const store = await openEventStore({ OPENAI_OPS_DATA_DIR: join(root, 'data') });
    opened.push(store);
    expect(store).toMatchObject({ kind: 'embedded', location: join(root, 'data') });
  });

  it('opens the Supabase REST store without sending a request', async () => {
    const store = await openEventStore(SUPABASE);
    opened.push(store);
    expect(store).toMatchObject({ kind: 'supabase', location: 'https://abcd.supabase.co' });
    expect(isReadableEventStore(store)).toBe(true);
  });

  it('uses an opener that is plugged in', async () => {
    const fake = { kind: 'supabase', location: 'fake' } as EventStore;
    const store = await openEventStore(SUPABASE, {
      supabase: ({ url, serviceRoleKey }) => {
        expect([url, serviceRoleKey]).toEqual([SUPABASE.SUPABASE_URL, 'srk']);
        return fake;
      },
    });
    expect(store).toBe(fake);
    expect(isReadableEventStore(store)).toBe(false);
  });
});
