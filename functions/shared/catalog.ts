// The catalog: one data file that buy and items share.
import catalog from "./catalog.json" with { type: "json" };

export interface CatalogItem {
  name: string;
  price: number;
  category: string;
}

export const CATALOG: readonly CatalogItem[] = Object.freeze(catalog);

/** Picks an item uniformly at random; `random` is injectable for tests. */
export function pickItem(random: () => number = Math.random): CatalogItem {
  const item = CATALOG[Math.floor(random() * CATALOG.length)];
  if (!item) throw new Error("catalog is empty");
  return item;
}
