/**
 * A PostgreSQL server of the test's own, on its own port and data directory, that the test
 * can stop and start: a real outage of a real database, without touching the shared one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

import { closedPort } from './ports.js';

export interface PostgresServer {
  port: number;
  url: string;
  start(): void;
  /** Fast shutdown: connections are cut, as when a database goes away. */
  stop(): void;
  destroy(): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (version === undefined)
    throw new Error('no PostgreSQL installation under /usr/lib/postgresql');
  return join(root, version, 'bin');
}

/** Runs a PostgreSQL tool as the postgres user when this process is root (initdb refuses root). */
function runAsOwner(tool: string, args: string[]): void {
  const command = join(binDir(), tool);
  const asRoot = userInfo().uid === 0;
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  }
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const root = mkdtempSync(join(tmpdir(), 'openai-ops-pg-'));
  const dataDir = join(root, 'data');
  if (userInfo().uid === 0) {
    chmodSync(root, 0o755);
    chownSync(root, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  }
  runAsOwner('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const port = await closedPort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const server: PostgresServer = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () =>
      runAsOwner('pg_ctl', ['-D', dataDir, '-o', options, '-w', '-l', join(root, 'log'), 'start']),
    stop: () => runAsOwner('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']),
    destroy: () => {
      spawnSync('runuser', [
        '-u',
        'postgres',
        '--',
        join(binDir(), 'pg_ctl'),
        '-D',
        dataDir,
        '-m',
        'immediate',
        'stop',
      ]);
      rmSync(root, { recursive: true, force: true });
    },
  };
  server.start();
  return server;
}
