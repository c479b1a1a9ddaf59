/**
 * A failed request to Supabase's REST API as one error that says what PostgREST answered
 * and what to do about it. supabase-js reports failures as values, not exceptions; the
 * Supabase store turns every one into this error so no failed write passes as a success.
 */

/** The `error` of a supabase-js response: PostgREST's JSON error, or a fetch failure. */
export interface RestFailure {
  message?: string | null;
  code?: string | null;
  details?: string | null;
  hint?: string | null;
}

/** What the message may mention, and the one value it must never contain. */
export interface RestErrorContext {
  /** The project URL, as `store.location` shows it. */
  location: string;
  /** The service-role key; replaced by `***` should any text echo it. */
  secret: string;
}

/** Longest excerpt of a server's message, hint or network cause kept in a message. */
const MAX_PART_LENGTH = 300;

/** A request to the Supabase REST API (PostgREST) that did not succeed. */
export class SupabaseRestError extends Error {
  override readonly name = 'SupabaseRestError';
  /** HTTP status of the answer, or 0 when none arrived (network failure, timeout). */
  readonly status: number;
  /** PostgREST's (`PGRST205`) or PostgreSQL's (`42501`) error code; `''` without an answer. */
  readonly code: string;
  readonly hint: string | null;
  /** PostgREST's details, kept out of `message` because they can quote a rejected row. */
  readonly details: string | null;

  constructor(
    message: string,
    fields: { status: number; code: string; hint: string | null; details: string | null },
  ) {
    super(message);
    this.status = fields.status;
    this.code = fields.code;
    this.hint = fields.hint;
    this.details = fields.details;
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= MAX_PART_LENGTH ? flat : `${flat.slice(0, MAX_PART_LENGTH)}…`;
}

/** `text` clipped and ending in a full stop, whether or not the server wrote one. */
function sentence(text: string): string {
  const clipped = clip(text);
  return /[.!?…]$/.test(clipped) ? clipped : `${clipped}.`;
}

/** The first line of fetch's "Caused by" chain (`connect ECONNREFUSED ...`), without the stack. */
function networkCause(failure: RestFailure): string {
  const cause = /^Caused by: (.*)$/m.exec(failure.details ?? '')?.[1];
  if (cause !== undefined) return clip(cause);
  if (failure.hint) return clip(failure.hint);
  return clip(failure.message ?? 'no response');
}

/** What the operator should do, for the failures that have one clear fix. */
function advice(status: number, code: string, location: string): string {
  if (status === 0) return `Check that SUPABASE_URL (${location}) is right and reachable.`;
  if (code === 'PGRST205' || code === '42P01') {
    return (
      'The table openai_debug_events does not exist: apply the openai-ops migrations with ' +
      '`supabase db push` (or `openai-ops migrate` with OPENAI_OPS_DATABASE_URL set to the ' +
      "project's connection string)."
    );
  }
  if (code === 'PGRST202' || code === '42883') {
    return (
      'The function openai_debug_events_upsert is missing: apply the openai-ops migrations ' +
      "with `supabase db push`; if they were just applied, reload PostgREST's schema cache " +
      "(`notify pgrst, 'reload schema'`)."
    );
  }
  if (status === 401 || status === 403 || code === '42501' || code.startsWith('PGRST30')) {
    return "Check SUPABASE_SERVICE_ROLE_KEY: it must be the project's service_role (secret) key.";
  }
  return '';
}

/**
 * The error for a failed `action` ("write to openai_debug_events"), built from the response
 * supabase-js returned. The key never appears in it, even if the server echoed it.
 *
 * @example
 * const { error, status } = await client.from('openai_debug_events').upsert(rows);
 * if (error) throw restError('write to openai_debug_events', error, status, context);
 */
export function restError(
  action: string,
  failure: RestFailure,
  status: number,
  context: RestErrorContext,
): SupabaseRestError {
  const code = failure.code ?? '';
  const parts: string[] = [];
  if (status === 0) {
    parts.push(`no response: ${sentence(networkCause(failure))}`);
  } else {
    const label = code === '' ? `HTTP ${status}` : `HTTP ${status}, ${code}`;
    parts.push(`${label}: ${sentence(failure.message ?? 'no message')}`);
    // Details stay out of the message: for a rejected row they quote the row's values.
    if (failure.hint) parts.push(`Hint: ${sentence(failure.hint)}`);
  }
  const fix = advice(status, code, context.location);
  if (fix !== '') parts.push(fix);

  const message = redact(`Supabase REST ${action} failed: ${parts.join(' ')}`, context.secret);
  return new SupabaseRestError(message, {
    status,
    code,
    hint: failure.hint ? redact(failure.hint, context.secret) : null,
    // Without an answer, supabase-js puts a stack trace in details; the cause is what matters.
    details:
      status === 0
        ? redact(networkCause(failure), context.secret)
        : failure.details
          ? redact(failure.details, context.secret)
          : null,
  });
}

/** `text` with every occurrence of `secret` replaced by `***`. */
export function redact(text: string, secret: string): string {
  return secret === '' ? text : text.replaceAll(secret, '***');
}
