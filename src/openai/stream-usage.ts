/**
 * Chat streams report token usage only when asked to, in a last event of their own. The
 * instrumented client asks for it on behalf of whoever records the call, unless the
 * caller decided either way, and marks the request so that the fetch it reaches knows to
 * keep that event from the caller, who did not ask for it.
 */
import { isObject } from '../events/usage.js';

/**
 * Set in the fetch options of a request whose usage the client asked for. The SDK copies
 * a request's `fetchOptions` into what it hands its fetch, so the mark arrives there; as
 * a symbol it is never sent.
 */
const STREAM_USAGE_ASKED = Symbol('openai-ops.streamUsageAsked');

/** The parts of the SDK's options for one request that asking for usage looks at. */
export interface StreamableRequest {
  path: string;
  stream?: boolean | undefined;
  body?: unknown;
  fetchOptions?: object | undefined;
}

/**
 * Asks a chat stream for its usage, in the SDK's options for the request before they are
 * sent: the body is replaced by a copy with `stream_options.include_usage`, so the
 * caller's parameters stay as they were. Retries of the request reuse the options and
 * stay asked and marked.
 */
export function askForStreamUsage(options: StreamableRequest): void {
  if (options.stream !== true || options.path !== '/chat/completions') return;
  if (isStreamUsageAsked(options.fetchOptions)) return;
  const body = options.body;
  if (!isObject(body)) return;
  const streamOptions = isObject(body.stream_options) ? body.stream_options : undefined;
  if (streamOptions !== undefined && 'include_usage' in streamOptions) return;
  options.body = { ...body, stream_options: { ...streamOptions, include_usage: true } };
  options.fetchOptions = { ...options.fetchOptions, [STREAM_USAGE_ASKED]: true };
}

/** Whether the fetch options (or the SDK's `fetchOptions`) carry the mark. */
export function isStreamUsageAsked(init: object | undefined): boolean {
  return init !== undefined && (init as Record<symbol, unknown>)[STREAM_USAGE_ASKED] === true;
}
