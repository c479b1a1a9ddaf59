/** 16-bit PCM audio: a deterministic tone, WAV files around it, and WAV durations. */

export const speechSampleRate = 24_000;

/** Mono 16-bit little-endian samples of a soft tone whose pitch `seed` chooses. */
export function tonePcm(durationSeconds: number, seed: number): Buffer {
  const sampleCount = Math.round(durationSeconds * speechSampleRate);
  const frequencyHz = 160 + (seed % 240);
  const pcm = Buffer.alloc(sampleCount * 2);
  for (let index = 0; index < sampleCount; index += 1) {
    const phase = (2 * Math.PI * frequencyHz * index) / speechSampleRate;
    pcm.writeInt16LE(Math.round(Math.sin(phase) * 6000), index * 2);
  }
  return pcm;
}

/** A canonical 44-byte-header WAV around mono 16-bit PCM. */
export function wavFile(pcm: Buffer, sampleRate = speechSampleRate): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** Seconds of audio in a WAV file, from its `fmt ` and `data` chunks; undefined if not a WAV. */
export function wavDurationSeconds(bytes: Buffer): number | undefined {
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF') return undefined;
  if (bytes.toString('ascii', 8, 12) !== 'WAVE') return undefined;

  let byteRate: number | undefined;
  for (let offset = 12; offset + 8 <= bytes.length;) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= bytes.length) byteRate = bytes.readUInt32LE(offset + 16);
    if (id === 'data' && byteRate) return Math.min(size, bytes.length - offset - 8) / byteRate;
    offset += 8 + size + (size % 2);
  }
  return undefined;
}
