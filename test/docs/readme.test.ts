import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { OPENAI_OPS_VERSION } from '../../src/version.js';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Environment variable names that the library and CLI read (the simulator reads none). */
function variablesReadBySource(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(join(root, 'src'))) {
    if (file.includes(`${join('src', 'simulator')}`)) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/'((?:OPENAI|SUPABASE|DATABASE|NODE)_[A-Z_]*)'/g)) {
      names.add(match[1] as string);
    }
  }
  return names;
}

describe('README', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('documents every environment variable the code reads', () => {
    const read = variablesReadBySource();
    expect(read).toContain('OPENAI_API_KEY_FINANCE_PROD');
    expect(read).toContain('OPENAI_OPS_SPOOL_MAX_BYTES');
    const undocumented = [...read].filter((name) => !readme.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });

  it('states the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });

  it('matches the package version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(OPENAI_OPS_VERSION).toBe(pkg.version);
  });
});
