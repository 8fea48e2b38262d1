// The API health indicator: GET /health every 5 s while the tab is visible. /health answers 503
// with {kafka: "unreachable"} when the API is up but cannot accept purchases.

const LABELS = {
  ok: "API healthy",
  degraded: "Kafka unreachable",
  down: "API unreachable",
};

export function createHealth(api, el, { intervalMs = 5000, onRecover = () => {} } = {}) {
  const text = el.querySelector(".health-text");
  let timer;

  function set(state, title, label = LABELS[state]) {
    const before = el.dataset.state;
    el.dataset.state = state;
    if (text.textContent !== label) text.textContent = label;
    el.title = title;
    if (state === "ok" && (before === "down" || before === "degraded")) onRecover();
  }

  async function check() {
    clearTimeout(timer);
    el.setAttribute("aria-busy", "true");
    try {
      const { status, data } = await api.health();
      if (status === 200) set("ok", `${data?.service ?? "API"}: ${data?.kafka ?? "up"}`);
      else if (data?.kafka) set("degraded", "The API is up, but purchases cannot be accepted right now");
      else set("down", `The API answered HTTP ${status}`, `API error ${status}`);
    } catch (err) {
      set("down", err.message);
    } finally {
      el.setAttribute("aria-busy", "false");
      if (document.visibilityState === "visible") timer = setTimeout(check, intervalMs);
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void check();
    else clearTimeout(timer);
  });

  return { check };
}
