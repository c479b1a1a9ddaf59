/**
 * The `openai-ops` program: commands, shared options and exit codes (0 ok, 1 a check
 * failed, 2 bad usage or configuration). `runCli` runs it in-process, for the binary and
 * for tests.
 */
import { Command, CommanderError } from 'commander';

import { processEnv, type EnvSource } from '../config/env.js';
import { OpenAIOpsConfigError } from '../config/errors.js';
import { OPENAI_OPS_VERSION } from '../version.js';
import { registerEnv } from './commands/env.js';
import { registerEvents } from './commands/events.js';
import { registerExport } from './commands/export.js';
import { registerKeysCheck } from './commands/keys-check.js';
import { registerMigrate } from './commands/migrate.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStart } from './commands/start.js';
import { registerTagsAudit } from './commands/tags-audit.js';
import { registerValidate } from './commands/validate.js';
import { CliExit, EXIT_USAGE } from './exit-codes.js';
import { createOutput, type Output } from './output.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

export interface CliIo {
  stdout?: Stream;
  stderr?: Stream;
  env?: EnvSource;
}

/** What every command receives: where to write and which environment to read. */
export interface CommandContext {
  output: Output;
  env: EnvSource;
  stderr: Stream;
}

export function buildProgram(io: CliIo = {}): Command {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const program = new Command('openai-ops')
    .description('Operate OpenAI traffic: configuration, debug events, validation and audits.')
    .version(OPENAI_OPS_VERSION)
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    });
  const context = (): CommandContext => ({
    output: createOutput({
      json: program.opts<{ json?: boolean }>().json === true,
      stdout,
      stderr,
    }),
    env: io.env ?? processEnv(),
    stderr,
  });
  registerEnv(program, context);
  registerMigrate(program, context);
  registerValidate(program, context);
  registerEvents(program, context);
  registerExport(program, context);
  registerTagsAudit(program, context);
  registerKeysCheck(program, context);
  registerSimulate(program, context);
  registerStart(program, context);
  return program;
}

/** Runs the program with `args` (without `node` and the script) and returns the exit code. */
export async function runCli(args: readonly string[], io: CliIo = {}): Promise<number> {
  const program = buildProgram(io);
  const stderr = io.stderr ?? process.stderr;
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
    const code = process.exitCode ?? 0;
    process.exitCode = undefined;
    return typeof code === 'number' ? code : Number(code);
  } catch (error) {
    process.exitCode = undefined;
    return exitCodeFor(error, stderr);
  }
}

function exitCodeFor(error: unknown, stderr: Stream): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof CliExit || error instanceof OpenAIOpsConfigError) {
    stderr.write(`openai-ops: ${error.message}\n`);
    return error instanceof CliExit ? error.exitCode : EXIT_USAGE;
  }
  stderr.write(`openai-ops: ${describeError(error)}\n`);
  return 1;
}

/** An unexpected error as one line: its message and its cause's code, without a stack. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}${cause}`;
}
