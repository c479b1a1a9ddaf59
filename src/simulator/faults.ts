/**
 * Which fault applies to a request: the `x-simulator-fault` header when present,
 * else the first configured rule that matches, whose `times` then counts down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from './errors.js';
import { parseFaultSpec } from './fault-spec.js';
import type { FaultRule, FaultSpec } from './types.js';

export const faultHeader = 'x-simulator-fault';

const defaultCutAfterEvents = 2;

interface ActiveRule {
  rule: FaultRule;
  remaining: number | undefined;
}

export class FaultRules {
  #rules: ActiveRule[] = [];

  constructor(rules: readonly FaultRule[] = []) {
    for (const rule of rules) this.add(rule);
  }

  /** @throws Error when the rule could never apply or names an impossible status. */
  add(rule: FaultRule): void {
    checkRule(rule);
    this.#rules.push({ rule, remaining: rule.times });
  }

  clear(): void {
    this.#rules = [];
  }

  /** The fault of the first rule matching the request, counting that use against `times`. */
  take(method: string, path: string): FaultSpec | undefined {
    const active = this.#rules.find(({ rule }) => ruleMatches(rule, method, path));
    if (!active) return undefined;
    if (active.remaining !== undefined) {
      active.remaining -= 1;
      if (active.remaining <= 0) this.#rules = this.#rules.filter((entry) => entry !== active);
    }
    return active.rule.fault;
  }
}

/** @throws HttpError 400 when the header does not parse. */
export function resolveFault(
  rules: FaultRules,
  method: string,
  path: string,
  header: string | undefined,
): FaultSpec | undefined {
  if (header === undefined) return rules.take(method, path);
  try {
    return parseFaultSpec(header);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, message, { param: faultHeader, code: 'invalid_simulator_fault' });
  }
}

/** Waits out a latency fault; the timer is unref'd so a closed simulator lets its process exit. */
export async function waitLatency(fault: FaultSpec | undefined): Promise<void> {
  if (fault?.latencyMs) await sleep(fault.latencyMs, undefined, { ref: false });
}

/** How many events a stream sends before it is cut, or undefined when it is not. */
export function cutAfterEvents(fault: FaultSpec | undefined): number | undefined {
  if (fault?.cutStream === undefined || fault.cutStream === false) return undefined;
  return fault.cutStream === true ? defaultCutAfterEvents : fault.cutStream;
}

function ruleMatches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.path === undefined) return true;
  if (rule.path instanceof RegExp) {
    rule.path.lastIndex = 0;
    return rule.path.test(path);
  }
  if (rule.path.endsWith('*')) return path.startsWith(rule.path.slice(0, -1));
  return rule.path === path;
}

function checkRule(rule: FaultRule): void {
  const { status, latencyMs } = rule.fault;
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new Error(`Fault rule "times" must be a positive integer, got ${rule.times}.`);
  }
  if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) {
    throw new Error(`Fault "status" must be an integer from 400 to 599, got ${status}.`);
  }
  if (latencyMs !== undefined && !(latencyMs >= 0)) {
    throw new Error(`Fault "latencyMs" must be zero or more, got ${latencyMs}.`);
  }
}
