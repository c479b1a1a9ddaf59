/**
 * Names for the ways an attempt can fail without an HTTP error status: no response at all
 * (timeout, abort, connection refused) or a body that stopped early.
 */
import type { BodySummary } from './response-observer.js';

export interface FailureDescription {
  errorType: string;
  errorMessage: string;
}

/** A rejected fetch: `timeout`, `aborted` or `connection_error`, with the cause's message. */
export function describeFetchFailure(
  error: unknown,
  elapsedMs: number,
  timeoutMs: number,
): FailureDescription {
  const name = error instanceof Error ? error.name : '';
  const message = messageOf(error);
  if (name === 'TimeoutError') return { errorType: 'timeout', errorMessage: message };
  if (name === 'AbortError') {
    // The SDK enforces its timeout by aborting, so an abort at the deadline is a timeout.
    const timedOut = elapsedMs >= timeoutMs * 0.98;
    return { errorType: timedOut ? 'timeout' : 'aborted', errorMessage: message };
  }
  return { errorType: 'connection_error', errorMessage: message };
}

/** A body that was cancelled by its reader or broke while being read. */
export function describeBodyEnd(summary: BodySummary): FailureDescription {
  if (summary.end === 'cancelled') {
    return { errorType: 'aborted', errorMessage: 'the response body was cancelled by the reader' };
  }
  return { errorType: 'stream_broken', errorMessage: messageOf(summary.failure) };
}

/** An error's message with its cause's code, e.g. `fetch failed (ECONNREFUSED: ...)`. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (!(cause instanceof Error)) return error.message;
  const code = (cause as Error & { code?: unknown }).code;
  const detail = typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  return `${error.message} (${detail})`;
}
