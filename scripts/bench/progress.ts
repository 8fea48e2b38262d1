// Progress lines for a long run: every line carries the time since the bench started, e.g.
// `[  1:02.3] persist: pipeline 40000/100000 stored (4120/s)`.
const started = performance.now();

export function elapsed(): string {
  const s = (performance.now() - started) / 1000;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

export type Say = (message: string) => void;

function say(figure: string, message: string) {
  process.stdout.write(`[${elapsed().padStart(7)}] ${figure}: ${message}\n`);
}

export const sayer =
  (figure: string): Say =>
  (message) =>
    say(figure, message);
