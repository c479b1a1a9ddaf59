/**
 * Helpers of the security suites: everything a run left behind, gathered as labelled text,
 * and a search of it for a secret in the encodings a leak tends to take.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import postgres from 'postgres';

/** Some text a run produced, and where it came from. */
export interface Surface {
  where: string;
  text: string;
}

export function hex(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * The forms a secret takes when it leaks encoded: as written, URL-encoded, JSON-escaped,
 * hex, and base64/base64url at each of the three byte alignments it can have inside a
 * longer encoded string (the edge characters, which depend on the neighbours, are dropped).
 */
export function encodingsOf(secret: string): Map<string, string> {
  const forms = new Map<string, string>([
    ['raw', secret],
    ['url-encoded', encodeURIComponent(secret)],
    ['json-escaped', JSON.stringify(secret).slice(1, -1)],
    ['hex', Buffer.from(secret).toString('hex')],
  ]);
  for (let shift = 0; shift < 3; shift += 1) {
    const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]);
    for (const encoding of ['base64', 'base64url'] as const) {
      forms.set(`${encoding}+${shift}`, bytes.toString(encoding).slice(4, -4));
    }
  }
  // A form identical to an earlier one would only report the same leak twice.
  const seen = new Set<string>();
  for (const [name, text] of forms) {
    if (seen.has(text)) forms.delete(name);
    seen.add(text);
  }
  return forms;
}

/** Every place where one of `secrets` shows, in any of its encodings, as readable lines. */
export function findLeaks(
  surfaces: readonly Surface[],
  secrets: Readonly<Record<string, string>>,
): string[] {
  const leaks: string[] = [];
  for (const [label, secret] of Object.entries(secrets)) {
    for (const [form, encoded] of encodingsOf(secret)) {
      for (const surface of surfaces) {
        const at = surface.text.indexOf(encoded);
        if (at === -1) continue;
        const context = surface.text.slice(Math.max(0, at - 80), at + encoded.length + 40);
        leaks.push(`${label} (${form}) in ${surface.where}: …${JSON.stringify(context)}…`);
      }
    }
  }
  return [...new Set(leaks)];
}

/** Every file below `dir`, name and content, as surfaces. */
export function filesUnder(dir: string, label = dir): Surface[] {
  const surfaces: Surface[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return surfaces;
  }
  for (const name of names) {
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (info === undefined) continue;
    if (info.isDirectory()) {
      surfaces.push(...filesUnder(path, `${label}/${name}`));
    } else {
      surfaces.push({ where: `file ${label}/${name} (name)`, text: name });
      surfaces.push({ where: `file ${label}/${name}`, text: readFileSync(path, 'latin1') });
    }
  }
  return surfaces;
}

/** Every row of every table in the database's public schema, through a connection of its own. */
export async function databaseRows(url: string): Promise<Surface[]> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const tables = await sql<{ name: string }[]>`
      select table_name as name from information_schema.tables
      where table_schema = 'public' order by table_name`;
    const surfaces: Surface[] = [];
    for (const { name } of tables) {
      const rows = await sql.unsafe(`select * from "${name.replaceAll('"', '""')}"`);
      surfaces.push({ where: `table ${name}`, text: JSON.stringify(rows) });
    }
    return surfaces;
  } finally {
    await sql.end();
  }
}

/** Counts the rows of `openai_debug_events` over one connection of its own. */
export interface EventCounter {
  /** The row count, or null when the table is gone. */
  count(): Promise<number | null>;
  close(): Promise<void>;
}

export function eventCounter(url: string): EventCounter {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  return {
    async count() {
      const [found] = await sql<{ exists: boolean }[]>`
        select to_regclass('public.openai_debug_events') is not null as exists`;
      if (found?.exists !== true) return null;
      const [row] = await sql<{ count: string }[]>`
        select count(*)::text as count from openai_debug_events`;
      return Number(row?.count);
    },
    close: () => sql.end(),
  };
}

/** Empties `openai_debug_events`, when it exists, so each test sees only its own rows. */
export async function truncateEvents(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`do $$ begin
      if to_regclass('public.openai_debug_events') is not null then
        truncate openai_debug_events;
      end if;
    end $$`);
  } finally {
    await sql.end();
  }
}
