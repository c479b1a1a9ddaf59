/**
 * Public types of the OpenAI-compatible simulator: its options, the faults it can
 * inject and the journal of requests it keeps for tests and operators.
 */

/** An API key the simulator accepts, optionally bound to one organization. */
export interface SimulatorKey {
  key: string;
  /** When set, a request whose `OpenAI-Organization` header differs gets a 401. */
  organization?: string;
}

/** What goes wrong with a response. Several fields may combine (`status` with `latencyMs`). */
export interface FaultSpec {
  /** Respond with this HTTP status (400–599) and an OpenAI-shaped error body. */
  status?: number;
  /** Delay before the response headers are sent. */
  latencyMs?: number;
  /** Respond 200 with a body that is not valid JSON (garbage SSE for streams). */
  malformed?: boolean;
  /**
   * For streams: destroy the socket after this many events (`true` means 2), before
   * the final event and `[DONE]`.
   */
  cutStream?: boolean | number;
  /** Destroy the TCP connection without sending any response. */
  drop?: boolean;
}

/** A configured fault and the requests it applies to. */
export interface FaultRule {
  /** HTTP method, case-insensitive; absent matches every method. */
  method?: string;
  /**
   * Request path without query, e.g. `/v1/embeddings`. A string matches exactly, or as a
   * prefix when it ends with `*`; absent matches every path.
   */
  path?: string | RegExp;
  /** How many matching requests the rule applies to; absent means forever. */
  times?: number;
  fault: FaultSpec;
}

export interface SimulatorOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default 0, an ephemeral port. */
  port?: number;
  /** Accepted keys; when empty or absent, any bearer token starting with `sk-` is accepted. */
  keys?: SimulatorKey[];
  /** Faults tried in order; the first rule matching a request applies. */
  faults?: FaultRule[];
  /** How many retrieves a video takes to complete; default 2. */
  videoStepsToComplete?: number;
  /** Requests the journal keeps (default 10,000); older ones are forgotten. */
  journalLimit?: number;
  /** Structured log sink, one object per event; keys are never logged. */
  logger?: (line: object) => void;
}

/** One request as the simulator saw it. */
export interface SimulatedRequest {
  /** The `x-request-id` the response carried (`req_` and 32 hex characters). */
  id: string;
  method: string;
  /** Path without query, e.g. `/v1/embeddings`. */
  path: string;
  /** The bearer token that arrived; kept in memory only, for tests. */
  apiKey: string | undefined;
  organization: string | undefined;
  project: string | undefined;
  /** Request headers, lower-cased, with `authorization` removed. */
  headers: Record<string, string>;
  model: string | undefined;
  /** HTTP status sent; 101 for a WebSocket session, 0 when the connection was dropped. */
  statusCode: number;
  /** The refusal message when the simulated model refused, else null. */
  refusal: string | null;
  /** Parsed JSON body, or multipart fields with files as `{ name, size, type }`. */
  body: unknown;
  /** Epoch milliseconds. */
  startedAt: number;
}

export interface Simulator {
  /** `http://<host>:<port>`, without `/v1`. */
  url: string;
  /** `url` + `/v1`, ready for `new OpenAI({ baseURL })`. */
  baseURL: string;
  port: number;
  /** Every request so far, newest last. */
  requests: readonly SimulatedRequest[];
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Closes the HTTP server, its sockets and every WebSocket session. */
  close(): Promise<void>;
}
