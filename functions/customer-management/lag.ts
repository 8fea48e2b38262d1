// The KafkaSource consumer group's state and total lag, read without the Admin API's
// coordinator-based calls (see "Why not describeGroups/fetchOffsets" below).
import { KafkaJS } from "@confluentinc/kafka-javascript";
import { Gauge, type Registry } from "prom-client";
import type { Admin, Kafka } from "../shared/kafka.ts";
import { withTimeout } from "../shared/timeout.ts";

const { IsolationLevel, ConsumerGroupStates } = KafkaJS;

export interface GroupState {
  /** "consuming" when the group has active members, "idle" when it has none, else the raw state. */
  state: string;
  /** Sum over partitions of (high watermark - committed offset). */
  lag: number;
}

type Consumer = KafkaJS.Consumer;

/**
 * Reads one consumer group's state and lag. Why not describeGroups/fetchOffsets: in
 * @confluentinc/kafka-javascript 1.10.1 (librdkafka 2.15.1, the latest release; librdkafka's
 * master is the same) the Admin API's group-coordinator requests crash the whole process when the
 * broker restarts:
 * - describeGroups: a request that fails in flight yields a group description whose assignor is
 *   NULL, and the binding's result conversion calls strlen(NULL): SIGSEGV on the JS thread;
 * - fetchOffsets (ListConsumerGroupOffsets) that times out while the coordinator is down frees its
 *   enqueue-once handle, and the coordinator request later answers into it:
 *   `rd_kafka_enq_once_del_source_return: Assertion 'eonce->refcnt > 0'` (librdkafka #4605, #3663);
 * - fetchOffsets answered NOT_COORDINATOR (a broker loading its groups after a restart) makes
 *   librdkafka dereference the admin client's absent consumer group: SIGSEGV (librdkafka #5040).
 * So the state comes from listGroups (ListGroups, sent to every broker, no coordinator) and the
 * committed offsets from a consumer of the group that never subscribes (its OffsetFetch goes
 * through the consumer-group machinery that the dispatcher's consumers use and that survives
 * restarts). Both survive broker restarts: functions/customer-management/restart.test.ts.
 */
export function createGroupReader(kafka: Kafka, groupId: string) {
  const admin: Admin = kafka.admin();
  // Never subscribes, so it never joins the group nor commits; it only fetches committed offsets.
  const offsets: Consumer = kafka.consumer({ kafkaJS: { groupId, autoCommit: false } });
  return {
    connect: async () => {
      await admin.connect();
      await offsets.connect();
    },
    disconnect: async () => {
      await Promise.allSettled([offsets.disconnect(), admin.disconnect()]);
    },
    /** The group's state and lag on `topic`; undefined when Kafka does not answer within the bound. */
    read: async (topic: string, timeoutMs: number): Promise<GroupState | undefined> => {
      try {
        return await withTimeout(readGroup(admin, offsets, groupId, topic, timeoutMs), timeoutMs + 200);
      } catch {
        return undefined;
      }
    },
  };
}

export type GroupReader = ReturnType<typeof createGroupReader>;

async function readGroup(
  admin: Admin,
  offsets: Consumer,
  groupId: string,
  topic: string,
  timeoutMs: number,
): Promise<GroupState> {
  const [listed, ends] = await Promise.all([
    admin.listGroups({ timeout: timeoutMs }),
    admin.fetchTopicOffsets(topic, { timeout: timeoutMs, isolationLevel: IsolationLevel.READ_UNCOMMITTED }),
  ]);
  const committed = await offsets.committed(
    ends.map((e) => ({ topic, partition: e.partition })),
    timeoutMs,
  );
  const committedByPartition = new Map(committed.map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const end of ends) {
    const high = Number(end.high);
    // No commit yet reads as a negative offset: the group will start at the low watermark.
    const done = committedByPartition.get(end.partition) ?? -1;
    lag += Math.max(0, high - (done >= 0 ? done : Number(end.low)));
  }
  return { state: stateOf(listed, groupId), lag };
}

function stateOf(listed: Awaited<ReturnType<Admin["listGroups"]>>, groupId: string) {
  const group = listed.groups.find((g) => g.groupId === groupId);
  // Absent from a complete listing: no member ever joined, or the group expired.
  if (!group) {
    if (listed.errors.length > 0) throw new Error("a broker did not list its groups");
    return "idle";
  }
  switch (group.state) {
    case ConsumerGroupStates.STABLE:
    case ConsumerGroupStates.PREPARING_REBALANCE:
    case ConsumerGroupStates.COMPLETING_REBALANCE:
      return "consuming";
    case ConsumerGroupStates.EMPTY:
    case ConsumerGroupStates.DEAD:
      return "idle";
    default:
      return "unknown";
  }
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
