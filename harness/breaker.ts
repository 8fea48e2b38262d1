// Stand-in for Knative queue-proxy's breaker (knative/serving pkg/queue/breaker.go, built in
// pkg/queue/sharedmain): at most `concurrency` requests in flight to a function (its
// containerConcurrency), at most `queueDepth` more waiting, and any request beyond both refused at
// once. queue-proxy sizes the queue at 10 x containerConcurrency, "to allow the autoscaler time to
// react"; the gateway takes the same rule. Without it the gateway queued without limit: with buy
// stuck, 300 clients waited up to 25 s for a 503 (issue 24, point 6).

export interface BreakerOptions {
  /** Requests in flight at most (Knative's containerConcurrency). */
  concurrency: number;
  /** Requests waiting for a slot at most (queue-proxy: 10 x containerConcurrency). */
  queueDepth: number;
}

export function createBreaker({ concurrency, queueDepth }: BreakerOptions) {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next)
      next(); // the slot passes straight to the oldest waiting request
    else active--;
  };
  return {
    /**
     * A slot for one request: resolves with its release once the request may go, or is undefined
     * at once when `concurrency` are in flight and `queueDepth` wait already.
     */
    enter(): Promise<() => void> | undefined {
      if (active < concurrency) {
        active++;
        return Promise.resolve(once(release));
      }
      if (waiting.length >= queueDepth) return undefined;
      return new Promise((resolve) => waiting.push(() => resolve(once(release))));
    },
    get inFlight() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
  };
}

function once(fn: () => void) {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
