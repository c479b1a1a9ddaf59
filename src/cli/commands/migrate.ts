/** `openai-ops migrate`: applies the SQL migrations to the configured store. */
import type { Command } from 'commander';

import type { CommandContext } from '../program.js';
import { withStore } from '../store.js';

export function registerMigrate(program: Command, context: () => CommandContext): void {
  program
    .command('migrate')
    .description('apply the database migrations to the configured store (safe to repeat)')
    .action(async () => {
      const { output, env } = context();
      await withStore(env, async (store) => {
        await store.migrate();
        output.result({ store: store.kind, location: store.location, migrated: true });
        output.line(`${output.ok('migrated')} the ${store.kind} store at ${store.location}`);
      });
    });
}
