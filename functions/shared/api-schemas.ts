// The APIs' parameters and answers as valibot schemas: the handlers parse and type with them and the
// OpenAPI documents (./openapi.ts) are generated from them, so the two cannot drift apart.
import * as v from "valibot";
import { UserIdSchema } from "./purchase.ts";

const DateTime = v.pipe(v.string(), v.isoTimestamp());
const Money = v.pipe(v.number(), v.minValue(0), v.description("Amount in the catalog's currency."));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

const IdempotencyKeySchema = v.pipe(
  v.string(),
  v.regex(/^[\x21-\x7e]{1,200}$/, "must be 1-200 printable ASCII characters"),
  v.description(
    "Makes a retry safe: the same (user_id, key) always gives the same purchase id and item, and it is stored once.",
  ),
);

export const BuyHeadersSchema = v.object({ "Idempotency-Key": v.optional(IdempotencyKeySchema) });

export const UserPathSchema = v.object({ user_id: UserIdSchema });
/** The /api routes' camelCase spelling, on /api/purchases/{userId}. */
export const ApiUserPathSchema = v.object({ userId: UserIdSchema });

export const ErrorSchema = v.object({
  error: v.pipe(v.string(), v.description("Machine-readable code, e.g. `validation_failed`.")),
  message: v.pipe(v.string(), v.description("What is wrong, for a human.")),
  details: v.optional(
    v.pipe(
      v.array(v.object({ field: v.string(), message: v.string() })),
      v.description("Validation errors: one entry per bad field."),
    ),
  ),
});

export const ServiceInfoSchema = v.object({
  name: v.string(),
  description: v.string(),
  version: v.string(),
  endpoints: v.array(v.string()),
});

export const CatalogItemSchema = v.object({
  name: v.string(),
  price: Money,
  category: v.string(),
});

/** A purchase as `POST /buy` made it. */
export const PurchaseSchema = v.object({
  id: v.pipe(v.string(), v.description("Purchase id; a UUIDv5 of (user_id, Idempotency-Key) with a key.")),
  username: v.string(),
  user_id: UserIdSchema,
  item_name: v.string(),
  price: Money,
  timestamp: DateTime,
});

export const BuyAcceptedSchema = v.object({
  status: v.literal("accepted"),
  purchase: PurchaseSchema,
  kafka: v.object({
    topic: v.string(),
    partition: v.nullable(Count),
    offset: v.nullable(Count),
  }),
});
export type BuyAccepted = v.InferOutput<typeof BuyAcceptedSchema>;

/** A stored purchase as the read APIs return it. */
export const StoredPurchaseSchema = v.object({
  ...PurchaseSchema.entries,
  id: v.string(),
  created_at: DateTime,
});

export const StatsSchema = v.pipe(
  v.object({
    count: Count,
    total_spent: Money,
    average_price: v.nullable(Money),
    min_price: v.nullable(Money),
    max_price: v.nullable(Money),
    first_purchase_at: v.nullable(DateTime),
    last_purchase_at: v.nullable(DateTime),
    top_items: v.array(v.object({ item_name: v.string(), count: Count, total: Money })),
  }),
  v.description("Over all of the user's purchases, not just one page; money summed in cents."),
);
export type Stats = v.InferOutput<typeof StatsSchema>;

export const HistorySchema = v.object({
  user_id: UserIdSchema,
  purchases: v.pipe(v.array(StoredPurchaseSchema), v.description("Newest first.")),
  next_cursor: v.pipe(
    v.nullable(v.string()),
    v.description("Pass as `cursor` for the next page; null on the last page."),
  ),
  stats: StatsSchema,
});
export type History = v.InferOutput<typeof HistorySchema>;

export const UserPurchasesSchema = v.object({
  purchases: v.array(StoredPurchaseSchema),
  userId: UserIdSchema,
});

export const AllPurchasesSchema = v.object({
  purchases: v.array(StoredPurchaseSchema),
  count: Count,
});

export const BuyHealthSchema = v.object({
  status: v.picklist(["healthy", "unhealthy"]),
  service: v.literal("buy"),
  kafka: v.picklist(["connected", "unreachable"]),
});

export const ManagementHealthSchema = v.object({
  status: v.picklist(["healthy", "unhealthy"]),
  service: v.literal("customer-management"),
  mongodb: v.picklist(["connected", "unreachable"]),
  kafka: v.pipe(
    v.string(),
    v.description("The KafkaSource consumer group: `consuming`, `idle`, another state, or `unreachable`."),
  ),
  lag: v.pipe(v.nullable(Count), v.description("The group's total lag; null when Kafka is unreachable.")),
});
