/**
 * Command-line flags of `npm run bench`: `--name value` pairs after the benchmark names,
 * read as whole numbers or comma-separated lists of them.
 */

export class Flags {
  readonly #values: ReadonlyMap<string, string>;

  constructor(values: ReadonlyMap<string, string>) {
    this.#values = values;
  }

  /** The flag names given on the command line, without `--`. */
  names(): string[] {
    return [...this.#values.keys()];
  }

  /** The given flags among `names`, back in command-line form: `['--calls', '2000']`. */
  toArgs(names: readonly string[]): string[] {
    return [...this.#values]
      .filter(([name]) => names.includes(name))
      .flatMap(([name, value]) => [`--${name}`, value]);
  }

  /** The given flags among `names`, as `name-value` parts joined by dots, e.g. `calls-2000`. */
  describe(names: readonly string[]): string {
    return [...this.#values]
      .filter(([name]) => names.includes(name))
      .map(([name, value]) => `${name}-${value.replaceAll(',', '_')}`)
      .join('.');
  }

  /** A whole number of at least `min` (default 1); `fallback` when the flag is absent. */
  int(name: string, fallback: number, min = 1): number {
    const value = this.#values.get(name);
    return value === undefined ? fallback : parseWhole(name, value, min);
  }

  /** A comma-separated list of positive integers, e.g. `--batch-sizes 500,2000`. */
  intList(name: string, fallback: readonly number[]): number[] {
    const value = this.#values.get(name);
    if (value === undefined) return [...fallback];
    return value.split(',').map((item) => parseWhole(name, item, 1));
  }
}

/** Splits `argv` into the leading benchmark names and the `--flag value` pairs after them. */
export function parseCommandLine(argv: readonly string[]): { names: string[]; flags: Flags } {
  const names: string[] = [];
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('--')) {
      if (values.size > 0) throw new Error(`"${arg}" must come before the flags.`);
      names.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split('=', 2);
    const value = inline ?? argv[index + 1];
    if (name === 'help') {
      values.set('help', 'true');
      continue;
    }
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value.`);
    values.set(name, value);
    if (inline === undefined) index += 1;
  }
  return { names, flags: new Flags(values) };
}

function parseWhole(name: string, text: string, min: number): number {
  const value = /^\d[\d_]*$/.test(text.trim()) ? Number(text.trim().replaceAll('_', '')) : NaN;
  if (Number.isSafeInteger(value) && value >= min) return value;
  throw new Error(
    `--${name} must be a whole number of at least ${min}, got ${JSON.stringify(text)}.`,
  );
}
