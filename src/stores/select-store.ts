/**
 * Which store the environment selects, the first that is set: `OPENAI_OPS_DATABASE_URL`,
 * then `DATABASE_URL` (Postgres), then `SUPABASE_URL` with `SUPABASE_SERVICE_ROLE_KEY`
 * (Supabase REST), else the embedded store in `OPENAI_OPS_DATA_DIR` (default `.openai-ops`).
 */
import { resolve } from 'node:path';
import { processEnv, readVar, type EnvSource } from '../config/env.js';
import { OpenAIOpsConfigError } from '../config/errors.js';
import { createEmbeddedStore } from './embedded-store.js';
import { createPostgresStore, describePostgresUrl } from './postgres-store.js';
import { createSupabaseStore } from './supabase-store.js';
import type { EventStore, ReadableEventStore } from './types.js';

export const DEFAULT_DATA_DIR = '.openai-ops';

/** The selected store, safe to print: no password, no key. */
export type StoreDescription =
  | { kind: 'postgres'; variable: 'OPENAI_OPS_DATABASE_URL' | 'DATABASE_URL'; location: string }
  | { kind: 'supabase'; variable: 'SUPABASE_URL'; location: string }
  | { kind: 'embedded'; variable: 'OPENAI_OPS_DATA_DIR' | null; location: string };

/** What opening each kind of store needs, secrets included. */
export interface StoreSettings {
  postgres: { url: string };
  supabase: { url: string; serviceRoleKey: string };
  embedded: { dataDir: string };
}

/** How to open each kind; tests and embedding hosts can plug in their own. */
export type StoreOpeners = {
  [K in keyof StoreSettings]: (settings: StoreSettings[K]) => EventStore | Promise<EventStore>;
};

type Selection = {
  [K in keyof StoreSettings]: {
    kind: K;
    description: StoreDescription;
    settings: StoreSettings[K];
  };
}[keyof StoreSettings];

function postgresUrl(env: EnvSource, variable: 'OPENAI_OPS_DATABASE_URL' | 'DATABASE_URL') {
  const url = readVar(env, variable);
  if (url === undefined) return undefined;
  if (!/^postgres(?:ql)?:\/\//i.test(url)) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'a value without a scheme';
    const override = variable === 'DATABASE_URL' ? ', or set OPENAI_OPS_DATABASE_URL' : '';
    throw new OpenAIOpsConfigError(
      `${variable} must be a postgres:// or postgresql:// connection string; got ${scheme} ` +
        `(value not shown). Fix it${override}, or unset it to use the embedded store.`,
      { variable },
    );
  }
  return url;
}

function supabaseSettings(env: EnvSource): StoreSettings['supabase'] | undefined {
  const url = readVar(env, 'SUPABASE_URL');
  const serviceRoleKey = readVar(env, 'SUPABASE_SERVICE_ROLE_KEY');
  if (url === undefined && serviceRoleKey === undefined) return undefined;
  const missing = url === undefined ? 'SUPABASE_URL' : 'SUPABASE_SERVICE_ROLE_KEY';
  if (url === undefined || serviceRoleKey === undefined) {
    throw new OpenAIOpsConfigError(
      `${missing} is not set, but the Supabase store needs both SUPABASE_URL and ` +
        `SUPABASE_SERVICE_ROLE_KEY. Set it, or unset the other to use the embedded store.`,
      { variable: missing },
    );
  }
  if (!/^https?:\/\//i.test(url)) {
    throw new OpenAIOpsConfigError(
      `SUPABASE_URL must be the project's https:// URL, e.g. https://abcd.supabase.co.`,
      { variable: 'SUPABASE_URL' },
    );
  }
  return { url, serviceRoleKey };
}

function select(env: EnvSource): Selection {
  for (const variable of ['OPENAI_OPS_DATABASE_URL', 'DATABASE_URL'] as const) {
    const url = postgresUrl(env, variable);
    if (url === undefined) continue;
    const description = { kind: 'postgres', variable, location: describePostgresUrl(url) } as const;
    return { kind: 'postgres', description, settings: { url } };
  }

  const supabase = supabaseSettings(env);
  if (supabase !== undefined) {
    const description = {
      kind: 'supabase',
      variable: 'SUPABASE_URL',
      location: supabase.url,
    } as const;
    return { kind: 'supabase', description, settings: supabase };
  }

  const configured = readVar(env, 'OPENAI_OPS_DATA_DIR');
  const dataDir = resolve(configured ?? DEFAULT_DATA_DIR);
  const variable = configured === undefined ? null : 'OPENAI_OPS_DATA_DIR';
  const description = { kind: 'embedded', variable, location: dataDir } as const;
  return { kind: 'embedded', description, settings: { dataDir } };
}

/**
 * The store the environment selects, without opening it: for `doctor`-style output.
 * Throws `OpenAIOpsConfigError` naming the variable when a setting is malformed.
 *
 * @example
 * describeStoreConfig({ DATABASE_URL: 'postgres://app:secret@db:5432/app' });
 * // { kind: 'postgres', variable: 'DATABASE_URL', location: 'postgres://app@db:5432/app' }
 */
export function describeStoreConfig(env: EnvSource = processEnv()): StoreDescription {
  return select(env).description;
}

const defaultOpeners: StoreOpeners = {
  postgres: ({ url }) => createPostgresStore({ url }),
  supabase: ({ url, serviceRoleKey }) => createSupabaseStore({ url, serviceRoleKey }),
  embedded: ({ dataDir }) => createEmbeddedStore({ dataDir }),
};

/**
 * Opens the store the environment selects. It is not migrated: call `migrate()` first
 * where this process owns the schema (the recorder does).
 *
 * @example
 * const store = await openEventStore();
 * await store.migrate();
 */
export async function openEventStore(
  env: EnvSource = processEnv(),
  openers: Partial<StoreOpeners> = {},
): Promise<EventStore> {
  const selection = select(env);
  const all: StoreOpeners = { ...defaultOpeners, ...openers };
  switch (selection.kind) {
    case 'postgres':
      return all.postgres(selection.settings);
    case 'supabase':
      return all.supabase(selection.settings);
    case 'embedded':
      return all.embedded(selection.settings);
  }
}

/** Whether `store` can also be queried (every SQL-backed store can). */
export function isReadableEventStore(store: EventStore): store is ReadableEventStore {
  const candidate = store as Partial<ReadableEventStore>;
  return typeof candidate.queryEvents === 'function' && typeof candidate.sql === 'function';
}
