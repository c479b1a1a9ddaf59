/** Bearer-key authentication with OpenAI's 401 bodies; keys are only ever shown masked. */
import { HttpError } from './errors.js';
import type { SimulatorKey } from './types.js';

/** Who a request authenticated as. */
export interface Caller {
  key: string;
  /** The organization the key is bound to, if any. */
  organization: string | undefined;
}

/** A short-lived key issued by `/v1/realtime/client_secrets`. */
export interface EphemeralKey {
  caller: Caller;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface KeyRing {
  keys: readonly SimulatorKey[];
  /** Accepted besides `keys`, by value, until they expire. */
  ephemeralKeys?: ReadonlyMap<string, EphemeralKey>;
}

const keysPage = 'You can find your API key at https://platform.openai.com/account/api-keys.';

export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** `sk-...abcd`: never more than the last four characters, nothing at all for short keys. */
function maskKey(key: string): string {
  if (key.length < 12) return '***';
  return `${key.startsWith('sk-') ? 'sk-' : ''}...${key.slice(-4)}`;
}

/**
 * Resolves the caller of a request, or throws the 401 OpenAI would send.
 * Without configured keys, any token starting with `sk-` is accepted.
 */
export function authenticate(
  ring: KeyRing,
  apiKey: string | undefined,
  organization: string | undefined,
): Caller {
  if (apiKey === undefined) {
    throw new HttpError(
      401,
      "You didn't provide an API key. Provide it in an Authorization header using Bearer auth " +
        `(Authorization: Bearer YOUR_KEY). ${keysPage}`,
      { code: 'invalid_api_key' },
    );
  }
  const caller = findCaller(ring, apiKey);
  if (!caller) {
    throw new HttpError(401, `Incorrect API key provided: ${maskKey(apiKey)}. ${keysPage}`, {
      code: 'invalid_api_key',
    });
  }
  if (caller.organization && organization && organization !== caller.organization) {
    throw new HttpError(401, 'OpenAI-Organization header should match organization for API key.', {
      code: 'mismatched_organization',
    });
  }
  return caller;
}

function findCaller(ring: KeyRing, apiKey: string): Caller | undefined {
  const ephemeral = ring.ephemeralKeys?.get(apiKey);
  if (ephemeral && ephemeral.expiresAt * 1000 > Date.now()) return ephemeral.caller;
  if (ring.keys.length === 0) {
    return apiKey.startsWith('sk-') ? { key: apiKey, organization: undefined } : undefined;
  }
  const configured = ring.keys.find((entry) => entry.key === apiKey);
  return configured && { key: configured.key, organization: configured.organization };
}
