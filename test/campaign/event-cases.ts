// Malformed CloudEvents POSTed to purchase-persist as KafkaSource would: bad envelopes around good
// purchases (so a lax reader would store them and the database check would see it), and good
// envelopes around bad purchases: wrong types, operators, missing fields, huge values, bad bytes.
import { BOM, type Case, concat, json, NOT_STRINGS, type Rng, utf8, utf16 } from "./cases.ts";

const ENDPOINT = "POST / (purchase-persist CloudEvents)";

/**
 * A purchase the campaign stores before the cases run, as a CloudEvent of its own and as a wrapped
 * plain record: the collision cases reuse their identities for other purchases.
 */
export function heldEvents(runId: string) {
  const data = {
    username: "Mallory",
    user_id: "mallory",
    item_name: "Laptop",
    price: 999.99,
    timestamp: "2026-11-21T10:00:00.000Z",
  };
  const own = {
    "ce-specversion": "1.0",
    "ce-id": `${runId}-held`,
    "ce-source": "/bad-input",
    "ce-type": "org.example.purchases.purchase.created.v1",
    "content-type": "application/json",
  };
  const wrapped = {
    ...own,
    "ce-id": "partition:0/offset:0",
    "ce-source": `/apis/v1/namespaces/purchases/kafkasources/purchases-source#${runId}`,
    "ce-type": "dev.knative.kafka.event",
    "ce-time": "2026-11-21T10:00:00.100Z",
  };
  return { data, own, wrapped };
}

