// JSON-lines logger. Hand-written because it is 30 lines; a logging library would add a
// dependency and start-up time to every function for no feature we use.
import { traceFields } from "./tracing.ts";

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;
export type Level = keyof typeof levels;
type Fields = Record<string, unknown>;
export type Logger = Record<Exclude<Level, "silent">, (msg: string, fields?: Fields) => void> & {
  child(fields: Fields): Logger;
};

export function createLogger(
  level: Level = "info",
  base: Fields = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const min = levels[level];
  const emit = (lvl: Exclude<Level, "silent">) => (msg: string, fields?: Fields) => {
    if (levels[lvl] < min) return;
    const line = { time: new Date().toISOString(), level: lvl, msg, ...base, ...traceFields(), ...fields };
    write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

/** Error fields safe to log: name, message, code; the stack only at debug level. */
export function errorFields(err: unknown): Fields {
  if (!(err instanceof Error)) return { err: String(err) };
  const code = (err as { code?: unknown }).code;
  return { err: err.message, errName: err.name, ...(code === undefined ? {} : { code }) };
}
