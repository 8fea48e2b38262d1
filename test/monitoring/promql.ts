// PromQL for tests: the queries docs/operations.md shows, and Prometheus' HTTP API (instant queries, rules).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../harness/root.ts";

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/**
 * Every query in the ```promql blocks of a Markdown file (the monitoring page by default): `#`
 * comments dropped, an indented line continues the query above it, whitespace collapsed.
 */
export function docQueries(file = "docs/operations.md"): string[] {
  const body = readFileSync(join(ROOT, file), "utf8");
  const queries: string[] = [];
  for (const [, block = ""] of body.matchAll(/```promql\n([\s\S]*?)```/g)) {
    for (const raw of block.split("\n")) {
      const line = raw.replace(/#.*$/, "").trimEnd();
      if (!line.trim()) continue;
      if (/^\s/.test(line) && queries.length > 0) queries[queries.length - 1] += ` ${line.trim()}`;
      else queries.push(line.trim());
    }
  }
  return queries.map(normalize);
}

export const normalize = (q: string) => q.replace(/\s+/g, " ").trim();

/** An instant query's vector (throws on an API error or a non-vector result). */
export async function query(prometheus: string, promql: string): Promise<Sample[]> {
  const url = `${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== "success" || !body.data) throw new Error(`${promql}: ${body.error ?? res.status}`);
  if (body.data.resultType !== "vector")
    throw new Error(`${promql}: a ${body.data.resultType}, not a vector`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

export interface RuleGroup {
  name: string;
  rules: { name: string; type: string; health: string; lastError?: string }[];
}

export async function rules(prometheus: string): Promise<RuleGroup[]> {
  const res = await fetch(`${prometheus}/api/v1/rules`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { data: { groups: RuleGroup[] } };
  return body.data.groups;
}
