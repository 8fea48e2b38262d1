// Names no other run uses, so that tests, the bench and the campaigns share one broker and one
// database without seeing each other's topics, consumer groups or data.

let counter = 0;
/** A name no other test run uses: topics, databases, consumer groups. */
export const unique = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/**
 * A purchases topic, dead-letter topic and consumer group of their own, as the env of
 * harness/system.ts startSystem (which points the dispatcher at the same three).
 */
export function isolatedPipeline(prefix: string) {
  const [topic, dlq, group] = [unique(prefix), unique(`${prefix}-dlq`), unique(`${prefix}-group`)];
  return { topic, dlq, group, env: { KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlq, KAFKA_GROUP_ID: group } };
}
