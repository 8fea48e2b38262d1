// The KafkaSource consumer group's state and total lag, read with the Admin API.
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { Gauge, type Registry } from "prom-client";
import type { Admin } from "../shared/kafka.ts";

const { IsolationLevel, ConsumerGroupStates } = KafkaJS;
const stateNames = new Map(
  Object.entries(ConsumerGroupStates).map(([name, n]) => [n as number, name.toLowerCase()]),
);

import { withTimeout } from "../shared/kafka.ts";

export interface GroupState {
  /** "consuming" when the group has active members, "idle" when it has none, else the raw state. */
  state: string;
  /** Sum over partitions of (high watermark - committed offset). */
  lag: number;
}

export async function groupState(admin: Admin, groupId: string, topic: string, timeoutMs: number) {
  try {
    return await withTimeout(readGroup(admin, groupId, topic, timeoutMs), timeoutMs + 200);
  } catch {
    return undefined;
  }
}

async function readGroup(
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs: number,
): Promise<GroupState> {
  const [described, committed, ends] = await Promise.all([
    admin.describeGroups([groupId], { timeout: timeoutMs }),
    admin.fetchOffsets({ groupId, topics: [topic], timeout: timeoutMs }),
    admin.fetchTopicOffsets(topic, { timeout: timeoutMs, isolationLevel: IsolationLevel.READ_UNCOMMITTED }),
  ]);
  const committedByPartition = new Map<number, number>();
  for (const t of committed)
    for (const p of t.partitions) committedByPartition.set(p.partition, Number(p.offset));
  let lag = 0;
  for (const end of ends) {
    const high = Number(end.high);
    const done = committedByPartition.get(end.partition) ?? -1;
    lag += Math.max(0, high - (done >= 0 ? done : Number(end.low)));
  }
  const group = described.groups[0];
  const members = group?.members.length ?? 0;
  const raw = stateNames.get(Number(group?.state)) ?? "unknown";
  return { state: members > 0 ? "consuming" : raw === "empty" || raw === "dead" ? "idle" : raw, lag };
}

/**
 * The lag as a gauge, read at scrape time: kafka_consumergroup_lag_sum{consumergroup,topic}, the
 * name and labels of the Kafka Exporter (Strimzi's too), so one alert rule reads either. No sample
 * while Kafka is unreachable: an unknown lag is not a lag of 0.
 */
export function lagGauge(
  registry: Registry,
  labels: { consumergroup: string; topic: string },
  read: () => Promise<GroupState | undefined>,
) {
  return new Gauge({
    name: "kafka_consumergroup_lag_sum",
    help: "Records the KafkaSource's consumer group has not committed yet, summed over partitions",
    labelNames: ["consumergroup", "topic"] as const,
    registers: [registry],
    async collect() {
      const state = await read();
      this.reset();
      if (state) this.set(labels, state.lag);
    },
  });
}
