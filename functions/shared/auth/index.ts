// Token verification and the owner rule (issue 25): see middleware.ts for how a function wires it.
export { ASYMMETRIC_ALGORITHMS, AUTH_VARIABLES, type AuthConfig, authFields } from "./config.ts";
export { createKeySource, IssuerUnavailable, type KeySource, warmKeys } from "./keys.ts";
export { type Auth, type AuthEnv, bearerToken, createAuth, Unauthorized } from "./middleware.ts";
export { ME, ownerOf } from "./owner.ts";
export { createTokenVerifier, type Identity, InvalidToken, type TokenVerifier } from "./verifier.ts";
