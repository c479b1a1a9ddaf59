/**
 * Loads `@supabase/supabase-js`, an optional peer dependency: only the Supabase REST store
 * needs it, so it is imported when that store is opened and never before, and a service
 * that writes to Postgres directly does not have to install it.
 */
import type * as SupabaseJsModule from '@supabase/supabase-js';
import { OpenAIOpsConfigError } from '../config/errors.js';

export type SupabaseJs = typeof SupabaseJsModule;

/** How the module is imported; tests substitute one that fails. */
export type SupabaseJsImporter = () => Promise<unknown>;

const importSupabaseJs: SupabaseJsImporter = () => import('@supabase/supabase-js');

/** Whether `error` says the package (or a package it needs) is not installed. */
function isMissingPackage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const missing =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /cannot find|not found/i.test(error.message);
  return missing && error.message.includes('@supabase/');
}

/**
 * The `@supabase/supabase-js` module. Throws `OpenAIOpsConfigError` naming `SUPABASE_URL`,
 * the variable that selected this store, when the package is not installed.
 *
 * @example
 * const { createClient } = await loadSupabaseJs();
 */
export async function loadSupabaseJs(importer = importSupabaseJs): Promise<SupabaseJs> {
  try {
    return (await importer()) as SupabaseJs;
  } catch (error) {
    if (!isMissingPackage(error)) throw error;
    throw new OpenAIOpsConfigError(
      'SUPABASE_URL selects the Supabase REST store, which needs the optional package ' +
        '@supabase/supabase-js, and it is not installed. ' +
        'Run `npm install @supabase/supabase-js`, ' +
        "or set OPENAI_OPS_DATABASE_URL to the project's Postgres connection string instead.",
      { variable: 'SUPABASE_URL', cause: error },
    );
  }
}
