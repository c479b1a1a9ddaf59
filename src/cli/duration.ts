/** Durations on the command line: `90s`, `15m`, `1h`, `7d`, `2w`. */
import { CliExit, EXIT_USAGE } from './exit-codes.js';

const MAX_DURATION_MS = 3_650 * 86_400_000;

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDurationMs(text: string, option: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (match === null) {
    throw new CliExit(
      `${option} must be a number and a unit (s, m, h, d, w), e.g. 1h or 90d; ` +
        `got ${JSON.stringify(text)}`,
      EXIT_USAGE,
    );
  }
  const durationMs = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  if (durationMs > MAX_DURATION_MS) {
    throw new CliExit(`${option} must be at most 3650d (ten years); got ${text}`, EXIT_USAGE);
  }
  return durationMs;
}
