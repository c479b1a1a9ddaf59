import type OpenAI from 'openai';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { clientFor, silentWav } from './helpers.js';

describe('simulator: audio', () => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator();
    client = clientFor(sim);
  });
  afterAll(() => sim.close());

  it('speaks a valid WAV whose length follows the input', async () => {
    const speak = async (input: string) => {
      const response = await client.audio.speech.create({
        model: 'gpt-4o-mini-tts',
        voice: 'alloy',
        input,
        response_format: 'wav',
      });
      expect(response.headers.get('content-type')).toBe('audio/wav');
      return Buffer.from(await response.arrayBuffer());
    };
    const short = await speak('Hello there.');
    const long = await speak('Hello there. '.repeat(10));

    expect(short.toString('ascii', 0, 4)).toBe('RIFF');
    expect(short.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(short.readUInt16LE(20)).toBe(1);
    expect(short.readUInt32LE(40)).toBe(short.length - 44);
    expect(short.readUInt32LE(4)).toBe(short.length - 8);
    expect(long.length).toBeGreaterThan(short.length * 5);
  });

  it('labels other formats with their content types', async () => {
    const mp3 = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'nova',
      input: 'Ledger closed.',
    });
    const bytes = Buffer.from(await mp3.arrayBuffer());
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfb]);
  });

  it('transcribes a WAV to verbose_json with its real duration and the language', async () => {
    const file = await toFile(silentWav(2.5), 'meeting.wav', { type: 'audio/wav' });
    const transcript = await client.audio.transcriptions.create({
      file,
      model: 'whisper-1',
      response_format: 'verbose_json',
      language: 'fr',
    });

    expect(transcript.duration).toBeCloseTo(2.5, 6);
    expect(transcript.language).toBe('french');
    expect(transcript.text.length).toBeGreaterThan(10);
    expect(transcript.segments?.length).toBeGreaterThan(0);
    expect(transcript.segments?.at(-1)?.end).toBeCloseTo(2.5, 6);
    expect(transcript).toMatchObject({ task: 'transcribe' });
  });

  it('transcribes to json with usage, deterministically, and to text and srt', async () => {
    const audio = silentWav(1);
    const json = await client.audio.transcriptions.create({
      file: await toFile(audio, 'a.wav'),
      model: 'gpt-4o-transcribe',
    });
    const again = await client.audio.transcriptions.create({
      file: await toFile(audio, 'b.wav'),
      model: 'gpt-4o-transcribe',
    });
    const text = await client.audio.transcriptions.create({
      file: await toFile(audio, 'c.wav'),
      model: 'whisper-1',
      response_format: 'text',
    });
    const srt = await client.audio.transcriptions.create({
      file: await toFile(audio, 'd.wav'),
      model: 'whisper-1',
      response_format: 'srt',
    });

    expect(json.text).toBe(again.text);
    expect(json.usage).toMatchObject({ type: 'tokens' });
    expect(text.trim()).toBe(json.text);
    expect(srt).toMatch(/^1\n00:00:00,000 --> 00:00:0\d,\d{3}\n/);
  });

  it('estimates the duration of non-WAV audio from its size', async () => {
    const transcript = await client.audio.transcriptions.create({
      file: await toFile(Buffer.alloc(48_000), 'clip.mp3'),
      model: 'whisper-1',
      response_format: 'verbose_json',
    });
    expect(transcript.duration).toBe(3);
    expect(transcript.language).toBe('english');
  });
});
