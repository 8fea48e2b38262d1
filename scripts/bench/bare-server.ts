// The ingest figure's baseline: a bare Hono endpoint on the same server stack as the functions
// (@hono/node-server), reading the JSON body and answering 202 with a JSON body, and nothing else.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { announceListening } from "../../functions/shared/listening.ts";

const app = new Hono();
app.post("/buy", async (c) => {
  const body = await c.req.json<{ username: string; user_id: string }>();
  return c.json({ status: "accepted", purchase: { id: crypto.randomUUID(), ...body } }, 202);
});
// The harness waits for this (harness/process.ts); nothing to connect, so ready at once.
app.get("/readyz", (c) => c.json({ status: "ready" }));
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0) }, (info: AddressInfo) =>
  announceListening(info.port),
);
process.once("SIGTERM", () => process.exit(0));
