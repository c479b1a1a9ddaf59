/** Exit codes every command uses, so CI jobs and cron can act on them. */
export const EXIT_OK = 0;
/** A check ran and failed. */
export const EXIT_CHECK_FAILED = 1;
/** The command line or the configuration is wrong; nothing was checked. */
export const EXIT_USAGE = 2;

/** Thrown by commands to end with a message and an exit code. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}
