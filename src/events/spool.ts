/**
 * The on-disk spool: append-only segments of JSON lines holding events the store could not
 * take. Rows are written on a short interval, so a crash loses at most that interval's
 * worth; sealed segments are claimed by renaming, so two processes never replay one twice.
 *
 * Memory stays flat however much goes through it: a backlog of rows becomes buffers of a
 * bounded size (never one string of its whole size), and a claimed segment is read back a
 * batch at a time, never whole.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import type { DebugEventRow } from '../stores/types.js';

/** A segment is sealed once it reaches this size, so replay can start on it. */
const SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
/** Rows kept in memory while the disk refuses writes, before new ones are dropped. */
const MAX_UNWRITTEN_ROWS = 50_000;
/** Size of the buffers a backlog of rows is serialised into before it is written. */
const WRITE_CHUNK_BYTES = 1024 * 1024;
/** Bytes read from a claimed segment at a time. */
const READ_CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

export interface SpoolOptions {
  dir: string;
  /** Total size at which new rows are dropped; 0 means no limit. */
  maxBytes: number;
  writeIntervalMs: number;
  onWriteError?: (error: unknown) => void;
}

export interface SpoolStats {
  bytes: number;
  /** Rows given to the spool that are not yet on disk. */
  pendingRows: number;
  writeErrors: number;
  lastWriteError: string | null;
  /** Rows dropped because the spool was full or the disk kept failing. */
  dropped: number;
}

/**
 * A claimed segment: its rows, read in batches, and what to do once they are stored (or
 * not). Only the batch being handed out is in memory.
 */
export interface SpoolClaim {
  /** The segment's rows in order, at most `size` at a time; read it once. */
  batches(size: number): AsyncIterable<DebugEventRow[]>;
  /** Rows read so far. */
  readonly rowCount: number;
  /** Lines read so far that could not be parsed (a line cut short by a crash). */
  readonly unreadableLines: number;
  commit(): Promise<void>;
  release(): Promise<void>;
}

interface ActiveSegment {
  path: string;
  handle: Awaited<ReturnType<typeof open>>;
  bytes: number;
}

