/**
 * The stores' public surface: where debug events are written and read. The package index
 * re-exports what services and tools need from here.
 */
export {
  createEmbeddedStore,
  type EmbeddedEventStore,
  type EmbeddedStoreOptions,
} from './embedded-store.js';
export { EmbeddedStoreLockedError, type LockHolder } from './errors.js';
export {
  applyMigrations,
  findMigrationsDir,
  loadMigrations,
  type Migration,
} from './migrations.js';
export {
  createPostgresClient,
  createPostgresStore,
  describePostgresUrl,
  type PostgresStoreOptions,
} from './postgres-store.js';
export {
  DEFAULT_DATA_DIR,
  describeStoreConfig,
  isReadableEventStore,
  openEventStore,
  type StoreDescription,
  type StoreOpeners,
  type StoreSettings,
} from './select-store.js';
export type { SqlClient, SqlResult, SqlSession } from './sql-client.js';
export { createSupabaseStore, type SupabaseStoreOptions } from './supabase-store.js';
export { SupabaseRestError } from './supabase-rest-error.js';
export type * from './types.js';
