// OpenAPI 3.1 documents generated from the valibot schemas the handlers validate with and answer
// with (@valibot/to-json-schema, JSON Schema 2020-12, the dialect of OpenAPI 3.1), and the two
// routes that serve one: GET /openapi.json and GET /docs (a page that renders it, ./openapi-page.ts).
import { type ConversionConfig, toJsonSchema, toJsonSchemaDefs } from "@valibot/to-json-schema";
import type { Hono } from "hono";
import * as v from "valibot";
import { ErrorSchema } from "./api-schemas.ts";
import type { AppEnv } from "./app.ts";
import { ERROR_CATALOG, type ErrorCode } from "./errors.ts";
import { docsPage } from "./openapi-page.ts";

type Schema = v.GenericSchema;
type ObjectSchema =
  | v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>
  | v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>;

export interface ResponseSpec {
  description: string;
  schema: Schema;
  /** application/json unless said otherwise. */
  contentType?: string;
}

export interface OperationSpec {
  summary: string;
  description?: string;
  tags?: string[];
  /** Parameters as the handler parses them: path and query by their parsed (output) type. */
  path?: ObjectSchema;
  query?: ObjectSchema;
  headers?: ObjectSchema;
  /** A required application/json body, by what the client sends (input type). */
  body?: Schema;
  responses: Record<number, ResponseSpec>;
  /**
   * The error codes this operation can answer (`true`, or a note on this operation's case); each is
   * described from the error catalog under its status. Every operation can also answer `internal`.
   */
  errors: Partial<Record<ErrorCode, true | string>>;
  /**
   * The scopes a bearer token must carry (the `bearerAuth` scheme); the auth errors (401
   * missing_token and invalid_token, 403 insufficient_scope, 503 identity_provider_unavailable) are
   * added to `errors`. Absent: a public operation (`security: []`).
   */
  scopes?: string[];
}

export interface ApiSpec {
  title: string;
  version: string;
  description: string;
  /** Paths in Hono's syntax (`/users/:id`), as the apps register them. */
  paths: Record<string, Partial<Record<"get" | "post", OperationSpec>>>;
  /** Named schemas: each becomes components.schemas.<name> and is referenced, not repeated. */
  components: Record<string, Schema>;
}

const RETRY_AFTER = {
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer", minimum: 0 } },
};

/** The `bearerAuth` scheme every protected operation names, with the scopes it can ask for. */
export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "An OAuth 2 access token (a JWT) from the identity provider (locally: `npm run -s token -- alice`), " +
      "sent as `Authorization: Bearer <token>`. Scopes: `purchases:read` reads your own purchases, " +
      "`purchases:write` buys as you, `purchases:admin` (service clients only) reads any user's and " +
      "the whole shop's. The user is the token's `sub`.",
  },
} as const;

/** The errors every protected operation can answer (functions/shared/auth). */
export const AUTH_ERRORS: OperationSpec["errors"] = {
  missing_token: true,
  invalid_token: true,
  insufficient_scope: true,
  identity_provider_unavailable: true,
};

const WWW_AUTHENTICATE = {
  "WWW-Authenticate": {
    description:
      'The bearer challenge (RFC 6750 section 3): `Bearer realm="purchases"`, with `error` and `error_description` for a bad token or a missing scope.',
    schema: { type: "string" },
  },
};

/** Status -> its description: each code the operation answers with it, with the catalog's meaning. */
export function errorDescriptions(errors: OperationSpec["errors"]): Record<number, string> {
  const byStatus: Record<number, string[]> = {};
  for (const [code, note] of Object.entries({ ...errors, internal: true }) as [ErrorCode, true | string][]) {
    const { status, meaning } = ERROR_CATALOG[code];
    const line = `\`${code}\`: ${meaning}${note === true ? "" : ` ${note}`}`;
    byStatus[status] = [...(byStatus[status] ?? []), line];
  }
  return Object.fromEntries(Object.entries(byStatus).map(([status, lines]) => [status, lines.join(" ")]));
}

