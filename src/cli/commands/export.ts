/**
 * `openai-ops export <request-id>`: the incident bundle of runbook section 5, every attempt
 * of a failed call with its debug payload, tags snapshot, quota tag and timeline, as JSON
 * and as Markdown for an incident document or a support ticket. Everything is redacted.
 */
import { constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';

import type { Command } from 'commander';

import type { EnvSource } from '../../config/env.js';
import { quoteValue } from '../../config/quote.js';
import { CliExit, EXIT_CHECK_FAILED, EXIT_USAGE } from '../exit-codes.js';
import { buildIncidentBundle, type IncidentBundle } from '../incident-bundle.js';
import { findIncidentAttempts } from '../incident-lookup.js';
import { oneLine, renderIncidentMarkdown } from '../incident-markdown.js';
import { exportRedactor } from '../incident-redact.js';
import { checkFilterValue } from '../filters.js';
import { withStore } from '../store.js';
import type { Output } from '../output.js';
import type { CommandContext } from '../program.js';

const HELP = `
The request id is any attempt's x-request-id (from logs, telemetry or \`openai-ops events\`),
or the local_… id of an attempt that got no response. Every attempt of the same call (the
SDK's retries share a client request id) is exported with it.

Without --out, prints the Markdown summary (or the JSON bundle with --json).
API keys and bearer tokens are removed from everything exported, as are matches of
OPENAI_DEBUG_REDACT_PATTERNS; keys appear only as fingerprints (sk-…abcd). Captured
prompt and completion content is never exported.

Exit codes: 0 exported, 1 no event has that request id, 2 bad usage or the store
cannot be read.`;

export function registerExport(program: Command, context: () => CommandContext): void {
  program
    .command('export')
    .description('export a call for an incident: attempts, debug payload, tags, timeline')
    .argument('<request-id>', 'request id of any attempt of the call')
    .option(
      '--out <file>',
      'write the JSON bundle to <file> and the Markdown beside it (<file> with .md for .json)',
    )
    .addHelpText('after', HELP)
    .action(async (requestId: string, options: { out?: string }) => {
      const { output, env } = context();
      const id = checkFilterValue(requestId.trim(), 'the request id');
      if (id === '') {
        throw new CliExit('the request id is empty; pass the id to export', EXIT_USAGE);
      }
      const paths = options.out === undefined ? undefined : outputPaths(options.out);
      const bundle = await exportBundle(env, id);
      const markdown = renderIncidentMarkdown(bundle);
      if (paths === undefined) {
        output.result(bundle);
        output.line(markdown.trimEnd());
        return;
      }
      await writeBundle(paths, bundle, markdown);
      reportWritten(output, bundle, paths);
    });
}

interface OutputPaths {
  json: string;
  markdown: string;
}

/** The redacted bundle of the call `id` belongs to; exit code 1 when no event has the id. */
async function exportBundle(env: EnvSource, id: string): Promise<IncidentBundle> {
  const redact = exportRedactor(env);
  const { found, location } = await withStore(env, async (store) => ({
    found: await findIncidentAttempts(store, id),
    location: store.location,
  }));
  if (found === null) {
    throw new CliExit(
      `no event with request id ${quoteValue(redact(id))} in ${location}; check the id, ` +
        'that the event is within the store’s retention, and that OPENAI_DEBUG_LOGGING ' +
        'was on where the request was made',
      EXIT_CHECK_FAILED,
    );
  }
  return buildIncidentBundle(id, found, redact);
}

/** `incident.json` → `incident.md`; any other name gets `.md` appended. */
function outputPaths(out: string): OutputPaths {
  const extension = extname(out).toLowerCase();
  const stem = extension === '.json' || extension === '.md' ? out.slice(0, -extension.length) : out;
  if (extension === '.md') {
    const suggestion = JSON.stringify(`${stem}.json`);
    throw new CliExit(
      `--out names the JSON file and the Markdown goes beside it; use e.g. ${suggestion}`,
      EXIT_USAGE,
    );
  }
  return { json: out, markdown: `${stem}.md` };
}

async function writeBundle(
  paths: OutputPaths,
  bundle: IncidentBundle,
  markdown: string,
): Promise<void> {
  for (const [path, text] of [
    [paths.json, `${JSON.stringify(bundle, null, 2)}\n`],
    [paths.markdown, markdown],
  ] as const) {
    try {
      // O_NOFOLLOW: a symlink planted where the bundle goes must not redirect the write.
      const flags =
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
      await writeFile(path, text, { encoding: 'utf8', mode: 0o600, flag: flags });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliExit(`cannot write ${path}: ${reason}`, EXIT_USAGE);
    }
  }
}

function reportWritten(output: Output, bundle: IncidentBundle, paths: OutputPaths): void {
  output.result({ request_id: bundle.request_id, ...paths, summary: bundle.summary });
  output.line(oneLine(bundle.summary));
  output.line(output.ok(`wrote ${paths.json} and ${paths.markdown}`));
}
