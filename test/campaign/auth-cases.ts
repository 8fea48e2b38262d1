// Requests refused for their token (issue 25), against every protected route of the running system:
// the bad-token matrix of harness/auth-fixture.ts, another user's token, and a shopper's token where
// the service's admin scope is needed. Each must be a JSON 401/403 and change nothing.
import { badTokens, type TestAuth } from "../../harness/auth-fixture.ts";
import type { Case, Target } from "./cases.ts";
import { json } from "./cases.ts";

const PROTECTED: { endpoint: string; target: Target; method: string; path: string; scope: string }[] = [
  { endpoint: "POST /buy", target: "gateway", method: "POST", path: "/buy", scope: "purchases:write" },
  {
    endpoint: "GET /getAllUserBuys/:user_id",
    target: "gateway",
    method: "GET",
    path: "/getAllUserBuys/mallory",
    scope: "purchases:read",
  },
  {
    endpoint: "GET /purchases/:user_id",
    target: "customer-management",
    method: "GET",
    path: "/purchases/mallory",
    scope: "purchases:read",
  },
  {
    endpoint: "GET /api/purchases/:userId",
    target: "customer-management",
    method: "GET",
    path: "/api/purchases/mallory",
    scope: "purchases:read",
  },
  {
    endpoint: "GET /api/purchases",
    target: "customer-management",
    method: "GET",
    path: "/api/purchases",
    scope: "purchases:admin",
  },
];

export async function authCases(auth: TestAuth): Promise<Case[]> {
  const cases: Case[] = [];
  for (const route of PROTECTED) {
    const body = route.method === "POST" ? json({ username: "Mallory", user_id: "mallory" }) : undefined;
    const base = { ...route, auth: false as const, ...(body ? { body } : {}) };
    const type: Record<string, string> = body ? { "Content-Type": "application/json" } : {};
    for (const bad of badTokens(auth, { userId: "mallory", scope: route.scope })) {
      cases.push({
        ...base,
        name: `token ${bad.name}`,
        headers: { ...type, ...(await bad.headers()) },
        error: bad.error,
      });
    }
    // Another user's token: mallory's purchase or history asked for by alice (a shopper only, for
    // the whole shop's listing).
    cases.push({
      ...base,
      name: "another user's token",
      headers: { ...type, ...(await auth.headers("alice")) },
      error: route.scope === "purchases:admin" ? "insufficient_scope" : "forbidden",
    });
  }
  return cases;
}
