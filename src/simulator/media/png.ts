/** A small, valid PNG of one colour, for image generations and video thumbnails. */
import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32.js';

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A `sizePx` × `sizePx` RGB image filled with `rgb`. */
export function solidPng(rgb: readonly [number, number, number], sizePx = 8): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(sizePx, 0);
  header.writeUInt32BE(sizePx, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, no interlace

  const row = Buffer.from([0, ...Array.from({ length: sizePx }, () => rgb).flat()]);
  const pixels = Buffer.concat(Array.from({ length: sizePx }, () => row));
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}
