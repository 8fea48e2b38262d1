// Pure: a Kafka record -> the CloudEvent KafkaSource dispatches, as eventing-kafka-broker does it:
// - a record that already is a CloudEvent (Kafka protocol binding, binary mode: `ce_specversion`
//   header; structured mode: `content-type: application/cloudevents...`) keeps its attributes
//   (io.cloudevents.kafka.CloudEventDeserializer);
// - any other record, or one whose CloudEvent is invalid, is wrapped the way
//   InvalidCloudEventInterceptor does it (id partition:<p>/offset:<o>, type dev.knative.kafka.event…);
// - every event then gains knativekafkapartition / knativekafkaoffset and the spec.ceOverrides
//   extensions (CloudEventOverridesMutator).
// The cloudevents SDK's Kafka.toEvent is not used: it JSON-parses data, adds `partitionkey` to every
// event and detects binary mode by ce_id; the raw value bytes must pass through unchanged.

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

/** A Kafka record as the consumer hands it over (header values are raw bytes). */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number | undefined;
  key?: Buffer | undefined;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

/** A CloudEvent as attributes (context attributes and extensions, flat) plus the data bytes. */
export interface MappedEvent {
  attributes: Attributes;
  data: Buffer | undefined;
}

export interface SourceRef {
  namespace: string;
  name: string;
}

const PLAIN_EVENT_TYPE = "dev.knative.kafka.event";
const REQUIRED = ["specversion", "id", "source", "type"] as const;

export function toCloudEvent(
  record: KafkaRecord,
  source: SourceRef,
  overrides: Record<string, string> = {},
): MappedEvent {
  const event = parseCloudEventRecord(record) ?? wrapPlainRecord(record, source);
  return {
    data: event.data,
    attributes: {
      ...event.attributes,
      ...overrides,
      knativekafkapartition: record.partition,
      knativekafkaoffset: record.offset,
    },
  };
}

/** The record's own CloudEvent (binary or structured mode), or undefined when it is not a valid one. */
export function parseCloudEventRecord(
  record: Pick<KafkaRecord, "headers" | "value">,
): MappedEvent | undefined {
  const headers = new Map(record.headers.map(([k, val]) => [k.toLowerCase(), val.toString("utf8")]));
  const contentType = headers.get("content-type");
  let event: MappedEvent | undefined;
  if (contentType?.toLowerCase().startsWith("application/cloudevents") && !contentType.includes("batch")) {
    event = parseStructured(record.value);
  } else if (headers.has("ce_specversion")) {
    // Kafka protocol binding 3.2.3: every attribute is a `ce_<name>` header; content-type is datacontenttype.
    const attributes: Attributes = {};
    for (const [name, value] of headers) if (name.startsWith("ce_")) attributes[name.slice(3)] = value;
    if (contentType !== undefined) attributes.datacontenttype = contentType;
    event = { attributes, data: record.value ?? undefined };
  }
  if (!event || REQUIRED.some((a) => typeof event.attributes[a] !== "string" || event.attributes[a] === "")) {
    return undefined;
  }
  return encodable(event.attributes) ? event : undefined;
}

/**
 * False for attributes no CloudEvents SDK turns into a valid event, and binding.ts (like the JS SDK)
 * refuses to send: a time that is no date, a data_base64 that is no base64, schemaurl on a 1.0 event,
 * dataschema on a 0.3 one. Such a record is an invalid CloudEvent and is wrapped like a plain record,
 * as KafkaSource's InvalidCloudEventInterceptor does; as a CloudEvent it could never be delivered and
 * would hold back its partition's commits.
 */
function encodable(a: Attributes): boolean {
  if (a.time && Number.isNaN(new Date(a.time as string).getTime())) return false;
  if (a.data_base64 && !isBase64(String(a.data_base64))) return false;
  if (a.specversion === "1.0" && a.schemaurl) return false;
  return !(a.specversion === "0.3" && a.dataschema);
}