export function eventCases(rng: Rng, runId: string): Case[] {
  let n = 0;
  const purchase = () => ({
    id: `${runId}-${n++}`,
    username: "Mallory",
    user_id: "mallory",
    item_name: "Laptop",
    price: 999.99,
    timestamp: new Date().toISOString(),
  });
  const headers = (): Record<string, string> => ({
    "ce-specversion": "1.0",
    "ce-id": `${runId}-event-${n++}`,
    "ce-source": "/bad-input",
    "ce-type": "org.example.purchases.purchase.created.v1",
    "content-type": "application/json",
  });
  const cases: Case[] = [];
  const add = (name: string, h: Record<string, string>, body: Uint8Array | undefined, error?: string) =>
    cases.push({
      endpoint: ENDPOINT,
      name,
      target: "purchase-persist",
      method: "POST",
      path: "/",
      headers: h,
      body,
      ...(error ? { error } : {}),
    });
  const without = (h: Record<string, string>, key: string) =>
    Object.fromEntries(Object.entries(h).filter(([k]) => k !== key));

  // Binary mode: the envelope is wrong, the purchase is fine.
  for (const key of ["ce-id", "ce-source", "ce-type", "ce-specversion"]) {
    add(`binary: no ${key}`, without(headers(), key), json(purchase()));
    add(`binary: empty ${key}`, { ...headers(), [key]: "" }, json(purchase()));
  }
  for (const version of ["0.3", "2.0", "1", "1.0.0"]) {
    add(`binary: ce-specversion ${version}`, { ...headers(), "ce-specversion": version }, json(purchase()));
  }
  add("binary: ce-id of 600 characters", { ...headers(), "ce-id": rng.text(600) }, json(purchase()));
  add(
    "binary: ce-source of 2000 characters",
    { ...headers(), "ce-source": `/${rng.text(2000)}` },
    json(purchase()),
  );
  add("binary: ce-type of 300 characters", { ...headers(), "ce-type": rng.text(300) }, json(purchase()));
  add("binary: ce-time not a time", { ...headers(), "ce-time": "yesterday" }, json(purchase()));
  add("binary: no CloudEvent headers at all", { "content-type": "application/json" }, json(purchase()));

  // Binary mode: the envelope is fine, the purchase is not.
  for (const text of ["not json", "", "null", "[]", "42", '"purchase"', "true", '{"username":'])
    add(`data ${JSON.stringify(text)}`, headers(), utf8(text));
  for (const field of ["id", "username", "user_id", "item_name", "timestamp"]) {
    for (const value of [rng.pick(NOT_STRINGS.slice(0, 7)), { $gt: "" }, { $ne: null }, { $where: "1" }])
      add(`data ${field} is ${JSON.stringify(value)}`, headers(), json({ ...purchase(), [field]: value }));
  }
  for (const value of ["12.5", { $gt: 0 }, null, -1, 1_000_000.01, 0.001])
    add(`data price is ${JSON.stringify(value)}`, headers(), json({ ...purchase(), price: value }));
  add("data price is 1e309", headers(), utf8(JSON.stringify(purchase()).replace("999.99", "1e309")));
  for (const field of ["username", "user_id", "item_name", "price", "timestamp"]) {
    const { [field as "username"]: _, ...rest } = purchase();
    add(`data without ${field}`, headers(), json(rest));
  }
  for (const timestamp of ["yesterday", "2026-11-21T10:00:00", "2026-11-21", "", 1_700_000_000])
    add(`data timestamp ${JSON.stringify(timestamp)}`, headers(), json({ ...purchase(), timestamp }));
  add("data username of 10k characters", headers(), json({ ...purchase(), username: rng.text(10_000) }));
  add("data user_id of 10k characters", headers(), json({ ...purchase(), user_id: rng.text(10_000) }));
  add("data id of 200 characters", headers(), json({ ...purchase(), id: rng.text(200) }));
  add("data id with a slash", headers(), json({ ...purchase(), id: "../../x" }));
  add("data item_name of 200 characters", headers(), json({ ...purchase(), item_name: rng.text(200) }));
  add(
    "data username with an unpaired surrogate",
    headers(),
    json({ ...purchase(), username: "Mal\ud800lory" }),
  );
  const nested = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
  add(
    "data username nested 30000 deep",
    headers(),
    utf8(JSON.stringify(purchase()).replace('"Mallory"', nested)),
  );
  add("event of 70 kB", headers(), json({ ...purchase(), pad: rng.text(70_000) }));
  add("event of 1 MB", headers(), json({ ...purchase(), pad: rng.text(1_000_000) }));

  // Impossible dates: the shape is right, the day does not exist.
  for (const timestamp of ["2026-02-30T00:00:00Z", "2026-02-29T12:00:00Z", "2026-04-31T10:00:00+02:00"])
    add(`data timestamp ${timestamp}`, headers(), json({ ...purchase(), timestamp }), "invalid_data");
  const feb30 = { ...headers(), "ce-time": "2026-02-30T00:00:00Z" };
  add("binary: ce-time 2026-02-30", feb30, json(purchase()), "invalid_event");

  // Repeated attribute headers: Node would join two ce-id into the id "a, b".
  for (const name of ["ce-id", "ce-source", "ce-type", "ce-specversion", "content-type"]) {
    const h = headers();
    cases.push({
      endpoint: ENDPOINT,
      name: `binary: ${name} sent twice`,
      target: "purchase-persist",
      method: "POST",
      path: "/",
      rawHeaders: [...Object.entries(h), [name, h[name] ?? ""]],
      body: json(purchase()),
      error: "invalid_event",
    });
  }

  // Identity collisions: a different purchase under an identity that a stored one holds (422).
  const held = heldEvents(runId);
  for (const [field, value] of [
    ["item_name", "Desk"],
    ["price", 1],
    ["user_id", "alice"],
    ["timestamp", "2026-11-21T11:00:00.000Z"],
  ] as const) {
    add(`collision: own (source, id), another ${field}`, held.own, json({ ...held.data, [field]: value }));
    add(
      `collision: wrapped record, same time, another ${field}`,
      held.wrapped,
      json({ ...held.data, [field]: value }),
    );
  }
  add(
    "collision: own (source, id), another purchase id",
    held.own,
    json({ ...held.data, id: `${runId}-other` }),
    "identity_conflict",
  );

  // Encodings.
  add("random bytes", headers(), rng.bytes(64));
  const p = JSON.stringify(purchase());
  const [head = "", tail = ""] = p.split("Mallory");
  add("invalid UTF-8 inside a string", headers(), concat(utf8(`${head}Jos`), [0xe9], utf8(tail)));
  add("UTF-16LE body", { ...headers(), "content-type": "application/json; charset=utf-16" }, utf16(p));
  add("BOM before malformed JSON", headers(), concat(BOM, utf8("{id:1}")));

  // Structured mode.
  const structured = { "content-type": "application/cloudevents+json; charset=utf-8" };
  const event = (over: Record<string, unknown> = {}) => ({
    specversion: "1.0",
    id: `${runId}-event-${n++}`,
    source: "/bad-input",
    type: "org.example.purchases.purchase.created.v1",
    datacontenttype: "application/json",
    data: purchase(),
    ...over,
  });
  const omit = (key: string) => Object.fromEntries(Object.entries(event()).filter(([k]) => k !== key));
  for (const key of ["id", "source", "type", "specversion"])
    add(`structured: no ${key}`, structured, json(omit(key)));
  for (const key of ["id", "source", "type"])
    add(`structured: ${key} is {"$gt":""}`, structured, json(event({ [key]: { $gt: "" } })));
  add("structured: specversion 0.3", structured, json(event({ specversion: "0.3" })));
  add("structured: not JSON", structured, utf8("{not json"));
  add("structured: a JSON array", structured, json([event()]));
  add(
    "structured: data_base64 garbage",
    structured,
    json({ ...omit("data"), data_base64: "!!!not base64%%%" }),
  );
  add(
    "structured: data_base64 of non-JSON",
    structured,
    json({ ...omit("data"), data_base64: Buffer.from("nope").toString("base64") }),
  );
  add("structured: data is a string", structured, json(event({ data: "not json" })));
  add("structured: data is null", structured, json(event({ data: null })));
  add("structured: empty object", structured, json({}));
  add(
    "structured: both data and data_base64",
    structured,
    json(event({ data_base64: Buffer.from(JSON.stringify(purchase())).toString("base64") })),
    "invalid_event",
  );
  add(
    "structured: time 2026-02-30",
    structured,
    json(event({ time: "2026-02-30T10:00:00Z" })),
    "invalid_event",
  );

  // Batched mode is not accepted (KafkaSource sends one event per request).
  const batch = { "content-type": "application/cloudevents-batch+json" };
  add("batch of one event", batch, json([event()]));
  add("batch: not JSON", batch, utf8("["));
  add("batch of numbers", batch, json([1, 2]));
  return cases;
}
