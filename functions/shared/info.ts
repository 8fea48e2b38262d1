/**
 * The system's version, as package.json has it (info.unit.test.ts checks they agree). A constant
 * rather than an import of the repository's package.json, which would put that file (the whole
 * dependency list) into every function's bundle and tie the functions to the repository's root.
 */
export const VERSION = "0.1.0";

/** GET / body: what this service is and what it answers. */
export const serviceInfo = (name: string, description: string, endpoints: string[]) => ({
  name,
  description,
  version: VERSION,
  endpoints,
});