export class Spool {
  readonly #options: SpoolOptions;
  #pending: DebugEventRow[] = [];
  #active: ActiveSegment | undefined;
  #sequence = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #knownBytes: number | undefined;
  #closed = false;
  #stats: SpoolStats = {
    bytes: 0,
    pendingRows: 0,
    writeErrors: 0,
    lastWriteError: null,
    dropped: 0,
  };

  constructor(options: SpoolOptions) {
    this.#options = options;
  }

  /** Queues rows for the next write; returns at once. */
  append(rows: readonly DebugEventRow[]): void {
    const room = MAX_UNWRITTEN_ROWS - this.#pending.length;
    if (room < rows.length) this.#stats.dropped += rows.length - Math.max(room, 0);
    for (let index = 0; index < Math.min(room, rows.length); index += 1) {
      this.#pending.push(rows[index] as DebugEventRow);
    }
    this.#timer ??= setTimeout(() => void this.#writeNow(), this.#options.writeIntervalMs);
    this.#timer.unref();
  }

  /** Writes everything appended so far to disk. */
  async flush(): Promise<void> {
    await this.#writeNow();
    await this.#active?.handle.datasync().catch((error: unknown) => this.#noteError(error));
  }

  /** Flushes and seals the active segment, leaving the spool ready for the next process. */
  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    await this.#seal();
  }

  /**
   * Writes rows to a segment of their own before returning, for events that arrive after
   * `close()`, when no timer may run any more (a process that is exiting).
   */
  appendNow(rows: readonly DebugEventRow[]): void {
    try {
      const { chunks, dropped } = this.#serialise(rows);
      if (chunks.length > 0) {
        const text = Buffer.concat(chunks);
        mkdirSync(this.#options.dir, { recursive: true });
        this.#sequence += 1;
        const stamp = new Date().toISOString().replace(/[-:.]/g, '');
        const name = `${stamp}-${process.pid}-${String(this.#sequence).padStart(6, '0')}.ndjson`;
        appendFileSync(join(this.#options.dir, name), text);
        this.#stats.bytes += text.length;
      }
      this.#stats.dropped += dropped;
    } catch (error) {
      this.#stats.dropped += rows.length;
      this.#noteError(error);
    }
  }

  stats(): SpoolStats {
    return { ...this.#stats, pendingRows: this.#pending.length };
  }

  /** True when sealed or active segments may hold rows. */
  async hasData(): Promise<boolean> {
    return (this.#active?.bytes ?? 0) > 0 || (await this.#sealedSegments()).length > 0;
  }

  /**
   * Claims the oldest sealed segment (sealing the active one first when nothing else is
   * waiting). Returns undefined when there is nothing to replay.
   */
  async claimOldest(): Promise<SpoolClaim | undefined> {
    await this.flush();
    let sealed = await this.#sealedSegments();
    if (sealed.length === 0 && (this.#active?.bytes ?? 0) > 0) {
      await this.#seal();
      sealed = await this.#sealedSegments();
    }
    for (const name of sealed) {
      const claimed = join(this.#options.dir, `${name}.claimed-${process.pid}`);
      const ok = await rename(join(this.#options.dir, name), claimed).then(
        () => true,
        () => false,
      );
      if (ok) return this.#readClaim(claimed, join(this.#options.dir, name));
    }
    return undefined;
  }

  #readClaim(claimed: string, original: string): SpoolClaim {
    const progress = { rows: 0, unreadable: 0, bytes: 0 };
    return {
      batches: (size) => readBatches(claimed, size, progress),
      get rowCount() {
        return progress.rows;
      },
      get unreadableLines() {
        return progress.unreadable;
      },
      commit: async () => {
        const size = await stat(claimed).then(
          (info) => info.size,
          () => progress.bytes,
        );
        await unlink(claimed);
        this.#stats.bytes = Math.max(0, this.#stats.bytes - size);
      },
      release: () => rename(claimed, original),
    };
  }

  #writeNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#writing.then(() => this.#writePending());
    return this.#writing;
  }

  async #writePending(): Promise<void> {
    if (this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    const { chunks, dropped } = this.#serialise(rows);
    let segment: ActiveSegment | undefined;
    try {
      if (chunks.length > 0) {
        segment = await this.#segment();
        const written = await writeAll(segment, chunks);
        segment.bytes += written;
        this.#stats.bytes += written;
      }
      // Counted once the rows are down: rows that fail come back and are counted then.
      this.#stats.dropped += dropped;
      if (segment !== undefined && segment.bytes >= SEGMENT_MAX_BYTES) await this.#seal();
    } catch (error) {
      // A part of the rows may have reached the disk: cut it off, so no line is torn.
      await segment?.handle.truncate(segment.bytes).catch(() => undefined);
      this.#noteError(error);
      this.#pending = rows.concat(this.#pending).slice(0, MAX_UNWRITTEN_ROWS);
      this.#stats.dropped += Math.max(0, rows.length - this.#pending.length);
      if (this.#closed) return;
      this.#timer ??= setTimeout(() => void this.#writeNow(), this.#options.writeIntervalMs * 10);
      this.#timer.unref();
    }
  }

  /**
   * One JSON line per row, as buffers of about `WRITE_CHUNK_BYTES` each, stopping at the
   * spool's size limit, beyond which every remaining row is `dropped`. A backlog of
   * thousands of rows (a store that went down under load) never becomes one string and
   * one buffer of its whole size, and all of it still goes to disk in one write.
   */
  #serialise(rows: readonly DebugEventRow[]): { chunks: Buffer[]; dropped: number } {
    const { maxBytes } = this.#options;
    const chunks: Buffer[] = [];
    let bytes = this.#stats.bytes;
    let text = '';
    for (let index = 0; index < rows.length; index += 1) {
      const line = `${JSON.stringify(rows[index])}\n`;
      if (maxBytes > 0 && bytes + text.length + line.length > maxBytes) {
        if (text !== '') chunks.push(Buffer.from(text, 'utf8'));
        return { chunks, dropped: rows.length - index };
      }
      text += line;
      if (text.length >= WRITE_CHUNK_BYTES) {
        bytes += text.length;
        chunks.push(Buffer.from(text, 'utf8'));
        text = '';
      }
    }
    if (text !== '') chunks.push(Buffer.from(text, 'utf8'));
    return { chunks, dropped: 0 };
  }

  async #segment(): Promise<ActiveSegment> {
    if (this.#active !== undefined) return this.#active;
    await mkdir(this.#options.dir, { recursive: true });
    await this.#countExistingBytes();
    this.#sequence += 1;
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const name = `${stamp}-${process.pid}-${String(this.#sequence).padStart(6, '0')}`;
    const path = join(this.#options.dir, `${name}.active`);
    this.#active = { path, handle: await open(path, 'a'), bytes: 0 };
    return this.#active;
  }

  async #seal(): Promise<void> {
    const active = this.#active;
    if (active === undefined) return;
    this.#active = undefined;
    await active.handle.close();
    if (active.bytes === 0) {
      await unlink(active.path).catch(() => undefined);
      return;
    }
    await rename(active.path, active.path.replace(/\.active$/, '.ndjson'));
  }

  /** Sealed segments, oldest first; active segments of processes that died count as sealed. */
  async #sealedSegments(): Promise<string[]> {
    const names = await readdir(this.#options.dir).catch(() => [] as string[]);
    const sealed: string[] = [];
    for (const name of names) {
      const usable = name.endsWith('.ndjson') ? name : await this.#recoverOrphan(name);
      if (usable !== undefined) sealed.push(usable);
    }
    return sealed.sort();
  }

  /** Seals an active segment or releases a claim left by a process that no longer runs. */
  async #recoverOrphan(name: string): Promise<string | undefined> {
    const owner = /-(\d+)-\d+\.active$/.exec(name)?.[1] ?? /\.claimed-(\d+)$/.exec(name)?.[1];
    if (owner === undefined || isAlive(Number(owner))) return undefined;
    const target = name.replace(/\.ndjson\.claimed-\d+$|\.active$/, '.ndjson');
    return rename(join(this.#options.dir, name), join(this.#options.dir, target)).then(
      () => target,
      () => undefined,
    );
  }

  async #countExistingBytes(): Promise<void> {
    if (this.#knownBytes !== undefined) return;
    let total = 0;
    for (const name of await readdir(this.#options.dir)) {
      total += await stat(join(this.#options.dir, name)).then(
        (info) => info.size,
        () => 0,
      );
    }
    this.#knownBytes = total;
    this.#stats.bytes += total;
  }

  #noteError(error: unknown): void {
    this.#stats.writeErrors += 1;
    this.#stats.lastWriteError = error instanceof Error ? error.message : String(error);
    this.#options.onWriteError?.(error);
  }
}

interface ReadProgress {
  rows: number;
  unreadable: number;
  bytes: number;
}

/**
 * Reads a segment's JSON lines a chunk at a time and yields the parsed rows in batches of
 * at most `size`. Lines are split on the newline byte, which never occurs inside a UTF-8
 * sequence, so a chunk boundary cannot cut a character in two.
 */
async function* readBatches(
  path: string,
  size: number,
  progress: ReadProgress,
): AsyncGenerator<DebugEventRow[]> {
  const handle = await open(path, 'r');
  try {
    let carry = Buffer.alloc(0);
    let batch: DebugEventRow[] = [];
    const take = (line: Buffer): void => {
      if (line.length === 0) return;
      try {
        batch.push(JSON.parse(line.toString('utf8')) as DebugEventRow);
        progress.rows += 1;
      } catch {
        progress.unreadable += 1;
      }
    };
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      progress.bytes += bytesRead;
      const data =
        carry.length === 0
          ? chunk.subarray(0, bytesRead)
          : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      let start = 0;
      for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
        take(data.subarray(start, end));
        start = end + 1;
        if (batch.length >= size) {
          yield batch;
          batch = [];
        }
      }
      // Copied, so the rest of the chunk it came from can be collected.
      carry = Buffer.from(data.subarray(start));
    }
    // A last line without its newline: complete if it parses, cut short by a crash if not.
    take(carry);
    if (batch.length > 0) yield batch;
  } finally {
    await handle.close();
  }
}

/**
 * Writes every byte of `chunks`, in one call when the disk takes them all; a disk that takes
 * none is full even when the call does not say so. Returns the bytes written.
 */
async function writeAll(segment: ActiveSegment, chunks: readonly Buffer[]): Promise<number> {
  let rest = chunks.filter((chunk) => chunk.length > 0);
  let total = 0;
  while (rest.length > 0) {
    const { bytesWritten } = await segment.handle.writev(rest);
    if (bytesWritten === 0) throw new Error('ENOSPC: the spool disk accepted no more bytes');
    total += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
  return total;
}

/** `chunks` without their first `count` bytes, after a write that took only those. */
function skipBytes(chunks: readonly Buffer[], count: number): Buffer[] {
  let left = count;
  const rest: Buffer[] = [];
  for (const chunk of chunks) {
    if (left >= chunk.length) {
      left -= chunk.length;
    } else {
      rest.push(left > 0 ? chunk.subarray(left) : chunk);
      left = 0;
    }
  }
  return rest;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
