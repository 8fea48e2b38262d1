// The KafkaSource consumer group's state and total lag, read with the Admin API.
import { KafkaJS } from "@confluentinc/kafka-javascript";
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
