/**
 * `openai-ops simulate`: the OpenAI-compatible simulator on loopback, until interrupted.
 */
import type { Command } from 'commander';

import { parseFaultRule, startSimulator, type SimulatorKey } from '../../simulator/index.js';
import { CliExit, EXIT_USAGE } from '../exit-codes.js';
import type { CommandContext } from '../program.js';

interface SimulateOptions {
  port: string;
  host: string;
  key: string[];
  fault: string[];
}

export function registerSimulate(program: Command, context: () => CommandContext): void {
  program
    .command('simulate')
    .description('serve an OpenAI-compatible API on loopback for rehearsals and tests')
    .option('--port <port>', 'TCP port (0 picks a free one)', '4010')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--key <key[:org]>', 'accept this key (repeatable); default any sk- key', collect, [])
    .option(
      '--fault <rule>',
      'inject a fault, e.g. "path=/v1/embeddings;status=503;times=2" (repeatable)',
      collect,
      [],
    )
    .action(async (options: SimulateOptions) => {
      const out = context().output;
      const sim = await startSimulator({
        port: parsePort(options.port),
        host: options.host,
        keys: options.key.map(parseKey),
        faults: options.fault.map((text) => {
          try {
            return parseFaultRule(text);
          } catch (error) {
            throw new CliExit(`--fault: ${(error as Error).message}`, EXIT_USAGE);
          }
        }),
      });
      out.result({ url: sim.url, baseURL: sim.baseURL, port: sim.port });
      out.line(`OpenAI simulator listening on ${sim.url}`);
      out.line(`point clients at it with OPENAI_BASE_URL=${sim.baseURL}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.close();
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliExit(`--port must be a whole number from 0 to 65535; got ${text}`, EXIT_USAGE);
  }
  return port;
}

function parseKey(text: string): SimulatorKey {
  const colon = text.indexOf(':');
  if (colon === -1) return { key: text };
  return { key: text.slice(0, colon), organization: text.slice(colon + 1) };
}
