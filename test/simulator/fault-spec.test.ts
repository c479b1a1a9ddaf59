import { describe, expect, it } from 'vitest';
import { parseFaultRule, parseFaultSpec } from '../../src/simulator/index.js';

describe('simulator: fault syntax', () => {
  it('parses every fault kind and combinations', () => {
    expect(parseFaultSpec('status=503')).toEqual({ status: 503 });
    expect(parseFaultSpec('status=429; latency=50')).toEqual({ status: 429, latencyMs: 50 });
    expect(parseFaultSpec('malformed')).toEqual({ malformed: true });
    expect(parseFaultSpec('cut-stream')).toEqual({ cutStream: true });
    expect(parseFaultSpec('cut-stream=3')).toEqual({ cutStream: 3 });
    expect(parseFaultSpec('drop')).toEqual({ drop: true });
  });

  it('parses rules with path, method and times', () => {
    expect(parseFaultRule('path=/v1/embeddings;status=500;times=2')).toEqual({
      path: '/v1/embeddings',
      times: 2,
      fault: { status: 500 },
    });
    expect(parseFaultRule('method=post;path=/v1/videos/*;drop')).toEqual({
      method: 'POST',
      path: '/v1/videos/*',
      fault: { drop: true },
    });
  });

  it('rejects bad input with messages that say what is valid', () => {
    expect(() => parseFaultSpec('explode')).toThrow(/Unknown fault "explode".*status=<400-599>/);
    expect(() => parseFaultSpec('path=/v1/x;status=500')).toThrow(/Unknown fault "path"/);
    expect(() => parseFaultSpec('status=200')).toThrow(/integer from 400 to 599, got "200"/);
    expect(() => parseFaultSpec('latency=fast')).toThrow(/latency/);
    expect(() => parseFaultSpec('drop=yes')).toThrow(/takes no value/);
    expect(() => parseFaultSpec('status=500;status=503')).toThrow(/appears twice/);
    expect(() => parseFaultSpec('')).toThrow(/No fault/);
    expect(() => parseFaultRule('path=v1/x;status=500')).toThrow(/must start with "\/"/);
    expect(() => parseFaultRule('times=0;drop')).toThrow(/times/);
    expect(() => parseFaultRule('path=/v1/x')).toThrow(/No fault/);
    expect(() => parseFaultRule('when=now;drop')).toThrow(/Unknown fault rule field "when"/);
  });
});
