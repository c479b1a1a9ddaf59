/**
 * One process at a time per embedded data directory. PGlite has no cross-process locking,
 * and two processes writing one directory corrupt it, so the store first takes an exclusive
 * lock file naming its holder. A lock left by a process that has died is taken over.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EmbeddedStoreLockedError, type LockHolder } from './errors.js';

interface LockRecord extends LockHolder {
  /** Tells this lock from a later one by the same pid (a restarted container's pid 1). */
  token: string;
}

export interface EmbeddedLock {
  readonly path: string;
  /** Removes the lock file if it is still this holder's; safe to call more than once. */
  release(): void;
}

const ATTEMPTS = 5;
const RETRY_DELAY_MS = 20;
/** A takeover takes microseconds; a guard this old was left by a crash in the middle of one. */
const STALE_GUARD_MS = 10_000;

/** Tokens of the locks this process holds, to tell them from a dead namesake's. */
const heldTokens = new Set<string>();

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Creates `path` holding `record`, atomically: a complete file appears, or nothing does. */
function tryCreate(path: string, record: LockRecord): boolean {
  const staging = `${path}.${record.pid}.${record.token}.tmp`;
  writeFileSync(staging, `${JSON.stringify(record)}\n`);
  try {
    linkSync(staging, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(staging);
  }
}

/** The lock file's record; undefined when there is none, pid 0 when it is unreadable. */
function readRecord(path: string): LockRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const unreadable = { pid: 0, hostname: '', since: '', token: text };
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord> | null;
    const valid =
      typeof parsed?.pid === 'number' &&
      typeof parsed.hostname === 'string' &&
      typeof parsed.token === 'string';
    return valid ? ({ since: '', ...parsed } as LockRecord) : unreadable;
  } catch {
    return unreadable;
  }
}

function isAlive(holder: LockRecord): boolean {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  // A process on another host (a shared volume) cannot be checked, so it counts as alive;
  // the error message says to delete the file if it is gone.
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return heldTokens.has(holder.token);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

function removeIfUnchanged(path: string, token: string): void {
  if (readRecord(path)?.token !== token) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/**
 * Removes a dead holder's lock. Two processes may find the same stale lock; a guard file
 * makes the check-and-remove exclusive, so neither can remove the other's fresh lock.
 */
function removeStale(path: string, stale: LockRecord, self: LockRecord): void {
  const guard = `${path}.takeover`;
  if (!tryCreate(guard, self)) {
    const guardStat = statSync(guard, { throwIfNoEntry: false });
    if (guardStat !== undefined && Date.now() - guardStat.mtimeMs > STALE_GUARD_MS) {
      removeIfUnchanged(guard, readRecord(guard)?.token ?? '');
    }
    return;
  }
  try {
    removeIfUnchanged(path, stale.token);
  } finally {
    removeIfUnchanged(guard, self.token);
  }
}

function hold(path: string, record: LockRecord): EmbeddedLock {
  heldTokens.add(record.token);
  const release = (): void => {
    process.off('exit', release);
    heldTokens.delete(record.token);
    removeIfUnchanged(path, record.token);
  };
  // 'exit' covers normal ends and process.exit(); a process killed by a signal leaves the
  // file behind, and the next opener takes it over because the pid is dead.
  process.on('exit', release);
  return { path, release };
}

/**
 * Takes `<dataDir>/pglite.lock`, or rejects with `EmbeddedStoreLockedError` naming the
 * live process that holds it.
 *
 * @example
 * const lock = await acquireEmbeddedLock('.openai-ops');
 * try { ... } finally { lock.release(); }
 */
export async function acquireEmbeddedLock(dataDir: string): Promise<EmbeddedLock> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'pglite.lock');
  const self: LockRecord = {
    pid: process.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
    token: randomUUID(),
  };

  let holder: LockRecord | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    if (tryCreate(path, self)) return hold(path, self);
    holder = readRecord(path);
    if (holder === undefined) continue;
    if (isAlive(holder)) throw new EmbeddedStoreLockedError(dataDir, path, holder);
    removeStale(path, holder, self);
    await delay(RETRY_DELAY_MS);
  }
  throw new EmbeddedStoreLockedError(dataDir, path, holder ?? { pid: 0, hostname: '', since: '' });
}
