/**
 * Per-call attribution carried through async work: the tags and quota tag given to
 * `withOpenAIClientForWorkload`, visible to every request made inside its callback.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import { mergeTags, toTagMap, validateTagValue, type TagInput, type TagMap } from './tags.js';

export interface CallScope {
  tags: TagMap;
  quotaTag: string | undefined;
}

/** What a caller may attach to the calls made inside a scope. */
export interface CallScopeOptions {
  /** Extra tags for these calls; they override configured tags with the same key. */
  tags?: TagInput;
  /** Billing quota tag for these calls; overrides the workload's configured one. */
  quotaTag?: string;
}

const storage = new AsyncLocalStorage<CallScope>();

/** The scope of the current async context, if any. */
export function currentCallScope(): CallScope | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` with `options` added to the enclosing scope (inner tags override outer ones
 * key by key). Validation happens here, before any request, so a bad tag fails the
 * caller's own code path instead of being dropped later.
 */
export function runInCallScope<T>(options: CallScopeOptions, fn: () => T): T {
  const outer = storage.getStore();
  const scope: CallScope = {
    tags: mergeTags(outer?.tags, toTagMap(options.tags, 'tags')),
    quotaTag:
      options.quotaTag === undefined
        ? outer?.quotaTag
        : validateTagValue(options.quotaTag.trim(), 'quotaTag', `quota:${options.quotaTag}`),
  };
  return storage.run(scope, fn);
}
