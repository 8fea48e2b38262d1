// npm run -s token -- alice        an access token of a test shopper (alice, bob), for curl:
//   curl -H "Authorization: Bearer $(npm run -s token -- alice)" localhost:8000/getAllUserBuys/me
// npm run -s token -- --service    a client-credentials token of the service client (admin scope)
// npm run -s token -- <user> --password <password>    another user of the realm
// The issuer is AUTH_ISSUER, else the local stack's Keycloak (STACK_KEYCLOAK_PORT, default 8180).
import { parseArgs } from "node:util";
import { localIssuer, SHOPPERS, serviceToken, userTokens } from "../harness/keycloak.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { service: { type: "boolean" }, password: { type: "string" }, scope: { type: "string" } },
});
const issuer = process.env.AUTH_ISSUER ?? localIssuer();

try {
  if (values.service) {
    console.log((await serviceToken(issuer, values.scope)).access_token);
  } else {
    const user = positionals[0];
    if (!user) throw new Error("usage: npm run -s token -- <alice|bob> | --service");
    const password = values.password ?? SHOPPERS[user as keyof typeof SHOPPERS]?.password;
    if (!password)
      throw new Error(`${user} is not a test shopper (${Object.keys(SHOPPERS).join(", ")}): pass --password`);
    console.log((await userTokens(user, password, issuer)).access_token);
  }
} catch (err) {
  // fetch's TypeError: nothing answers at the issuer.
  const hint =
    err instanceof TypeError ? ` at ${issuer}; is Keycloak running? (npm run stack -- status)` : "";
  console.error(`token: ${(err as Error).message}${hint}`);
  process.exit(1);
}
