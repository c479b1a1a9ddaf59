/** A small MP4-shaped file: an `ftyp` box and an `mdat` box sized by the clip's length. */
import { seededRandom } from '../text.js';

const bytesPerSecond = 16 * 1024;

export function mp4Bytes(durationSeconds: number, seed: Buffer): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));
  const random = seededRandom(seed);
  const media = Buffer.from(
    Array.from({ length: durationSeconds * bytesPerSecond }, () => Math.floor(random() * 256)),
  );
  return Buffer.concat([ftyp, box('mdat', media)]);
}

function box(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length);
  header.write(type, 4, 'ascii');
  return Buffer.concat([header, payload]);
}
