// Each function's first real request: what a user (or KafkaSource) sends it, and the answer that
// means it did its job. Used by the readiness test (test/e2e/first-request.test.ts) and the
// bench's image cold start (scripts/bench/image.ts): "started" is this answer, not a probe. The
// protected ones carry a token of this process's test issuer (harness/auth-fixture.ts): start the
// functions with `(await testAuth()).env`.
import { testAuth } from "./auth-fixture.ts";

/** A shopper's Authorization header, signed once a minute per user, outside the timed request. */
const signed = new Map<string, { headers: Record<string, string>; until: number }>();
export async function shopperHeaders(user: string): Promise<Record<string, string>> {
  const hit = signed.get(user);
  if (hit && Date.now() < hit.until) return hit.headers;
  const headers = await (await testAuth()).headers(user);
  signed.set(user, { headers, until: Date.now() + 60_000 });
  return headers;
}
export interface FirstRequest {
  /** What is asked, for reports. */
  what: string;
  expect: number;
  send: (url: string, user: string) => Promise<Response>;
}

let seq = 0;

export const FIRST_REQUESTS: Record<string, FirstRequest> = {
  buy: {
    what: "POST /buy",
    expect: 202,
    send: async (url, user) =>
      fetch(`${url}/buy`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(await shopperHeaders(user)) },
        body: JSON.stringify({ username: user, user_id: user }),
      }),
  },
  "purchase-persist": {
    what: "a purchase CloudEvent stored",
    expect: 200,
    send: (url, user) =>
      fetch(url, {
        method: "POST",
        headers: {
          "ce-specversion": "1.0",
          "ce-id": `${user}-${process.pid}-${Date.now()}-${seq++}`,
          "ce-source": "/local/first-request",
          "ce-type": "com.example.purchase",
          "content-type": "application/json",
        },
        body: JSON.stringify({
          username: user,
          user_id: user,
          item_name: "Coffee Mug",
          price: 12.5,
          timestamp: "2026-11-21T10:00:00.000Z",
        }),
      }),
  },
  "customer-management": {
    what: "GET /purchases/<user> (history)",
    expect: 200,
    send: async (url, user) => fetch(`${url}/purchases/${user}`, { headers: await shopperHeaders(user) }),
  },
  "user-purchases": {
    what: "GET /getAllUserBuys/<user> (history)",
    expect: 200,
    send: async (url, user) =>
      fetch(`${url}/getAllUserBuys/${user}`, { headers: await shopperHeaders(user) }),
  },
  items: { what: "GET /items (catalog)", expect: 200, send: (url) => fetch(`${url}/items`) },
  web: { what: "GET / (the page)", expect: 200, send: (url) => fetch(`${url}/`) },
};
