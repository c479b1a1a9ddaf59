/**
 * Output for people and for tools: tables and colour when standard output is a terminal,
 * plain text when it is not, JSON with `--json`.
 */
import Table from 'cli-table3';
import pc from 'picocolors';

export interface Output {
  json: boolean;
  color: boolean;
  /** Writes one line of human output (nothing in JSON mode). */
  line(text?: string): void;
  /** Writes the command's result: JSON in JSON mode, nothing otherwise. */
  result(value: unknown): void;
  /** Progress for long work, on standard error so pipes stay clean. */
  progress(text: string): void;
  table(head: string[], rows: (string | number | null)[][]): void;
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
}

export function createOutput(options: {
  json: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const color = !options.json && stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const paint = pc.createColors(color);
  return {
    json: options.json,
    color,
    line: (text = '') => {
      if (!options.json) stdout.write(`${text}\n`);
    },
    result: (value) => {
      if (options.json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    progress: (text) => {
      if (stderr.isTTY === true && !options.json) stderr.write(`${paint.dim(text)}\n`);
    },
    table: (head, rows) => {
      if (options.json) return;
      const table = new Table({
        head: head.map((cell) => paint.bold(cell)),
        style: { head: [], border: [] },
        chars: color ? {} : PLAIN_BORDERS,
      });
      for (const row of rows) {
        table.push(row.map((cell) => (cell === null ? '' : printable(String(cell)))));
      }
      stdout.write(`${table.toString()}\n`);
    },
    ok: (text) => paint.green(text),
    bad: (text) => paint.red(text),
    warn: (text) => paint.yellow(text),
    dim: (text) => paint.dim(text),
  };
}

/**
 * Stored values are data from outside: control characters (terminal escapes) and
 * direction overrides are shown as U+FFFD instead of acting on the operator's terminal.
 * Line breaks stay, so multi-line cells still read as such.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u200B-\u200F\u202A-\u202E\u2066-\u2069]/gu, (char) =>
    char === '\n' ? char : '\uFFFD',
  );
}

const PLAIN_BORDERS = {
  top: '-',
  'top-mid': '+',
  'top-left': '+',
  'top-right': '+',
  bottom: '-',
  'bottom-mid': '+',
  'bottom-left': '+',
  'bottom-right': '+',
  left: '|',
  'left-mid': '+',
  mid: '-',
  'mid-mid': '+',
  right: '|',
  'right-mid': '+',
  middle: '|',
};
