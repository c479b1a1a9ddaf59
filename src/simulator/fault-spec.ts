/**
 * The compact fault syntax shared by the `x-simulator-fault` header and the CLI:
 * `status=429;latency=50`, and for rules also `path=/v1/embeddings;method=POST;times=2`.
 */
import type { FaultRule, FaultSpec } from './types.js';

const faultSyntax = 'status=<400-599>, latency=<ms>, malformed, cut-stream[=<events>], drop';
const ruleSyntax = 'path=<path>, method=<method>, times=<count>';

interface Entry {
  name: string;
  value: string | undefined;
}

/**
 * Parses a fault such as `status=503` or `status=429;latency=50`.
 *
 * @throws Error naming the valid faults when a name or value is not understood.
 * @example parseFaultSpec('cut-stream=3') // { cutStream: 3 }
 */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = {};
  for (const entry of splitEntries(text)) {
    if (readFaultEntry(spec, entry)) continue;
    throw new Error(`Unknown fault "${entry.name}" in "${text}". Valid faults: ${faultSyntax}.`);
  }
  requireFault(spec, text);
  return spec;
}

/**
 * Parses a fault rule: a fault plus optional `path`, `method` and `times`.
 * A path ending in `*` matches as a prefix.
 *
 * @throws Error naming the valid fields when a name or value is not understood.
 * @example parseFaultRule('path=/v1/embeddings;status=500;times=2')
 */
export function parseFaultRule(text: string): FaultRule {
  const fault: FaultSpec = {};
  const rule: Omit<FaultRule, 'fault'> = {};
  for (const entry of splitEntries(text)) {
    if (readFaultEntry(fault, entry) || readRuleEntry(rule, entry)) continue;
    throw new Error(
      `Unknown fault rule field "${entry.name}" in "${text}". ` +
        `Valid fields: ${ruleSyntax}, ${faultSyntax}.`,
    );
  }
  requireFault(fault, text);
  return { ...rule, fault };
}

function splitEntries(text: string): Entry[] {
  const seen = new Set<string>();
  const parts = text.split(';').map((part) => part.trim());
  return parts
    .filter((part) => part.length > 0)
    .map((part) => {
      const equals = part.indexOf('=');
      const name = (equals === -1 ? part : part.slice(0, equals)).trim().toLowerCase();
      if (seen.has(name)) throw new Error(`Fault field "${name}" appears twice in "${text}".`);
      seen.add(name);
      return { name, value: equals === -1 ? undefined : part.slice(equals + 1).trim() };
    });
}

function readFaultEntry(spec: FaultSpec, entry: Entry): boolean {
  switch (entry.name) {
    case 'status':
      spec.status = integerValue(entry, 400, 599);
      return true;
    case 'latency':
      spec.latencyMs = integerValue(entry, 0, 600_000);
      return true;
    case 'cut-stream':
      spec.cutStream = entry.value === undefined ? true : integerValue(entry, 0, 100_000);
      return true;
    case 'malformed':
      spec.malformed = flagValue(entry);
      return true;
    case 'drop':
      spec.drop = flagValue(entry);
      return true;
    default:
      return false;
  }
}

function readRuleEntry(rule: Omit<FaultRule, 'fault'>, entry: Entry): boolean {
  switch (entry.name) {
    case 'path':
      rule.path = pathValue(entry);
      return true;
    case 'method':
      rule.method = methodValue(entry);
      return true;
    case 'times':
      rule.times = integerValue(entry, 1, 1_000_000);
      return true;
    default:
      return false;
  }
}

function integerValue(entry: Entry, min: number, max: number): number {
  const value = entry.value ?? '';
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (number >= min && number <= max) return number;
  throw new Error(`Fault "${entry.name}" needs an integer from ${min} to ${max}, got "${value}".`);
}

function flagValue(entry: Entry): true {
  if (entry.value === undefined) return true;
  throw new Error(`Fault "${entry.name}" takes no value, got "${entry.name}=${entry.value}".`);
}

function pathValue(entry: Entry): string {
  if (entry.value?.startsWith('/')) return entry.value;
  throw new Error(`Fault rule "path" must start with "/", got "${entry.value ?? ''}".`);
}

function methodValue(entry: Entry): string {
  if (entry.value && /^[a-z]+$/i.test(entry.value)) return entry.value.toUpperCase();
  throw new Error(`Fault rule "method" must be an HTTP method, got "${entry.value ?? ''}".`);
}

function requireFault(spec: FaultSpec, text: string): void {
  if (Object.keys(spec).length > 0) return;
  throw new Error(`No fault in "${text}". Give at least one of: ${faultSyntax}.`);
}
