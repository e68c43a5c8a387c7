// The SDK's logging: a pino-compatible interface (pass your pino logger), a JSON-lines default
// on stderr, and a rate limiter so a Kafka outage produces one line per interval, not a flood.

/** Pino-compatible subset: `logger.warn({ ...fields }, 'message')`. */
export interface SdkLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const stderrLogger: SdkLogger = {
  warn: (obj, msg) =>
    process.stderr.write(`${JSON.stringify({ level: 'warn', time: Date.now(), name: 'aurea-sdk', ...obj, msg })}\n`),
  error: (obj, msg) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', time: Date.now(), name: 'aurea-sdk', ...obj, msg })}\n`),
};

/** At most one line per key per `intervalMs`; the next line reports how many were suppressed. */
export class RateLimitedLogger {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly logger: SdkLogger,
    private readonly intervalMs = 10_000,
  ) {}

  log(level: 'warn' | 'error', key: string, obj: object, msg: string): boolean {
    const now = Date.now();
    const s = this.last.get(key);
    if (s !== undefined && now - s.at < this.intervalMs) {
      s.suppressed++;
      return false;
    }
    const suppressed = s?.suppressed ?? 0;
    if (this.last.size > 1000) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    try {
      this.logger[level](suppressed > 0 ? { ...obj, suppressed } : obj, msg);
    } catch {
      // A failing logger must never reach the caller.
    }
    return true;
  }
}
