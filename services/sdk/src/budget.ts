// Budget enforcement (docs/sdk.md, "Budgets that refuse"): before a call, its budgets' known
// spend — the analytics API's figure (GET /v1/budgets, refreshed in the background) plus what
// this process has spent since that figure was requested — is compared with each budget's limit.
// The check never waits on the network: when the spend is unknown (the API has not answered, or
// its figure is stale) the configured policy decides (allow by default) and the case is counted.
// Money is compared as integers of nano-dollars, never as floats.

/** The budgets the analytics API serves, as the SDK needs them. */
export interface BudgetLimit {
  name: string;
  scope: 'global' | 'provider' | 'model' | 'tenant' | 'user' | 'repository';
  value: string | null;
  period: string;
  limitNanos: bigint;
  spendNanos: bigint;
}

/** What a call is checked by. */
export interface BudgetSubject {
  provider: string;
  model: string;
  tenant?: string | undefined;
  user?: string | undefined;
  repository?: string | undefined;
}

export interface BudgetOptions {
  /** Base URL of the analytics API (GET {url}/v1/budgets). */
  url: string;
  /** A key with `read` scope. */
  apiKey?: string;
  /** Background refresh interval (default 30 s). */
  refreshMs?: number;
  /** Per-request timeout (default 2 s). */
  timeoutMs?: number;
  /** A figure older than this is unknown (default 3 × refreshMs). */
  staleAfterMs?: number;
  /** Policy when the spend is unknown: allow (default) or deny. */
  whenUnknown?: 'allow' | 'deny';
  /** Names of the budgets that are hard limits; default every budget the API serves. */
  enforce?: readonly string[];
}

/** A call refused by a budget. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(
    /** The budget that refused, or '_unknown' when the spend was unknown and the policy is deny. */
    readonly budget: string,
    readonly scope: string,
    /** Known spend and limit, decimal USD strings (null when unknown). */
    readonly spendUsd: string | null,
    readonly limitUsd: string | null,
  ) {
    super(
      spendUsd === null
        ? `aurea: call refused: budget spend unknown and the policy is deny`
        : `aurea: call refused by budget ${budget}: spend ${spendUsd} USD of ${limitUsd} USD`,
    );
  }
}

export type BudgetDecision =
  { allowed: true; unknown: boolean } | { allowed: false; unknown: boolean; error: BudgetExceededError };

const NANO = 1_000_000_000n;
/** "12.5" / "0.150000000" → nano-dollars. */
export function parseUsdNanos(s: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(s.trim());
  if (!m) throw new Error(`not a decimal USD amount: ${JSON.stringify(s)}`);
  const v = BigInt(m[2]!) * NANO + BigInt((m[3] ?? '').padEnd(9, '0'));
  return m[1] ? -v : v;
}
export function formatUsdNanos(n: bigint): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  return `${neg ? '-' : ''}${a / NANO}.${(a % NANO).toString().padStart(9, '0')}`;
}

function applies(b: BudgetLimit, s: BudgetSubject): boolean {
  switch (b.scope) {
    case 'global':
      return true;
    case 'provider':
      return b.value === s.provider;
    case 'model':
      return b.value === s.model;
    case 'tenant':
      return b.value === (s.tenant ?? null);
    case 'user':
      return b.value === (s.user ?? null);
    case 'repository':
      return b.value === (s.repository ?? null);
    default:
      return false;
  }
}

interface ApiBudget {
  name: string;
  scope: string;
  value: string | null;
  period: { type: string; days?: number };
  limit_usd: string;
  spend_usd: string;
}

/**
 * The budget state of one process: the API's last figures, local spend since they were asked
 * for, and the decision for a call. Refresh runs in the background; check() is synchronous.
 */
export class BudgetGuard {
  private budgets: BudgetLimit[] = [];
  /** Local spend per budget since the request whose answer `budgets` holds was sent. */
  private local = new Map<string, bigint>();
  /** Local spend since the request in flight was sent (becomes `local` when it answers). */
  private pending: Map<string, bigint> | null = null;
  private fetchedAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly staleAfterMs: number;
  readonly whenUnknown: 'allow' | 'deny';
  private readonly enforce: Set<string> | null;
  /** Last refresh error (for logs); null after a success. */
  lastError: string | null = null;

