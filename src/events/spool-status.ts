/**
 * What is in a spool directory, read without taking part in it: for `openai-ops env` and
 * other diagnostics that run beside the processes that write and replay it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Less free space than this and the spool counts as full: one batch needs about this much. */
const MIN_FREE_BYTES = 1024 * 1024;

export interface SpoolStatus {
  dir: string;
  exists: boolean;
  /** Whether a file can be created there now (the directory is created if missing). */
  writable: boolean;
  /** Why it is not writable, when it is not. */
  writeError: string | null;
  bytes: number;
  /** Segment files waiting to be replayed (sealed, active or claimed). */
  segments: number;
}

export async function inspectSpool(dir: string): Promise<SpoolStatus> {
  const names = await readdir(dir).catch(() => undefined);
  const segments = (names ?? []).filter((name) => /\.(ndjson|active)$|\.claimed-\d+$/.test(name));
  let bytes = 0;
  for (const name of segments) {
    bytes += await stat(join(dir, name)).then(
      (info) => info.size,
      () => 0,
    );
  }
  const writeError = await probeWrite(dir);
  return {
    dir,
    exists: names !== undefined,
    writable: writeError === null,
    writeError,
    bytes,
    segments: segments.length,
  };
}

async function probeWrite(dir: string): Promise<string | null> {
  const probe = join(dir, `.probe-${process.pid}-${randomUUID()}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, 'x');
    await unlink(probe);
    // A disk with room for a probe but not for a batch of events is full for the spool.
    const { bavail, bsize } = await statfs(dir);
    const freeBytes = bavail * bsize;
    return freeBytes < MIN_FREE_BYTES ? `ENOSPC: only ${freeBytes} bytes free` : null;
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    return error instanceof Error ? error.message : String(error);
  }
}
