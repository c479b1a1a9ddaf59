/**
 * The one error type for bad configuration. Every message names what is wrong, where it
 * came from (usually an environment variable) and what to do about it, so an operator can
 * fix a deployment from the error alone.
 */
export class OpenAIOpsConfigError extends Error {
  override readonly name = 'OpenAIOpsConfigError';

  /** The environment variable or option that holds the bad value, when there is one. */
  readonly variable: string | undefined;

  constructor(message: string, options: { variable?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.variable = options.variable;
  }
}
