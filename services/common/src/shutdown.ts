// Ordered shutdown with a deadline: steps run in registration order (stop intake, drain,
// flush, commit, close); each gets what is left of the deadline; a stuck step is logged and
// skipped so the ones after it (closing connections) still run.
import type { Logger } from 'pino';

type Step = { name: string; run: () => Promise<void> | void };

export class Shutdown {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly deadlineMs = 15_000,
  ) {}

  add(name: string, run: () => Promise<void> | void): this {
    this.steps.push({ name, run });
    return this;
  }

  run(reason: string): Promise<void> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  private async execute(reason: string): Promise<void> {
    const end = Date.now() + this.deadlineMs;
    this.log.info({ reason, deadlineMs: this.deadlineMs }, 'shutting down');
    for (const step of this.steps) {
      const left = Math.max(end - Date.now(), 100);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(step.run),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`step "${step.name}" exceeded the shutdown deadline`)), left);
          }),
        ]);
        this.log.debug({ step: step.name }, 'shutdown step done');
      } catch (err) {
        this.log.error({ err, step: step.name }, 'shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
    this.log.info('shutdown complete');
  }

  /**
   * SIGINT/SIGTERM run the shutdown once, then exit. Repeated signals are absorbed (the deadline
   * already bounds the shutdown): a signal sent to a process group reaches a service both directly
   * and through a wrapper such as tsx or npm that relays it, and the second copy must not kill the
   * service halfway through flushing and committing.
   */
  installSignalHandlers(exit: (code: number) => void = (c) => process.exit(c)): void {
    const handler = (sig: NodeJS.Signals) => {
      if (this.running) {
        this.log.warn({ signal: sig }, 'shutdown already in progress; finishing it within its deadline');
        return;
      }
      void this.run(sig).then(() => exit(0));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
}
