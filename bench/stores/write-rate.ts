/**
 * Write rate of the Postgres store's `writeEvents` against a raw COPY of the same rows and
 * against the other ways of upserting a batch (write-methods.ts), called directly, without
 * the recorder (bench/ingest.ts measures the whole path). Each run starts from an empty
 * table carrying every index of the migration and sends its batches one after another.
 * Methods alternate over several rounds and the median counts, because a shared machine
 * is noisy.
 *
 * @example
 * npx tsx bench/stores/write-rate.ts              # 100000 rows, batches of 1000, 3 rounds
 * npx tsx bench/stores/write-rate.ts 200000 500 5 2   # as the recorder: 500 a batch, 2 at once
 */
import net from 'node:net';

import postgres from 'postgres';

import { createPostgresStore } from '../../src/stores/postgres-store.js';
import type { DebugEventRow } from '../../src/stores/types.js';
import { makeBenchRow } from '../support/bench-rows.js';
import { createBenchDatabase, type BenchDatabase } from '../support/database.js';
import { formatCount, median, printTable } from '../support/stats.js';
import { writeMethods, type WriteMethod } from './write-methods.js';

interface Plan {
  rows: number;
  batchSize: number;
  rounds: number;
  /** Batches written at once, each on its own connection (the recorder allows 2). */
  inFlight: number;
  sql: postgres.Sql;
}

/**
 * A connection for the compared methods with Nagle's algorithm off. postgres.js leaves it
 * on, and a COPY's closing message then waits for a delayed ACK, about 40 ms on loopback
 * per statement; the store's one-message upserts are not affected, and the COPY baseline
 * must not pay it either.
 */
function openNoDelaySql(url: string): postgres.Sql {
  const { hostname, port } = new URL(url);
  const socket = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const options = { host: hostname, port: Number(port || 5432), noDelay: true };
      const connection = net.connect(options, () => resolve(connection));
      connection.once('error', reject);
    });
  // `socket` is supported by postgres.js but missing from its type definitions.
  return postgres(url, { max: 2, onnotice: () => undefined, socket } as postgres.Options<never>);
}

async function timeRun(db: BenchDatabase, plan: Plan, tag: string, write: WriteMethod) {
  const rows = Array.from({ length: plan.rows }, (_, i) => makeBenchRow(i, tag, Date.now()));
  await db.sql`truncate openai_debug_events`;
  await db.sql`checkpoint`;
  const batches: DebugEventRow[][] = [];
  for (let offset = 0; offset < rows.length; offset += plan.batchSize) {
    batches.push(rows.slice(offset, offset + plan.batchSize));
  }
  const writer = async () => {
    for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
      await write(plan.sql, batch);
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: plan.inFlight }, writer));
  const seconds = (performance.now() - startedAt) / 1000;
  const counts = await db.countEvents();
  if (counts.rows !== plan.rows) throw new Error(`${tag}: stored ${counts.rows} rows`);
  return plan.rows / seconds;
}

async function measure(db: BenchDatabase, plan: Plan): Promise<Map<string, number[]>> {
  const store = createPostgresStore({ url: db.url });
  const methods = writeMethods(store);
  const rates = new Map<string, number[]>(Object.keys(methods).map((name) => [name, []]));
  try {
    await timeRun(db, plan, 'warm-up', methods['store: writeEvents (COPY)']!);
    for (let round = 0; round < plan.rounds; round += 1) {
      for (const [name, write] of Object.entries(methods)) {
        rates.get(name)!.push(await timeRun(db, plan, `r${round}-${name.length}`, write));
      }
    }
  } finally {
    await store.close();
  }
  return rates;
}

async function main(argv: readonly string[]): Promise<void> {
  const [rows = 100_000, batchSize = 1000, rounds = 3, inFlight = 1] = argv.map(Number);
  const plan = { rows, batchSize, rounds, inFlight: Math.min(inFlight, 2) };
  const sample = makeBenchRow(1, 'sample', Date.now());
  console.log(
    `${rows} rows per run in batches of ${batchSize}, ${plan.inFlight} in flight, ` +
      `${rounds} rounds; each row ` +
      `${JSON.stringify(sample).length} bytes as JSON with ${sample.metadata.tags.length} tags`,
  );
  const db = await createBenchDatabase();
  const sql = openNoDelaySql(db.url);
  try {
    const rates = await measure(db, { ...plan, sql });
    const copy = median(rates.get('raw COPY (not idempotent)') ?? []);
    const table = [...rates].map(([name, values]) => [
      name,
      formatCount(median(values)),
      `${Math.round((median(values) / copy) * 100)}%`,
      values.map(formatCount).join(' '),
    ]);
    printTable(['method', 'rows/s (median)', 'of COPY', 'runs'], table);
  } finally {
    await sql.end();
    await db.drop();
  }
}

await main(process.argv.slice(2));
