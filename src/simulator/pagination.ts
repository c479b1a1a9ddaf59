/** Cursor pages as OpenAI's list endpoints return them: `after`, `limit`, `order`. */

export interface PageQuery {
  after?: string | undefined;
  limit?: string | undefined;
  order?: string | undefined;
}

const defaultLimit = 20;
const maxLimit = 100;

/** `items` in creation order; the page is newest first unless `order=asc`. */
export function cursorPage<Item extends { id: string }>(items: readonly Item[], query: PageQuery) {
  const ordered = query.order === 'asc' ? [...items] : [...items].reverse();
  const afterIndex = query.after ? ordered.findIndex((item) => item.id === query.after) : -1;
  const limit = Math.min(maxLimit, Math.max(1, Number(query.limit) || defaultLimit));
  const rest = ordered.slice(afterIndex + 1);
  const data = rest.slice(0, limit);

  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: rest.length > data.length,
  };
}
