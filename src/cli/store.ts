/**
 * The configured store, for commands that read it: opened, used and closed, with a store
 * that cannot be read turned into a message naming the store and the fix (exit code 2:
 * nothing was checked, so no verdict may be implied) instead of a stack trace.
 */
import type { EnvSource } from '../config/env.js';
import { OpenAIOpsConfigError } from '../config/errors.js';
import { isReadableEventStore, openEventStore } from '../stores/select-store.js';
import { EmbeddedStoreLockedError } from '../stores/errors.js';
import type { ReadableEventStore } from '../stores/types.js';
import { CliExit, EXIT_USAGE } from './exit-codes.js';

export async function openReadableStore(env: EnvSource): Promise<ReadableEventStore> {
  const store = await openEventStore(env);
  if (isReadableEventStore(store)) return store;
  await store.close();
  throw new CliExit(
    `the ${store.kind} store at ${store.location} cannot be queried; ` +
      'set OPENAI_OPS_DATABASE_URL to read events',
    EXIT_USAGE,
  );
}

/** Postgres' code for a missing table: the store was never migrated. */
const UNDEFINED_TABLE = '42P01';

/**
 * Runs `read` against the configured store and closes it. Failures of the store itself end
 * the command with exit code 2: nothing was checked, so no verdict may be implied.
 *
 * @example
 * const rows = await withStore(env, (store) => store.queryEvents({ limit: 5 }));
 */
export async function withStore<T>(
  env: EnvSource,
  read: (store: ReadableEventStore) => Promise<T>,
): Promise<T> {
  const store = await openReadableStore(env);
  try {
    return await read(store);
  } catch (error) {
    throw storeFailure(error, store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** The error to end the command with when a store call failed. */
function storeFailure(error: unknown, store: ReadableEventStore): unknown {
  if (error instanceof CliExit || error instanceof OpenAIOpsConfigError) return error;
  if (error instanceof EmbeddedStoreLockedError) return new CliExit(error.message, EXIT_USAGE);
  const where = `the ${store.kind} store at ${store.location}`;
  if (errorCode(error) === UNDEFINED_TABLE) {
    return new CliExit(
      `${where} has no openai_debug_events table; run \`openai-ops migrate\` against it first`,
      EXIT_USAGE,
    );
  }
  return new CliExit(`cannot read ${where}: ${reasonOf(error)}. ${fixFor(store)}`, EXIT_USAGE);
}

function fixFor(store: ReadableEventStore): string {
  if (store.kind === 'embedded') {
    return 'Check OPENAI_OPS_DATA_DIR and that the directory is readable.';
  }
  return 'Check OPENAI_OPS_DATABASE_URL (or DATABASE_URL) and that the database is running.';
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  const text = message.trim() === '' ? 'unknown error' : message.trim();
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}
