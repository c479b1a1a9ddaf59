/** The configured store, opened for a command that reads events back. */
import type { EnvSource } from '../config/env.js';
import { isReadableEventStore, openEventStore } from '../stores/select-store.js';
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
