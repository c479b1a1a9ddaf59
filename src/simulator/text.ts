/**
 * Deterministic content: hashes, seeded randomness and generated replies, so the same
 * input always gets the same output and different inputs almost never share one.
 */
import { createHash } from 'node:crypto';

const vocabulary = (
  'the system request response latency token model stream answer operator signal quota ' +
  'budget metric trace event window batch cache region review policy result draft summary ' +
  'context detail status record report estimate forecast ledger balance invoice audit ' +
  'schedule reliable steady quick careful clear brief useful local stable ready final first ' +
  'next each every with for from about into across under within after before simulated plan'
).split(' ');

export function digest(...parts: (string | Uint8Array)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest();
}

/** A pseudo-random sequence in [0, 1) that depends only on `seed` (mulberry32). */
export function seededRandom(seed: Buffer): () => number {
  let state = seed.readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A reply of 12 to 40 words in short sentences, chosen by a hash of `prompt`. */
export function composeReply(prompt: string): string {
  const random = seededRandom(digest('reply', prompt));
  const wordCount = 12 + Math.floor(random() * 29);
  const sentences: string[] = [];
  let remaining = wordCount;
  while (remaining > 0) {
    const length = Math.min(remaining, 5 + Math.floor(random() * 8));
    const words = Array.from({ length }, () => pick(random));
    const sentence = words.join(' ');
    sentences.push(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`);
    remaining -= length;
  }
  return sentences.join(' ');
}

/** Words with their leading whitespace, the way models stream text deltas. */
export function splitDeltas(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** All the text in a request value: strings, and `text`/`content`/`output` fields, recursively. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    return value
      .map(textOf)
      .filter((text) => text.length > 0)
      .join('\n');
  }
  if (typeof value !== 'object' || value === null) return '';
  const fields = value as Record<string, unknown>;
  return textOf(fields.text ?? fields.content ?? fields.output ?? fields.transcript ?? '');
}

function pick(random: () => number): string {
  return vocabulary[Math.floor(random() * vocabulary.length)] ?? 'the';
}
