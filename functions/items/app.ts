// GET /items: the catalog that buy picks from.
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { CATALOG } from "../shared/catalog.ts";
import { serviceInfo } from "../shared/info.ts";

export function createApp(deps: BaseDeps) {
  const app = createBaseApp(deps);
  app.get("/", (c) =>
    c.json(serviceInfo("items", "The catalog of items a purchase picks from", ["GET /items"])),
  );
  app.get("/health", (c) => c.json({ status: "healthy", service: "items" }));
  app.get("/items", (c) => {
    c.header("Cache-Control", "public, max-age=60");
    return c.json(CATALOG);
  });
  return app;
}
