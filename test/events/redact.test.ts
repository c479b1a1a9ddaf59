import { describe, expect, it } from 'vitest';

import { createRedactor, REDACTED, truncateUtf8 } from '../../src/events/redact.js';

describe('createRedactor', () => {
  it('removes keys, bearer tokens, secret fields and the exact secrets in use', () => {
    const redact = createRedactor([/acct-\d+/], ['plainsecretvalue']);
    const text = redact(
      'key sk-proj-abcdefghijklmnop, Bearer abc.def-ghi_jkl, {"api_key":"x1"} ' +
        'acct-12345 plainsecretvalue ek_abcdefghijk',
    );
    expect(text).not.toMatch(/sk-proj-abc|abc\.def|x1|acct-12345|plainsecretvalue|ek_abc/);
    expect(text.split(REDACTED).length - 1).toBe(6);
  });
});

describe('truncateUtf8', () => {
  it('cuts on a character boundary', () => {
    const { text, truncated } = truncateUtf8('aé€😀', 5);
    expect(truncated).toBe(true);
    expect(text).toBe('aé');
    expect(truncateUtf8('aé€😀', 6).text).toBe('aé€');
  });

  it('leaves short text alone', () => {
    expect(truncateUtf8('short', 100)).toEqual({ text: 'short', truncated: false });
  });
});
