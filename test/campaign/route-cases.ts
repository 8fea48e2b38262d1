// Malformed read requests (history routes, bad ids and queries) and wrong methods or paths on every
// function and on the gateway.
import {
  badApiLimits,
  badHistoryQueries,
  badUserIds,
  type Case,
  json,
  type Rng,
  type Target,
} from "./cases.ts";

const get = (endpoint: string, target: Target, path: string, name = path): Case => ({
  endpoint,
  name: name.length > 80 ? `${name.slice(0, 77)}...` : name,
  target,
  method: "GET",
  path,
});

export function historyCases(rng: Rng): Case[] {
  const cases: Case[] = [];
  for (const id of badUserIds(rng)) {
    cases.push(get("GET /getAllUserBuys/:user_id", "gateway", `/getAllUserBuys/${id}`));
    cases.push(get("GET /purchases/:user_id", "customer-management", `/purchases/${id}`));
    cases.push(get("GET /api/purchases/:userId", "customer-management", `/api/purchases/${id}`));
  }
  for (const query of badHistoryQueries(rng)) {
    cases.push(get("GET /getAllUserBuys/:user_id", "gateway", `/getAllUserBuys/mallory?${query}`));
    cases.push(get("GET /purchases/:user_id", "customer-management", `/purchases/mallory?${query}`));
  }
  for (const query of badApiLimits(rng)) {
    cases.push(get("GET /api/purchases/:userId", "customer-management", `/api/purchases/mallory?${query}`));
    cases.push(get("GET /api/purchases", "customer-management", `/api/purchases?${query}`));
  }
  // user-purchases straight, as the gateway would call it.
  for (const query of ["limit=0", "limit=1e309", "cursor=%00", "limit[]=1"]) {
    cases.push(get("GET /getAllUserBuys/:user_id", "user-purchases", `/getAllUserBuys/mallory?${query}`));
  }
  return cases;
}

const FUNCTIONS: Target[] = ["buy", "items", "user-purchases", "customer-management", "purchase-persist"];

export function methodCases(): Case[] {
  const body = json({ any: "thing" });
  const headers = { "Content-Type": "application/json" };
  const wrong: [string, string][] = [
    ["POST", "/metrics"],
    ["PUT", "/livez"],
    ["DELETE", "/readyz"],
    ["POST", "/health"],
    ["PATCH", "/"],
    ["GET", "/nope"],
    ["GET", "/metrics/extra"],
    ["GET", "/%00"],
    ["GET", "/livez%2F..%2Fmetrics"],
  ];
  const cases: Case[] = [];
  for (const target of FUNCTIONS) {
    for (const [method, path] of wrong) {
      cases.push({
        endpoint: "wrong method or path",
        name: `${target}: ${method} ${path}`,
        target,
        method,
        path,
        ...(method === "GET" ? {} : { headers, body }),
      });
    }
  }
  const gateway: [string, string][] = [
    ["GET", "/nope"],
    ["POST", "/items"],
    ["DELETE", "/getAllUserBuys/mallory"],
    ["PUT", "/health"],
    ["GET", "/metrics"],
    ["GET", "/purchases/mallory"],
    ["GET", "/api/purchases"],
    ["POST", "/"],
    ["GET", "/getAllUserBuys/"],
    ["GET", "/items/extra"],
  ];
  for (const [method, path] of gateway) {
    cases.push({
      endpoint: "wrong method or path",
      name: `gateway: ${method} ${path}`,
      target: "gateway",
      method,
      path,
      ...(method === "GET" ? {} : { headers, body }),
    });
  }
  cases.push({
    endpoint: "wrong method or path",
    name: "purchase-persist: PUT / with an event",
    target: "purchase-persist",
    method: "PUT",
    path: "/",
    headers: { "ce-specversion": "1.0", "ce-id": "x", "ce-source": "/x", "ce-type": "t", ...headers },
    body,
  });
  return cases;
}
