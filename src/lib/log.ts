/**
 * JSON log lines. Only fields named here are logged; callers pass ids and codes, never bodies,
 * tokens, passwords or email addresses (a test scans a whole shopping flow's logs for them).
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export type Logger = {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
};

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: "info" | "warn" | "error", event: string, fields?: LogFields) => {
    const line = JSON.stringify({ level, event, ts: new Date().toISOString(), ...base, ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}
