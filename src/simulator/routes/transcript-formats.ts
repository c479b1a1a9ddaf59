/** A transcript's segments and its renderings as SRT and WebVTT subtitles. */

export interface Segment {
  id: number;
  start: number;
  end: number;
  text: string;
}

/** One segment per sentence, timed in proportion to its length. */
export function segmentTranscript(text: string, durationSeconds: number): Segment[] {
  const sentences = text.match(/[^.!?]+[.!?]*/g)?.map((sentence) => sentence.trim()) ?? [];
  const totalChars = sentences.reduce((total, sentence) => total + sentence.length, 0) || 1;
  let start = 0;
  return sentences.map((sentence, id) => {
    const end = Math.min(durationSeconds, start + (durationSeconds * sentence.length) / totalChars);
    const segment = { id, start, end, text: ` ${sentence}` };
    start = end;
    return segment;
  });
}

export function toSrt(segments: readonly Segment[]): string {
  return segments
    .map((segment) => {
      const times = `${timestamp(segment.start, ',')} --> ${timestamp(segment.end, ',')}`;
      return `${segment.id + 1}\n${times}\n${segment.text.trim()}\n`;
    })
    .join('\n');
}

export function toVtt(segments: readonly Segment[]): string {
  const cues = segments.map((segment) => {
    const times = `${timestamp(segment.start, '.')} --> ${timestamp(segment.end, '.')}`;
    return `${times}\n${segment.text.trim()}\n`;
  });
  return ['WEBVTT\n', ...cues].join('\n');
}

function timestamp(seconds: number, separator: string): string {
  const totalMs = Math.round(seconds * 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor(totalMs / 60_000) % 60;
  const wholeSeconds = Math.floor(totalMs / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(wholeSeconds)}${separator}${pad(totalMs % 1000, 3)}`;
}
