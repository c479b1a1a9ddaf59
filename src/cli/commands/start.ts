/**
 * `openai-ops start`, the main job of `npm start`: a full validation run of the default and
 * the finance workload against the built-in simulator, recorded in the configured store
 * (the embedded one unless a database is configured), then the newest events as the
 * runbook's query shows them. Where no tags are configured, example ones are used.
 */
import type { Command } from 'commander';

import type { EnvSource } from '../../config/env.js';
import { withStore } from '../store.js';
import type { CommandContext } from '../program.js';
import { runValidation } from './validate.js';

/** The runbook's newest-events query, run exactly as operators run it. */
export const RUNBOOK_QUERY =
  "select request_id, endpoint, metadata->'tags', metadata->>'quota_tag'\n" +
  'from openai_debug_events order by created_at desc limit 5;';

export function registerStart(program: Command, context: () => CommandContext): void {
  program
    .command('start')
    .description('rehearse the whole loop: validate against the simulator, then show events')
    .action(async () => {
      const { output, env } = context();
      const rehearsal = rehearsalEnv(env);
      let code = 0;
      for (const workload of ['default', 'finance']) {
        output.line(output.dim(`validating ${workload} against the built-in simulator`));
        const kinds = 'embedding,response,realtime,video';
        const result = await runValidation({ workload, kinds, simulate: true }, rehearsal, output);
        code = Math.max(code, result);
        output.line();
      }
      await withStore(env, async (store) => {
        const rows = await store.sql(RUNBOOK_QUERY);
        output.line(`newest events in the ${store.kind} store at ${store.location}:`);
        output.table(
          ['request_id', 'endpoint', 'tags', 'quota_tag'],
          rows.map((row) => Object.values(row).map(cell)),
        );
      });
      process.exitCode = code;
    });
}

/** Example tags and quota tags where none are configured, so the rehearsal shows them. */
function rehearsalEnv(env: EnvSource): EnvSource {
  return {
    OPENAI_REQUEST_TAGS: 'service:openai-ops,env:rehearsal',
    OPENAI_REQUEST_QUOTA_TAG_FINANCE_PROD: 'finance-rehearsal',
    OPENAI_REQUEST_QUOTA_TAG_FINANCE_STAGING: 'finance-rehearsal',
    ...env,
  };
}

function cell(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.join('\n');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
