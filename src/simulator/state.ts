/** What one simulator instance shares across routes: journal, faults, keys and rate limits. */
import type { EphemeralKey, KeyRing } from './auth.js';
import { FaultRules } from './faults.js';
import { RateLimits } from './rate-limits.js';
import type { SimulatedRequest, SimulatorKey, SimulatorOptions } from './types.js';

/** Journal entries kept by default; older ones are forgotten so long runs stay bounded. */
const DEFAULT_JOURNAL_LIMIT = 10_000;

export class SimulatorState {
  readonly journal: SimulatedRequest[] = [];
  readonly #journalById = new Map<string, SimulatedRequest>();
  readonly #journalLimit: number;
  readonly faults: FaultRules;
  readonly rateLimits = new RateLimits();
  readonly keys: readonly SimulatorKey[];
  readonly ephemeralKeys = new Map<string, EphemeralKey>();
  readonly videoStepsToComplete: number;
  readonly #logger: ((line: object) => void) | undefined;

  constructor(options: SimulatorOptions) {
    this.faults = new FaultRules(options.faults);
    this.keys = [...(options.keys ?? [])];
    this.videoStepsToComplete = options.videoStepsToComplete ?? 2;
    this.#logger = options.logger;
    this.#journalLimit = options.journalLimit ?? DEFAULT_JOURNAL_LIMIT;
  }

  /** Adds a request to the journal, forgetting the oldest beyond the limit. */
  remember(record: SimulatedRequest): void {
    this.journal.push(record);
    this.#journalById.set(record.id, record);
    // Trimming in slices keeps the cost per request constant.
    if (this.journal.length <= this.#journalLimit * 1.1) return;
    for (const old of this.journal.splice(0, this.journal.length - this.#journalLimit)) {
      this.#journalById.delete(old.id);
    }
  }

  /** A journaled request by its `x-request-id`. */
  recall(id: string): SimulatedRequest | undefined {
    return this.#journalById.get(id);
  }

  /** Keys accepted over HTTP; ephemeral keys only open realtime sessions. */
  get httpKeyRing(): KeyRing {
    return { keys: this.keys };
  }

  get realtimeKeyRing(): KeyRing {
    return { keys: this.keys, ephemeralKeys: this.ephemeralKeys };
  }

  /** One `simulator.request` line per answered request; the key is never part of it. */
  logRequest(record: SimulatedRequest): void {
    this.log('simulator.request', {
      requestId: record.id,
      method: record.method,
      path: record.path,
      model: record.model,
      statusCode: record.statusCode,
      durationMs: Date.now() - record.startedAt,
    });
  }

  log(event: string, fields: object = {}): void {
    try {
      this.#logger?.({ event, ...fields });
    } catch {
      // A failing log sink must never fail the request being logged.
    }
  }
}
