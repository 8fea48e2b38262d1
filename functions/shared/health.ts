// A dependency probe with a short cache, so that a storm of /health calls costs one probe per
// `ttlMs` and a dead dependency answers within the probe's own bound.
export function cachedProbe<T>(probe: () => Promise<T>, ttlMs = 1000) {
  let last: { at: number; ok: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > ttlMs) last = { at: now, ok: probe() };
    return last.ok;
  };
}
