// Live updates by polling, not Server-Sent Events or WebSockets. The API is plain request/response
// Knative functions that scale to zero and scale on concurrency (in-flight requests per pod). A
// stream would hold one connection per open tab for as long as the tab lives: every viewer would
// count as permanent concurrency, keep pods from scaling to zero and skew the autoscaler, and the
// stream would break on every scale-down anyway. A short GET every second is what the autoscaler
// is built to count, and it stops while the tab is hidden.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `run` every `intervalMs` while the page is visible; never two at once. After a failure
 * the next automatic try backs off (2x, up to `maxBackoffMs`); refresh() always tries at once.
 */
export function createPoller(run, { intervalMs = 1000, maxBackoffMs = 10_000 } = {}) {
  let timer;
  let inFlight;
  let again = false;
  let failures = 0;
  let running = false;

  function schedule() {
    clearTimeout(timer);
    if (!running || document.visibilityState !== "visible") return;
    const delay = failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** failures, maxBackoffMs);
    timer = setTimeout(refresh, delay);
  }

  /** Runs now; a call during a run makes that run go once more (its answer may be stale). */
  function refresh() {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    clearTimeout(timer);
    inFlight = (async () => {
      do {
        again = false;
        try {
          await run();
          failures = 0;
        } catch {
          failures += 1;
        }
      } while (again);
    })().finally(() => {
      inFlight = undefined;
      schedule();
    });
    return inFlight;
  }

  /** Polls quickly until `done()` (a purchase just made is usually stored within ~0.5 s). */
  async function burst(done, delays = [100, 150, 250, 250, 250, 500, 500, 1000]) {
    for (const ms of delays) {
      await sleep(ms);
      if (done()) return;
      await refresh();
      if (done()) return;
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      if (running) refresh();
    } else clearTimeout(timer);
  });

  return {
    start() {
      running = true;
      return refresh();
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
    refresh,
    burst,
  };
}
