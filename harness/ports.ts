import { once } from "node:events";
import { createServer } from "node:net";

/** A port free on 127.0.0.1 right now (the OS picks it; another process may still take it). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