// JSON event format (cloudevents/spec json-format.md): data_base64 carries bytes, `data` a JSON value
// (or a string for non-JSON content types); without datacontenttype, data is application/json.
function parseStructured(value: Buffer | null): MappedEvent | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(value?.toString("utf8") ?? "");
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return undefined;
  const { data, data_base64, ...rest } = doc as Record<string, unknown>;
  const attributes: Attributes = {};
  for (const [name, v] of Object.entries(rest)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") attributes[name] = v;
  }
  const type = typeof attributes.datacontenttype === "string" ? attributes.datacontenttype : undefined;
  if (typeof data_base64 === "string") {
    // Buffer.from skips what is not base64 and decodes the rest: garbage would pass as data. A
    // data_base64 that is no base64 makes the event invalid (wrapped like a plain record), as in
    // binary mode (encodable).
    if (!isBase64(data_base64)) return undefined;
    return { attributes, data: Buffer.from(data_base64, "base64") };
  }
  if (data === undefined) return { attributes, data: undefined };
  if (typeof data === "string" && type !== undefined && !isJson(type))
    return { attributes, data: Buffer.from(data) };
  if (type === undefined) attributes.datacontenttype = "application/json";
  return { attributes, data: Buffer.from(JSON.stringify(data)) };
}

/** What the SDK's atob accepts (RFC 4648 base64, whitespace allowed). */
function isBase64(text: string): boolean {
  try {
    atob(text);
    return true;
  } catch {
    return false;
  }
}

const isJson = (type: string) => /^application\/(?:[\w.+-]*\+)?json\b/i.test(type) || /\/json\b/i.test(type);

/** InvalidCloudEventInterceptor.validRecord: a CloudEvent made from the record's metadata. */
function wrapPlainRecord(record: KafkaRecord, source: SourceRef): MappedEvent {
  const attributes: Attributes = {
    specversion: "1.0",
    id: `partition:${record.partition}/offset:${record.offset}`,
    source: `/apis/v1/namespaces/${source.namespace}/kafkasources/${source.name}#${record.topic}`,
    type: PLAIN_EVENT_TYPE,
    subject: `partition:${record.partition}#${record.offset}`,
  };
  // A producer sets any timestamp; past year 275760 no Date can hold it (toISOString throws).
  if (record.timestamp !== undefined && record.timestamp >= 0 && record.timestamp <= 8.64e15) {
    attributes.time = new Date(record.timestamp).toISOString();
  }
  if (record.key !== undefined) {
    // KafkaSource's default key type is string (annotation kafkasources.sources.knative.dev/key-type).
    attributes.key = record.key.toString("utf8");
    attributes.partitionkey = attributes.key;
  }
  for (const [name, value] of record.headers) {
    if (name.toLowerCase() === "content-type") {
      attributes.datacontenttype = value.toString("utf8").toLowerCase();
    } else {
      attributes[`kafkaheader${headerExtensionName(name)}`] = value.toString("utf8");
    }
  }
  return { attributes, data: record.value ?? undefined };
}

/**
 * The least event a record makes (for a dead letter's identity when toCloudEvent threw): the
 * wrapping's id, source and type and the record's position, from nothing that can fail.
 */
export function fallbackEvent(record: KafkaRecord, source: SourceRef): MappedEvent {
  return {
    data: record.value ?? undefined,
    attributes: {
      specversion: "1.0",
      id: `partition:${record.partition}/offset:${record.offset}`,
      source: `/apis/v1/namespaces/${source.namespace}/kafkasources/${source.name}#${record.topic}`,
      type: PLAIN_EVENT_TYPE,
      knativekafkapartition: record.partition,
      knativekafkaoffset: record.offset,
    },
  };
}

/** CloudEvents attribute names are [a-z0-9]: lower-case the header name and drop everything else. */
export const headerExtensionName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");
