/** Errors a store raises that callers are expected to tell apart. */

/** Who holds an embedded store's lock, as written in its lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** When the holder took the lock, ISO 8601. */
  since: string;
}

function describeHolder(holder: LockHolder): string {
  if (holder.pid <= 0) return 'another process';
  const host = holder.hostname === '' ? '' : ` on ${holder.hostname}`;
  const since = holder.since === '' ? '' : ` since ${holder.since}`;
  return `process ${holder.pid}${host}${since}`;
}

/**
 * The embedded store's data directory is held by another live process. PGlite cannot share
 * a directory between processes, so the caller (the recorder) keeps its rows, spooling them
 * to disk, rather than writing concurrently and corrupting the database.
 */
export class EmbeddedStoreLockedError extends Error {
  override readonly name = 'EmbeddedStoreLockedError';
  readonly dataDir: string;
  readonly lockPath: string;
  readonly holder: LockHolder;

  constructor(dataDir: string, lockPath: string, holder: LockHolder) {
    super(
      `The embedded openai-ops store in ${dataDir} is in use by ${describeHolder(holder)}, and ` +
        `only one process at a time can open it. Stop that process, or point every process ` +
        `at a shared Postgres by setting OPENAI_OPS_DATABASE_URL. (If that process no longer ` +
        `exists, delete ${lockPath}.)`,
    );
    this.dataDir = dataDir;
    this.lockPath = lockPath;
    this.holder = holder;
  }
}
