import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { createApp } from "./app.ts";

const app = () =>
  createApp({ logger: createLogger("silent"), registry: createRegistry({ service: "items" }) });

describe("GET /items", () => {
  test("When the catalog is requested, then at least 10 items with a name and a 2-decimal price", async () => {
    const res = await app().request("/items");
    assert.equal(res.status, 200);
    const items = (await res.json()) as { name: string; price: number }[];
    assert.ok(items.length >= 10);
    for (const item of items) {
      assert.equal(typeof item.name, "string");
      assert.ok(
        item.price > 0 && Math.round(item.price * 100) === item.price * 100,
        `${item.name} ${item.price}`,
      );
    }
  });

  test("When the web page's origin asks, then CORS allows it; another origin gets no CORS header", async () => {
    const a = createApp({
      logger: createLogger("silent"),
      registry: createRegistry({ service: "items" }),
      corsOrigins: ["http://localhost:8080"],
    });
    const ok = await a.request("/items", { headers: { Origin: "http://localhost:8080" } });
    assert.equal(ok.headers.get("access-control-allow-origin"), "http://localhost:8080");
    const other = await a.request("/items", { headers: { Origin: "http://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });
});
