/** Shared set-up for simulator tests: a bare SDK client and a WAV generator independent of src/. */
import OpenAI from 'openai';
import type { Simulator } from '../../src/simulator/index.js';

export const testKey = 'sk-test-0123456789abcdef';

export function clientFor(
  sim: Simulator,
  options: { apiKey?: string; organization?: string } = {},
): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? testKey,
    organization: options.organization ?? null,
    baseURL: sim.baseURL,
    maxRetries: 0,
  });
}

/** A mono 16-bit PCM WAV of silence lasting `durationSeconds`. */
export function silentWav(durationSeconds: number, sampleRate = 16_000): Buffer {
  const data = Buffer.alloc(Math.round(durationSeconds * sampleRate) * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** The journal entry of the request whose response carried `requestId`. */
export function journalEntry(sim: Simulator, requestId: string | null | undefined) {
  const entry = sim.requests.find((request) => request.id === requestId);
  if (!entry) throw new Error(`No journal entry for ${String(requestId)}`);
  return entry;
}
