// Whether buy hands a purchase to the Kafka client at all. Once handed over, a purchase that times
// out may still be written (./outcome.ts), and is answered 504 outcome_unknown; to keep those rare,
// buy stops handing purchases over as soon as Kafka looks stuck and answers 503 at once: such a
// purchase is certainly not written. A circuit breaker:
// - open while an acknowledgement is overdue (the oldest pending one is older than `stallMs`;
//   acks=all on a healthy cluster take milliseconds);
// - half-open after a failure: one purchase at a time, until one succeeds, and none while no broker
//   accepts a TCP connection (a stopped broker: refused at once, not after a delivery timeout).
// So a hung broker costs the purchases taken in its first `stallMs` plus one per delivery timeout,
// instead of every purchase taken while it hangs.
import { GateClosedError } from "./outcome.ts";

export interface ProduceGateOptions {
  stallMs: number;
  /** Whether a broker accepts connections (anyBrokerListening); asked only after a failure. */
  reachable?: () => Promise<boolean>;
  now?: () => number;
}

export function createProduceGate({
  stallMs,
  reachable = async () => true,
  now = () => performance.now(),
}: ProduceGateOptions) {
  // Insertion order is start order: the first entry is the oldest pending produce.
  const pending = new Map<symbol, number>();
  let failing = false;

  /** Why a produce must not start now, or undefined when it may. */
  const refusal = (): string | undefined => {
    const oldest = pending.values().next().value;
    if (oldest !== undefined && now() - oldest > stallMs)
      return `an earlier purchase has waited over ${stallMs} ms for Kafka's acknowledgement`;
    if (failing && pending.size > 0) return "Kafka failed an earlier purchase and is being tried again";
    return undefined;
  };

  return {
    refusal,
    /** Runs `send` unless the gate is closed, in which case it throws GateClosedError at once. */
    async run<T>(send: () => Promise<T>): Promise<T> {
      let why = refusal();
      if (!why && failing && !(await reachable())) why = "no Kafka broker accepts connections";
      why ??= refusal(); // again: others may have started while we waited
      if (why) throw new GateClosedError(why);
      const token = Symbol();
      pending.set(token, now());
      try {
        const result = await send();
        failing = false;
        return result;
      } catch (err) {
        failing = true;
        throw err;
      } finally {
        pending.delete(token);
      }
    },
    get pending() {
      return pending.size;
    },
  };
}