  constructor(
    private readonly o: BudgetOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.refreshMs = o.refreshMs ?? 30_000;
    this.timeoutMs = o.timeoutMs ?? 2_000;
    this.staleAfterMs = o.staleAfterMs ?? 3 * this.refreshMs;
    this.whenUnknown = o.whenUnknown ?? 'allow';
    this.enforce = o.enforce ? new Set(o.enforce) : null;
  }

  /** Start background refreshes (the first one now). */
  start(onError?: (msg: string) => void): void {
    const tick = () => {
      this.refresh().catch((e: unknown) => onError?.((e as Error).message));
    };
    tick();
    this.timer = setInterval(tick, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Fetch the API's figures once (never called on a call's path). */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetchOnce(): Promise<void> {
    const since = new Map<string, bigint>();
    this.pending = since;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
      const res = await fetch(`${this.o.url.replace(/\/+$/, '')}/v1/budgets`, {
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) throw new Error(`GET /v1/budgets: HTTP ${res.status}`);
      const body = (await res.json()) as { budgets?: ApiBudget[] };
      if (!Array.isArray(body.budgets)) throw new Error('GET /v1/budgets: no budgets array');
      this.budgets = body.budgets
        .filter((b) => this.enforce === null || this.enforce.has(b.name))
        .map((b) => ({
          name: b.name,
          scope: b.scope as BudgetLimit['scope'],
          value: b.value,
          period: b.period.type === 'rolling' ? `rolling_${b.period.days ?? 0}d` : b.period.type,
          limitNanos: parseUsdNanos(b.limit_usd),
          spendNanos: parseUsdNanos(b.spend_usd),
        }));
      // The API's figure covers spend up to about when it was asked; keep what came after.
      this.local = since;
      this.fetchedAt = this.now();
      this.lastError = null;
    } catch (e) {
      this.lastError = (e as Error).message;
      // `local` stays relative to the last successful figure: spent() has added this request's
      // spend to it already (and to `since`, which is dropped).
      throw e;
    } finally {
      if (this.pending === since) this.pending = null;
    }
  }

  /** True while the API's figure is fresh enough to decide by. */
  get known(): boolean {
    return this.now() - this.fetchedAt <= this.staleAfterMs;
  }

  /** Record what a finished call cost (nano-dollars), for every budget it counts towards. */
  spent(s: BudgetSubject, nanos: bigint): void {
    if (nanos <= 0n) return;
    for (const b of this.budgets) {
      if (!applies(b, s)) continue;
      this.local.set(b.name, (this.local.get(b.name) ?? 0n) + nanos);
      if (this.pending) this.pending.set(b.name, (this.pending.get(b.name) ?? 0n) + nanos);
    }
  }

  /** Known spend of a budget: the API's figure plus local spend since. */
  spendOf(b: BudgetLimit): bigint {
    return b.spendNanos + (this.local.get(b.name) ?? 0n);
  }

  /** Decide a call. Synchronous; never touches the network. */
  check(s: BudgetSubject): BudgetDecision {
    if (!this.known) {
      if (this.whenUnknown === 'allow') return { allowed: true, unknown: true };
      return { allowed: false, unknown: true, error: new BudgetExceededError('_unknown', '_unknown', null, null) };
    }
    for (const b of this.budgets) {
      if (!applies(b, s)) continue;
      const spend = this.spendOf(b);
      if (spend >= b.limitNanos)
        return {
          allowed: false,
          unknown: false,
          error: new BudgetExceededError(b.name, b.scope, formatUsdNanos(spend), formatUsdNanos(b.limitNanos)),
        };
    }
    return { allowed: true, unknown: false };
  }

  /** The budgets as last fetched (gauges, tests). */
  get limits(): readonly BudgetLimit[] {
    return this.budgets;
  }
  scopeOf(name: string): { scope: string; period: string } {
    const b = this.budgets.find((x) => x.name === name);
    return { scope: b?.scope ?? '_unknown', period: b?.period ?? '_unknown' };
  }
}
