/** `openai-ops migrate`: applies the SQL migrations to the configured store. */
import type { Command } from 'commander';

import { openEventStore } from '../../stores/select-store.js';
import type { CommandContext } from '../program.js';

export function registerMigrate(program: Command, context: () => CommandContext): void {
  program
    .command('migrate')
    .description('apply the database migrations to the configured store (safe to repeat)')
    .action(async () => {
      const { output, env } = context();
      const store = await openEventStore(env);
      try {
        await store.migrate();
        output.result({ store: store.kind, location: store.location, migrated: true });
        output.line(`${output.ok('migrated')} ${store.kind} store ${store.location}`);
      } finally {
        await store.close();
      }
    });
}
