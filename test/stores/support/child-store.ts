/**
 * Drives `fixtures/hold-embedded-store.ts` in a child process: a second process that opens,
 * writes to and closes an embedded store, for the lock tests.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fixtures/hold-embedded-store.ts', import.meta.url));

export interface ChildReply {
  ok?: string;
  error?: string;
  message?: string;
}

export interface ChildStore {
  readonly pid: number;
  send(command: string): Promise<ChildReply>;
  /** Resolves when the child has exited. */
  exited: Promise<unknown>;
  kill(): void;
}

export function spawnChildStore(dataDir: string): ChildStore {
  const args = ['--import', 'tsx', SCRIPT, dataDir];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, args);
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = once(child, 'exit');
  return {
    pid: child.pid ?? -1,
    exited,
    async send(command) {
      child.stdin.write(`${command}\n`);
      const next = await replies.next();
      if (next.done === true) throw new Error(`child exited before answering ${command}`);
      return JSON.parse(next.value) as ChildReply;
    },
    kill: () => child.kill('SIGKILL'),
  };
}
