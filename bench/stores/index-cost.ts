/**
 * What each index of `openai_debug_events` costs the database per inserted row: the CPU of
 * the PostgreSQL backend for a raw COPY of the same rows into the table carrying only its
 * primary key, then each secondary index alone, then the sets of the migrations. CPU time
 * rather than elapsed time, because it changes little when other work competes for the
 * machine; variants alternate over the rounds and the median counts.
 *
 * @example
 * npx tsx bench/stores/index-cost.ts            # 100000 rows, 3 rounds
 * npx tsx bench/stores/index-cost.ts 200000 5
 */
import type postgres from 'postgres';

import { makeBenchRow } from '../support/bench-rows.js';
import { copyRows } from '../support/copy-rows.js';
import { measureCpu } from '../support/cpu-time.js';
import { createBenchDatabase, type BenchDatabase } from '../support/database.js';
import { median, printTable, round } from '../support/stats.js';

const TABLE = 'openai_debug_events';

/** Every secondary index the migrations have created, by name, as created there. */
const INDEXES: Readonly<Record<string, string>> = {
  created_at: '(created_at desc)',
  tags: "using gin ((metadata -> 'tags') jsonb_path_ops)",
  endpoint_created_at: '(endpoint, created_at)',
  status_class_created_at: '(status_class, created_at)',
  workload_created_at: '(workload, created_at)',
  organization_created_at: '(organization, created_at)',
  failures_created_at: "(status_class, created_at) where status_class <> '2xx'",
};

interface Variant {
  name: string;
  indexes: readonly (keyof typeof INDEXES)[];
}

const FIRST_MIGRATION = [
  'created_at',
  'tags',
  'endpoint_created_at',
  'status_class_created_at',
  'workload_created_at',
  'organization_created_at',
];
const CURRENT = ['created_at', 'tags', 'organization_created_at', 'failures_created_at'];

const VARIANTS: readonly Variant[] = [
  { name: 'primary key only', indexes: [] },
  ...Object.keys(INDEXES).map((name) => ({ name: `+ ${name}`, indexes: [name] })),
  { name: 'first migration (7 indexes)', indexes: FIRST_MIGRATION },
  { name: 'current migrations (5 indexes)', indexes: CURRENT },
];

async function useIndexes(sql: postgres.Sql, wanted: readonly string[]): Promise<void> {
  for (const name of Object.keys(INDEXES)) {
    await sql.unsafe(`drop index if exists ${TABLE}_${name}_idx`);
  }
  for (const name of wanted) {
    await sql.unsafe(`create index ${TABLE}_${name}_idx on ${TABLE} ${INDEXES[name]}`);
  }
}

/** Backend CPU µs per row of one COPY of `rows` into the emptied table. */
async function serverUsPerRow(
  db: BenchDatabase,
  rows: ReturnType<typeof makeBenchRow>[],
): Promise<number> {
  await db.sql`truncate ${db.sql(TABLE)}`;
  await db.sql`checkpoint`;
  const cpu = await measureCpu(db.sql, db.name, () => copyRows(db.sql, TABLE, rows));
  if (cpu.serverCpuMs === null) throw new Error('backend CPU cannot be read on this system');
  return (cpu.serverCpuMs * 1000) / rows.length;
}

function signed(value: number): string {
  return value < 0 ? `−${(-value).toFixed(1)}` : `+${value.toFixed(1)}`;
}

async function main(argv: readonly string[]): Promise<void> {
  const [count = 100_000, rounds = 3] = argv.map(Number);
  console.log(`${count} rows per COPY, ${rounds} rounds, ${VARIANTS.length} variants`);
  const baseMs = Date.now() - count;
  const rows = Array.from({ length: count }, (_, i) => makeBenchRow(i, 'index-cost', baseMs));
  const db = await createBenchDatabase();
  const results = new Map<Variant, number[]>(VARIANTS.map((variant) => [variant, []]));
  try {
    for (let roundIndex = 0; roundIndex < rounds; roundIndex += 1) {
      const order = roundIndex % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        await useIndexes(db.sql, variant.indexes);
        const perRow = await serverUsPerRow(db, rows);
        results.get(variant)?.push(perRow);
        console.log(
          `  round ${roundIndex + 1}: ${variant.name.padEnd(32)} ${round(perRow, 1).toFixed(1)} µs`,
        );
      }
    }
  } finally {
    await db.drop();
  }

  const base = median(results.get(VARIANTS[0] as Variant) ?? []);
  printTable(
    ['table carries', 'server CPU µs/row', 'over primary key only', 'runs'],
    VARIANTS.map((variant) => {
      const values = results.get(variant) ?? [];
      const value = median(values);
      return [
        variant.name,
        round(value, 1).toFixed(1),
        variant.indexes.length === 0 ? '' : signed(round(value - base, 1)),
        values.map((v) => round(v, 1).toFixed(1)).join(', '),
      ];
    }),
  );
}

await main(process.argv.slice(2));
