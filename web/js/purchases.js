// A user's purchases as the page keeps them: one list, newest first, merged from the pages the
// API answered (the live first page and any "Load more" pages), each purchase once.

/** The API's order: timestamp descending, then id descending. */
export function newestFirst(a, b) {
  const byTime = Date.parse(b.timestamp) - Date.parse(a.timestamp);
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}

export function mergePurchases(known, incoming) {
  const byId = new Map(known.map((p) => [p.id, p]));
  for (const p of incoming) byId.set(p.id, p);
  return [...byId.values()].sort(newestFirst);
}
