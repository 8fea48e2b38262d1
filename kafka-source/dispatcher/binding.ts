// Pure: a mapped event -> the bytes that go on the wire, in binary content mode.
// HTTP: the cloudevents SDK's HTTP.binary, corrected where it differs from what KafkaSource (the Java
// SDK's binary writer) sends: no `ce-time` or `Content-Type` the event does not have (the JS SDK
// invents both), and header values made sendable (HTTP binding 3.1.3.2 percent-encoding).
// Kafka: the Kafka protocol binding 3.2 by hand (a `ce_<name>` header per attribute, datacontenttype
// as `content-type`, data as the value), because the SDK's Kafka.binary also writes undefined
// attributes, a made-up time and a `ce_datacontenttype` duplicate.
import { CloudEvent, HTTP } from "cloudevents";
import type { Attributes, MappedEvent } from "./mapping.ts";

export interface HttpMessage {
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export function toHttpBinary(event: MappedEvent): HttpMessage {
  const ce = new CloudEvent<Buffer>({ ...event.attributes, data: event.data }, false);
  const message = HTTP.binary(ce);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = String(value);
  }
  if (event.attributes.time === undefined) delete headers["ce-time"];
  if (event.attributes.datacontenttype === undefined) delete headers["content-type"];
  else headers["content-type"] = String(event.attributes.datacontenttype);
  for (const name of Object.keys(headers)) {
    if (name.startsWith("ce-")) headers[name] = percentEncode(headers[name] as string);
  }
  return { headers, body: event.data };
}

/** Percent-encodes what an HTTP header cannot carry: characters outside printable ASCII. */
const percentEncode = (value: string) =>
  value.replace(/[^\x20-\x7e]+/g, (chars) => encodeURIComponent(chars));

export interface KafkaBinaryMessage {
  key: Buffer | undefined;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function toKafkaBinary(event: MappedEvent, key: Buffer | undefined): KafkaBinaryMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.attributes)) {
    if (name === "datacontenttype") headers["content-type"] = String(value);
    else headers[`ce_${name}`] = String(value);
  }
  return { key, value: event.data ?? null, headers };
}

/** Attributes without the given extensions (e.g. the knativeerror* ones before a replay). */
export function withoutAttributes(attributes: Attributes, names: (name: string) => boolean): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => !names(name)));
}
