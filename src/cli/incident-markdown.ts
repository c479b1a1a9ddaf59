/**
 * The incident bundle as Markdown, ready to paste into an incident document or a support
 * ticket. Rendered from the redacted bundle only; stored values are shown as code so that
 * nothing in them is read as Markdown or HTML.
 */
import type { AttemptRecord, IncidentBundle } from './incident-bundle.js';
import { formatMs } from './incident-timeline.js';

/** The whole document, ending with a newline. */
export function renderIncidentMarkdown(bundle: IncidentBundle): string {
  const sections = [
    `# Incident export: ${code(bundle.request_id)}`,
    oneLine(escapeText(bundle.summary)),
    overview(bundle),
    attemptsSection(bundle.attempts),
    timelineSection(bundle),
    tagsSection(bundle),
    debugSection(bundle),
  ];
  if (bundle.notes.length > 0) {
    sections.push(`## Notes\n\n${bundle.notes.map((note) => `- ${oneLine(note)}`).join('\n')}`);
  }
  return `${sections.join('\n\n')}\n`;
}

function overview(bundle: IncidentBundle): string {
  const first = bundle.attempts[0];
  const error = bundle.error === null ? null : errorText(bundle.error);
  const rows: [string, string][] = [
    ['Request id', code(bundle.request_id)],
    ['When', first === undefined ? '' : code(first.started_at)],
    ['Workload', code(bundle.workload)],
    ['Organization', optional(bundle.organization)],
    ['Quota tag', optional(bundle.quota_tag)],
    ['Call', `${code(bundle.method)} ${code(bundle.endpoint)}, model ${optional(bundle.model)}`],
    ['Status', `${bundle.status_code ?? 'no response'} (${bundle.status})`],
    ['Error', error === null ? 'none' : code(error)],
    ['Client request id', optional(bundle.client_request_id)],
    [
      'Attempts',
      `${bundle.attempts.length}${bundle.attempts_complete ? '' : ' (may be incomplete)'}`,
    ],
    ['Exported', code(bundle.exported_at)],
  ];
  return table(['Field', 'Value'], rows);
}

function attemptsSection(attempts: readonly AttemptRecord[]): string {
  const head = ['#', 'Request id', 'Started', 'Status', 'Headers', 'Total', 'First chunk'];
  const rows = attempts.map((attempt) => [
    String(attempt.attempt),
    code(attempt.request_id),
    code(attempt.started_at),
    attempt.status_code === null ? attempt.status_class : String(attempt.status_code),
    milliseconds(attempt.latency_ms),
    milliseconds(attempt.duration_ms),
    milliseconds(attempt.first_chunk_ms),
    tokens(attempt),
    attempt.error === null ? '' : code(errorText(attempt.error)),
  ]);
  return `## Attempts\n\n${table([...head, 'Tokens in/out', 'Error'], rows)}`;
}

function timelineSection(bundle: IncidentBundle): string {
  const rows = bundle.timeline.map((entry) => [code(entry.at), oneLine(escapeText(entry.what))]);
  return `## Timeline\n\n${table(['At', 'What'], rows)}`;
}

function tagsSection(bundle: IncidentBundle): string {
  const tags = bundle.tags.length === 0 ? '(none)' : bundle.tags.map(code).join(' ');
  return `## Tags\n\n\`metadata.tags\` of ${code(bundle.request_id)}: ${tags}`;
}

function debugSection(bundle: IncidentBundle): string {
  if (bundle.debug === null || bundle.debug === undefined) {
    return '## Debug payload\n\nNone stored.';
  }
  const response = (bundle.debug as { response?: { status_code?: unknown; refusal?: unknown } })
    .response;
  const status = response?.status_code;
  const refusal = response?.refusal;
  const facts = [
    `From ${optional(bundle.debug_request_id)}.`,
    `Status code reported: ${typeof status === 'number' ? status : 'not reported'}.`,
    `Refusal: ${typeof refusal === 'string' && refusal !== '' ? code(refusal) : 'none'}.`,
  ];
  const payload = fenced(JSON.stringify(bundle.debug, null, 2));
  return `## Debug payload\n\n${facts.join(' ')}\n\n${payload}`;
}

function tokens(attempt: AttemptRecord): string {
  const { input_tokens: input, output_tokens: output } = attempt.usage;
  return input === null && output === null ? '' : `${input ?? '-'}/${output ?? '-'}`;
}

function milliseconds(value: number | null): string {
  return value === null ? '' : formatMs(value);
}

function errorText(error: { type: string | null; message: string | null }): string {
  return [error.type, error.message].filter((part) => part !== null).join(': ');
}

function optional(value: string | null): string {
  return value === null ? '(none)' : code(value);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A table cell: one line, pipes escaped (GitHub requires it even inside code spans). */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

/** Text on one line, other control characters (terminal escapes) shown as U+FFFD. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\p{Cc}/gu, '\uFFFD');
}

/** Inline code that holds any text, backticks included. */
function code(text: string): string {
  const value = oneLine(text);
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') || longest > 0 ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

function fenced(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}json\n${text}\n${fence}`;
}

/** Plain text with the characters Markdown or HTML would interpret escaped. */
function escapeText(text: string): string {
  return text.replace(/[\\`*_[\]<>#]/g, (char) => `\\${char}`);
}