/** `/users/:id` -> `/users/{id}` */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** JSON Schema patterns are matched by code point, which is what the `u` flag does in JavaScript. */
export const unicodePatterns: NonNullable<ConversionConfig["overrideAction"]> = ({
  valibotAction,
  jsonSchema,
}) => {
  const { type, requirement } = valibotAction as { type: string; requirement?: unknown };
  if (type !== "regex" || !(requirement instanceof RegExp) || requirement.flags !== "u") return undefined;
  return { ...jsonSchema, pattern: requirement.source };
};

export function buildDocument(spec: ApiSpec) {
  const ref = ({ referenceId }: { referenceId: string }) => `#/components/schemas/${referenceId}`;
  const base: ConversionConfig = {
    target: "draft-2020-12",
    definitions: spec.components,
    overrideRef: ref,
    overrideAction: unicodePatterns,
  };
  const json = (schema: Schema, typeMode: "input" | "output") => {
    const { $schema: _, $defs: __, ...rest } = toJsonSchema(schema, { ...base, typeMode });
    return rest;
  };
  const parameters = (where: "path" | "query" | "header", object: ObjectSchema | undefined) => {
    if (!object) return [];
    const converted = json(object, where === "header" ? "input" : "output");
    const required = new Set(converted.required ?? []);
    return Object.entries(converted.properties ?? {}).map(([name, schema]) => {
      const { description, ...rest } = schema as { description?: string };
      return { name, in: where, required: where === "path" || required.has(name), description, schema: rest };
    });
  };
  const response = (r: ResponseSpec) => ({
    description: r.description,
    content: { [r.contentType ?? "application/json"]: { schema: json(r.schema, "output") } },
  });
  const operation = (op: OperationSpec) => {
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.responses)) responses[status] = response(r);
    const errors = op.scopes ? { ...AUTH_ERRORS, ...op.errors } : op.errors;
    for (const [status, when] of Object.entries(errorDescriptions(errors))) {
      const r = response({ description: when, schema: ErrorSchema });
      const challenged = op.scopes && (status === "401" || status === "403");
      responses[status] =
        status === "503"
          ? { ...r, headers: RETRY_AFTER }
          : challenged
            ? { ...r, headers: WWW_AUTHENTICATE }
            : r;
    }
    const params = [
      ...parameters("path", op.path),
      ...parameters("query", op.query),
      ...parameters("header", op.headers),
    ];
    return {
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.tags ? { tags: op.tags } : {}),
      security: op.scopes ? [{ bearerAuth: op.scopes }] : [],
      ...(params.length ? { parameters: params } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: json(op.body, "input") } },
            },
          }
        : {}),
      responses,
    };
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, ops] of Object.entries(spec.paths)) {
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(ops)) item[method] = operation(op);
    paths[toOpenApiPath(path)] = item;
  }
  return {
    openapi: "3.1.0",
    info: { title: spec.title, version: spec.version, description: spec.description },
    paths,
    components: {
      schemas: toJsonSchemaDefs(spec.components, { ...base, typeMode: "output" }),
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

/** The paths of GET /openapi.json and GET /docs, for a document to describe itself. */
export const docsPaths: ApiSpec["paths"] = {
  "/openapi.json": {
    get: {
      summary: "This OpenAPI 3.1 document",
      tags: ["docs"],
      responses: {
        200: { description: "The document.", schema: v.looseObject({ openapi: v.literal("3.1.0") }) },
      },
      errors: {},
    },
  },
  "/docs": {
    get: {
      summary: "This document as a web page",
      tags: ["docs"],
      responses: { 200: { description: "An HTML page.", schema: v.string(), contentType: "text/html" } },
      errors: {},
    },
  },
};

/** Serves the document at GET /openapi.json and its page at GET /docs. */
export function serveDocs(app: Hono<AppEnv>, document: { info: { title: string } }) {
  const body = JSON.stringify(document);
  const page = docsPage(document.info.title);
  app.get("/openapi.json", (c) => {
    c.header("Cache-Control", "public, max-age=60");
    return c.body(body, 200, { "Content-Type": "application/json" });
  });
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", page.csp);
    return c.html(page.html);
  });
}
