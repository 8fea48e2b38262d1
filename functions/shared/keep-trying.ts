import { setTimeout as sleep } from "node:timers/promises";
import { errorFields, type Logger } from "./logging.ts";

/**
 * Runs `attempt` until it resolves, `intervalMs` apart, logging each failure: a start-up step that
 * needs a dependency which may come up later (the database's indexes, its first ping).
 */
export async function keepTrying(
  what: string,
  attempt: () => Promise<unknown>,
  logger: Logger,
  intervalMs = 1000,
): Promise<void> {
  for (let n = 1; ; n++) {
    try {
      await attempt();
      return;
    } catch (err) {
      logger.warn(`${what} failed`, { attempt: n, ...errorFields(err) });
      await sleep(intervalMs, undefined, { ref: false });
    }
  }
}
