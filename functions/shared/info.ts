import pkg from "../../package.json" with { type: "json" };

/** GET / body: what this service is and what it answers. */
export const serviceInfo = (name: string, description: string, endpoints: string[]) => ({
  name,
  description,
  version: pkg.version,
  endpoints,
});
