/**
 * `openai-ops events`: stored debug events, newest first, filtered the way dashboards filter.
 */
import type { Command } from 'commander';

import { parseTag } from '../../openai/tags.js';
import { resolveWorkloadName } from '../../openai/workloads.js';
import { withStore } from '../store.js';
import type { DebugEventRow, EventQuery, StatusClass } from '../../stores/types.js';
import { parseDurationMs } from '../duration.js';
import { checkFilterValue } from '../filters.js';
import { CliExit, EXIT_USAGE } from '../exit-codes.js';
import type { Output } from '../output.js';
import type { CommandContext } from '../program.js';

interface EventsOptions {
  since?: string;
  limit: string;
  tag: string[];
  status?: string;
  endpoint?: string;
  model?: string;
  workload?: string;
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'error'];

export function registerEvents(program: Command, context: () => CommandContext): void {
  program
    .command('events')
    .description('list stored debug events, newest first')
    .option('--since <duration>', 'only events newer than this, e.g. 1h, 7d')
    .option('--limit <n>', 'at most this many events', '20')
    .option('--tag <key:value>', 'only events with this tag (repeatable)', collect, [])
    .option('--status <class>', `only this status class (${STATUS_CLASSES.join(', ')})`)
    .option('--endpoint <path>', 'only this endpoint, e.g. /embeddings')
    .option('--model <model>', 'only this model')
    .option('--workload <name>', 'only this workload')
    .action(async (options: EventsOptions) => {
      const { output, env } = context();
      const query = toQuery(options, env);
      printEvents(output, await withStore(env, (store) => store.queryEvents(query)));
    });
}

export function printEvents(output: Output, events: DebugEventRow[]): void {
  output.result(events);
  if (events.length === 0) {
    output.line('no events match');
    return;
  }
  output.table(
    ['time', 'request id', 'endpoint', 'model', 'status', 'ms', 'tokens in/out', 'quota'],
    events.map((event) => [
      event.createdAt.replace('T', ' ').slice(0, 19),
      event.attempt > 1 ? `${event.requestId} #${event.attempt}` : event.requestId,
      event.endpoint,
      event.model,
      event.statusCode === null ? (event.errorType ?? 'error') : event.statusCode,
      event.durationMs === null ? null : Math.round(event.durationMs),
      `${event.inputTokens ?? '-'}/${event.outputTokens ?? '-'}`,
      event.metadata.quota_tag,
    ]),
  );
}

function toQuery(options: EventsOptions, env: CommandContext['env']): EventQuery {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new CliExit(
      `--limit must be a whole number from 1 to 10000; got ${options.limit}`,
      EXIT_USAGE,
    );
  }
  const query: EventQuery = { limit };
  if (options.since !== undefined) {
    query.since = new Date(Date.now() - parseDurationMs(options.since, '--since'));
  }
  if (options.tag.length > 0) {
    query.tags = options.tag.map((tag) => parseTag(tag, '--tag').join(':'));
  }
  if (options.status !== undefined) query.statusClass = parseStatus(options.status);
  if (options.endpoint !== undefined) {
    query.endpoint = checkFilterValue(options.endpoint, '--endpoint');
  }
  if (options.model !== undefined) query.model = checkFilterValue(options.model, '--model');
  if (options.workload !== undefined) query.workload = resolveWorkloadName(options.workload, env);
  return query;
}

function parseStatus(text: string): StatusClass {
  const normalised = text.toLowerCase();
  if (STATUS_CLASSES.includes(normalised)) return normalised as StatusClass;
  throw new CliExit(
    `--status must be one of ${STATUS_CLASSES.join(', ')}; got ${text}`,
    EXIT_USAGE,
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
