// HTTP on keep-alive connections for the latency figures (node:http: less client overhead than
// fetch), an open-loop load at a fixed rate, and reading a few Prometheus values.

import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

export function call(url: string, method = "GET", body?: string, headers: Record<string, string> = {}) {
  const t0 = performance.now();
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      { method, agent, headers: body ? { "content-type": "application/json", ...headers } : headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - t0,
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url}: no answer in 30 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Starts `send(i)` at `rate` per second, evenly spaced, for `seconds`, whatever the answers take
 * (open loop: a slow server meets the same arrivals). `due` is when request i was scheduled
 * (performance.now() clock): latency measured from it counts a late start against the server too.
 */
export async function pacedLoad(
  rate: number,
  seconds: number,
  send: (i: number, due: number) => Promise<void>,
  onSecond?: (sent: number) => void,
  /** Longest wait for the answers still pending after the last send (then they are left behind). */
  drainMs = Number.POSITIVE_INFINITY,
) {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let lastSecond = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const p = send(sent, t0 + (sent / rate) * 1000).finally(() => pending.delete(p));
      pending.add(p);
    }
    const second = Math.floor((performance.now() - t0) / 1000);
    if (second > lastSecond) {
      lastSecond = second;
      onSecond?.(sent);
    }
    await sleep(1);
  }
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    Promise.all(pending).then(() => true),
    new Promise<false>((r) => {
      if (Number.isFinite(drainMs)) timer = setTimeout(() => r(false), drainMs);
    }),
  ]);
  clearTimeout(timer);
  return { sent, seconds: (performance.now() - t0) / 1000, unfinished: drained ? 0 : pending.size };
}

/** Sum over all label sets of each named metric in a Prometheus text page. */
export async function scrape(url: string, names: string[]): Promise<Record<string, number>> {
  const text = await call(url).then(
    (a) => a.body,
    () => "",
  );
  const out: Record<string, number> = {};
  for (const name of names) {
    out[name] = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
        out[name] += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
      }
    }
  }
  return out;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds each named process uses from now until the returned function is called. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const known = Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined);
  const start = known.map(([, pid]) => cpuSeconds(pid));
  return () =>
    Object.fromEntries(
      known.map(([name, pid], i) => [name, Math.round((cpuSeconds(pid) - (start[i] as number)) * 100) / 100]),
    );
}

/** Resident set size in MB, from /proc (Linux); NaN elsewhere. */
export function rssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return Number.NaN;
  }
}
