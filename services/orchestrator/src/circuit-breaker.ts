// A circuit breaker per provider. closed → (N consecutive failures) → open: calls fail fast
// for `cooldownMs` → half_open: up to `halfOpenProbes` calls go through; one success closes
// it, one failure reopens it; `reset()` closes it by hand (docs/orchestrator.md, "HTTP API":
// the breaker endpoints). Every transition is reported (the SDK exports the state and counts transitions).
import { ProviderError } from './providers/types.js';

export type BreakerState = 'closed' | 'half_open' | 'open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  halfOpenProbes?: number;
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

/** What the management endpoints show of a breaker. */
export interface BreakerSnapshot {
  provider: string;
  state: BreakerState;
  /** Consecutive failures counted while closed (the threshold opens it). */
  consecutiveFailures: number;
  failureThreshold: number;
  cooldownMs: number;
  /** When it last opened, and when an open breaker lets a probe through (RFC 3339); null otherwise. */
  openedAt: string | null;
  probeAt: string | null;
  /** True when a call would go through now (closed, or half-open with a probe slot free). */
  available: boolean;
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

  /** True when a call would go through now: closed, or half-open with a probe slot free. */
  get available(): boolean {
    const s = this.current;
    return s === 'closed' || (s === 'half_open' && this.probesInFlight < (this.opts.halfOpenProbes ?? 1));
  }

  snapshot(): BreakerSnapshot {
    const state = this.current;
    const opened = state === 'closed' ? null : new Date(this.openedAt).toISOString();
    return {
      provider: this.provider,
      state,
      consecutiveFailures: this.failures,
      failureThreshold: this.opts.failureThreshold,
      cooldownMs: this.opts.cooldownMs,
      openedAt: opened,
      probeAt: state === 'open' ? new Date(this.openedAt + this.opts.cooldownMs).toISOString() : null,
      available: this.available,
    };
  }

  /** Close the breaker by hand (an operator who knows the provider is back); a no-op when closed. */
  reset(): void {
    this.failures = 0;
    this.transition('closed');
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
