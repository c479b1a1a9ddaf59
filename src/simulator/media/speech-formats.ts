/**
 * Speech audio in each `response_format`: a real tone for wav and pcm; for the compressed
 * formats, silence-filled bytes of a plausible length behind the format's real headers.
 */
import { speechSampleRate, tonePcm, wavFile } from './wav.js';

export type SpeechFormat = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';

export const speechContentTypes: Record<SpeechFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

export function encodeSpeech(format: SpeechFormat, durationSeconds: number, seed: number): Buffer {
  switch (format) {
    case 'wav':
      return wavFile(tonePcm(durationSeconds, seed));
    case 'pcm':
      return tonePcm(durationSeconds, seed);
    case 'mp3':
      return mp3Frames(durationSeconds);
    case 'aac':
      return adtsFrames(durationSeconds);
    case 'opus':
      return oggOpus(durationSeconds);
    case 'flac':
      return flacStream(durationSeconds);
  }
}

/** MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz: 417 bytes per 1152 samples. */
function mp3Frames(durationSeconds: number): Buffer {
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  const count = Math.max(1, Math.ceil((durationSeconds * 44_100) / 1152));
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

/** AAC-LC ADTS frames, mono 24 kHz, 1024 samples each. */
function adtsFrames(durationSeconds: number): Buffer {
  const length = 7 + 160;
  const frame = Buffer.alloc(length);
  const sampleRateIndex = 6; // 24 kHz
  frame.set([
    0xff,
    0xf1,
    (1 << 6) | (sampleRateIndex << 2),
    (1 << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc,
  ]);
  const count = Math.max(1, Math.ceil((durationSeconds * speechSampleRate) / 1024));
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

/** An Ogg stream whose first page is an `OpusHead`, followed by ~24 kbit/s of payload. */
function oggOpus(durationSeconds: number): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'ascii');
  head.set([1, 1], 8); // version 1, mono
  head.writeUInt32LE(speechSampleRate, 12);
  const firstPage = Buffer.alloc(28);
  firstPage.write('OggS', 0, 'ascii');
  firstPage.set([0, 2], 4); // version 0, beginning of stream
  firstPage.writeUInt8(1, 26);
  firstPage.writeUInt8(head.length, 27);
  const payload = Buffer.alloc(Math.ceil(durationSeconds * 3000));
  return Buffer.concat([firstPage, head, payload]);
}

/** `fLaC` with a STREAMINFO block (mono, 16-bit, 24 kHz) and ~40% of PCM's size after it. */
function flacStream(durationSeconds: number): Buffer {
  const totalSamples = Math.round(durationSeconds * speechSampleRate);
  const info = Buffer.alloc(4 + 34);
  info.set([0x80, 0, 0, 34]); // last metadata block, STREAMINFO, 34 bytes
  info.writeUInt16BE(4096, 4);
  info.writeUInt16BE(4096, 6);
  // 20 bits of sample rate, then mono (0) and the top bit of "16 bits - 1" (0).
  info.writeUIntBE(speechSampleRate << 4, 14, 3);
  info.writeUInt8((15 << 4) | Math.floor(totalSamples / 2 ** 32), 17);
  info.writeUInt32BE(totalSamples >>> 0, 18);
  const frames = Buffer.alloc(Math.ceil(totalSamples * 2 * 0.4));
  return Buffer.concat([Buffer.from('fLaC', 'ascii'), info, frames]);
}
