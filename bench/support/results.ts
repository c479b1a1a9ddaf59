/**
 * Where results go: `bench/results/<benchmark>.json`, formatted like the rest of the
 * repository so the files can be committed and cited, with the machine they came from.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

import { format, resolveConfig } from 'prettier';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
}

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function describeMachine(postgresVersion: string): MachineInfo {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    node: process.version,
    postgres: postgresVersion,
  };
}

/** Writes `result` as `bench/results/<name>.json` and returns the path. */
export async function writeResult(name: string, result: object): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${name}.json`;
  const config = (await resolveConfig(path)) ?? {};
  const text = await format(JSON.stringify(result), { ...config, parser: 'json' });
  await writeFile(path, text);
  return path;
}
