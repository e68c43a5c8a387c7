// A circuit breaker per provider. closed → (N consecutive failures) → open: calls fail fast
// for `cooldownMs` → half_open: up to `halfOpenProbes` calls go through; one success closes
// it, one failure reopens it. Every transition is reported (the SDK exports the state).
import { ProviderError } from './providers/types.js';

export type BreakerState = 'closed' | 'half_open' | 'open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  halfOpenProbes?: number;
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

export class CircuitOpenError extends ProviderError {
  constructor(provider: string) {
    super('circuit_open', `circuit breaker for provider ${provider} is open`, false);
  }
}

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probesInFlight = 0;
  private readonly now: () => number;

  constructor(
    readonly provider: string,
    private readonly opts: BreakerOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get current(): BreakerState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.opts.cooldownMs) this.transition('half_open');
    return this.state;
  }

  /** Run `fn` through the breaker; counts its outcome. Errors that are the caller's fault can be excluded. */
  async run<T>(fn: () => Promise<T>, countsAsFailure: (err: unknown) => boolean = () => true): Promise<T> {
    const state = this.current;
    if (state === 'open') throw new CircuitOpenError(this.provider);
    if (state === 'half_open') {
      if (this.probesInFlight >= (this.opts.halfOpenProbes ?? 1)) throw new CircuitOpenError(this.provider);
      this.probesInFlight++;
    }
    try {
      const out = await fn();
      this.onSuccess();
      return out;
    } catch (err) {
      if (countsAsFailure(err)) this.onFailure();
      else if (state === 'half_open') this.transition('open');
      throw err;
    } finally {
      if (state === 'half_open') this.probesInFlight--;
    }
  }

  private onSuccess(): void {
    this.failures = 0;
    if (this.state !== 'closed') this.transition('closed');
  }

  private onFailure(): void {
    this.failures++;
    if (this.state === 'half_open' || (this.state === 'closed' && this.failures >= this.opts.failureThreshold)) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  private transition(to: BreakerState): void {
    if (to === this.state) return;
    this.state = to;
    if (to === 'closed') this.failures = 0;
    this.opts.onStateChange?.(to);
  }
}
