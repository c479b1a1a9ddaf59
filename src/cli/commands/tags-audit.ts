/**
 * `openai-ops tags audit`: the quarterly tag audit of runbook section 6. Stored tags and
 * quota tags are compared with a catalogue of the keys, values and quota tags that finance
 * billing and the dashboards know; the exit code lets a pipeline gate on the result.
 */
import type { Command } from 'commander';

import { parseDurationMs } from '../duration.js';
import { CliExit, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { withStore } from '../store.js';
import type { Output } from '../output.js';
import type { CommandContext } from '../program.js';
import { CONTEXT_TAG_KEYS, loadTagCatalogue } from '../tag-catalogue.js';
import { auditTags, type TagAuditFindings } from '../tag-catalogue-audit.js';
import { MAX_WINDOW_SECONDS, readTagUsage } from '../tag-catalogue-usage.js';

interface TagsAuditOptions {
  catalogue: string;
  since: string;
}

interface TagAuditReport extends TagAuditFindings {
  catalogue: string;
  store: string;
  window: string;
  since: string;
}

const HELP = `
The catalogue (YAML or JSON, by extension, else either):
  tags:                  # allowed keys; per key "*" (any value) or a list of values
    service: [rag, ledger]
    env: [prod, staging]
    team: "*"
  quota_tags: [finance-emea, finance-apac]   # billing quota tags finance knows

The keys the library adds itself (${CONTEXT_TAG_KEYS.join(', ')})
are always allowed; list one only to restrict its values.

Violations, which fail the audit: a tag whose key or value is not in the catalogue (or
that is not key:value), and a quota tag that is not in quota_tags.
Warnings, reported without failing: catalogue keys, values and quota tags no event used,
and traffic without a quota tag (share per workload).

Exit codes: 0 no violations, 1 violations found, 2 bad catalogue, bad usage or the store
cannot be read.`;

export function registerTagsAudit(program: Command, context: () => CommandContext): void {
  const tags =
    program.commands.find((command) => command.name() === 'tags') ??
    program.command('tags').description('tag catalogue checks (runbook section 6)');
  tags
    .command('audit')
    .description('compare stored tags and quota tags with the tag catalogue')
    .requiredOption('--catalogue <file>', 'the tag catalogue, YAML or JSON (format below)')
    .option('--since <duration>', 'audit events newer than this, e.g. 30d or 12w', '90d')
    .addHelpText('after', HELP)
    .action(async (options: TagsAuditOptions) => {
      const { output, env } = context();
      const windowSeconds = parseWindow(options.since);
      const catalogue = await loadTagCatalogue(options.catalogue);
      const { usage, location } = await withStore(env, async (store) => ({
        usage: await readTagUsage(store, windowSeconds),
        location: store.location,
      }));
      const report: TagAuditReport = {
        catalogue: options.catalogue,
        store: location,
        window: options.since,
        since: new Date(Date.now() - windowSeconds * 1000).toISOString(),
        ...auditTags(catalogue, usage),
      };
      output.result(report);
      printReport(output, report);
      process.exitCode = report.violations > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
    });
}

function parseWindow(text: string): number {
  const seconds = Math.ceil(parseDurationMs(text, '--since') / 1000);
  if (seconds >= 1 && seconds <= MAX_WINDOW_SECONDS) return seconds;
  throw new CliExit(`--since must be from 1s to 520w; got ${JSON.stringify(text)}`, EXIT_USAGE);
}

function printReport(output: Output, report: TagAuditReport): void {
  output.line(
    `tag audit of ${report.events} events since ${report.since} (${report.window}) in ` +
      `${report.store}, against ${report.catalogue}`,
  );
  if (report.events === 0) {
    output.line(output.warn('! no events in the window: nothing was audited'));
  }
  printViolations(output, report);
  printWarnings(output, report);
  output.line(
    report.violations === 0
      ? output.ok(`PASS: no violations, ${report.warnings} warning(s)`)
      : output.bad(
          `FAIL: ${report.violations} violation(s), ${report.warnings} warning(s): fix the ` +
            `services' tags, or add them to ${report.catalogue} if they are intended`,
        ),
  );
}

function printViolations(output: Output, report: TagAuditReport): void {
  const tags = report.uncatalogued_tags;
  if (tags.length > 0) {
    output.line(output.bad(`✗ ${tags.length} tag(s) not in the catalogue`));
    output.table(
      ['tag', 'problem', 'events', 'workloads'],
      tags.map((row) => [row.tag, row.problem, row.events, row.workloads.join(', ')]),
    );
  }
  const quotas = report.unknown_quota_tags;
  if (quotas.length > 0) {
    output.line(output.bad(`✗ ${quotas.length} quota tag(s) unknown to billing`));
    output.table(
      ['quota tag', 'events', 'workloads'],
      quotas.map((row) => [row.quota_tag, row.events, row.workloads.join(', ')]),
    );
  }
}

function printWarnings(output: Output, report: TagAuditReport): void {
  const unused = report.unused_catalogue_entries;
  if (unused.length > 0) {
    output.line(output.warn(`! ${unused.length} catalogue key(s) with entries no event used`));
    output.table(
      ['key', 'unused'],
      unused.map((row) => [row.key, row.key_unused ? 'the whole key' : row.values.join(', ')]),
    );
  }
  if (report.unused_quota_tags.length > 0) {
    output.line(output.warn(`! quota tags no event used: ${report.unused_quota_tags.join(', ')}`));
  }
  if (report.workloads.length > 0) {
    output.line('quota tag coverage');
    output.table(
      ['workload', 'events', 'without quota tag', 'share'],
      report.workloads.map((row) => [
        row.workload,
        row.events,
        row.without_quota_tag,
        `${(row.share_without_quota_tag * 100).toFixed(1)}%`,
      ]),
    );
  }
}

/** Stored text for a terminal: control characters (escape sequences) shown as U+FFFD. */
