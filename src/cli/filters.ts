/** Checks on values a person typed for a filter, before they reach a query. */
import { CliExit, EXIT_USAGE } from './exit-codes.js';

const CONTROL_OR_HALF_PAIR =
  /[\p{Cc}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;

/**
 * Refuses control characters and half surrogate pairs, which no stored value has and which
 * the database would reject as malformed text rather than as "no match".
 */
export function checkFilterValue(value: string, option: string): string {
  if (CONTROL_OR_HALF_PAIR.test(value)) {
    throw new CliExit(
      `${option} has a control character or half of a surrogate pair; no event can match it`,
      EXIT_USAGE,
    );
  }
  if (value.length > 1_000) {
    throw new CliExit(
      `${option} is longer than 1000 characters; no event can match it`,
      EXIT_USAGE,
    );
  }
  return value;
}
