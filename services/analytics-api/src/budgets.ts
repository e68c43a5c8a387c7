// Budgets are data (a YAML file): scope, period, amount, warn/alert thresholds. Their status is
// computed from ClickHouse in one scan (queries.budgetSpend) and exported as gauges through the
// SDK so Prometheus can alert: limit, spend and remaining always exist, 0 spend included.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BUDGET_SCOPES, CURRENCY, budgetSpend, type BudgetScope } from '@aurea/clickhouse/queries';
import type { AureaClickHouse } from '@aurea/clickhouse';
import { runQuery } from './ch.js';
import { formatMoney, moneyToNumber, parseMoney } from './money.js';

export type BudgetPeriod = { type: 'calendar_month' } | { type: 'rolling'; days: number };

export interface Budget {
  name: string;
  scope: BudgetScope;
  /** The scope's value (provider, model, tenant, user, repository); absent for global. */
  value?: string | undefined;
  period: BudgetPeriod;
  /** Limit in nano-USD. */
  amount: bigint;
  warnPercent: number;
  alertPercent: number;
}

const amountSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const n = parseMoney(typeof v === 'number' ? String(v) : v);
    if (n <= 0n) throw new RangeError('must be positive');
    return n;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `amount_usd: ${(e as Error).message}` });
    return z.NEVER;
  }
});

const budgetSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'name: 1–64 of [A-Za-z0-9_.:-]'),
    scope: z.enum(BUDGET_SCOPES),
    value: z.string().min(1).max(256).optional(),
    period: z.union([
      z.object({ type: z.literal('calendar_month') }).strict(),
      z.object({ type: z.literal('rolling'), days: z.number().int().min(1).max(366) }).strict(),
    ]),
    amount_usd: amountSchema,
    warn_percent: z.number().min(0).max(1000).default(80),
    alert_percent: z.number().min(0).max(1000).default(100),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.scope === 'global' && b.value !== undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'a global budget has no value' });
    if (b.scope !== 'global' && b.value === undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `a ${b.scope} budget needs the ${b.scope} as value` });
    if (b.warn_percent > b.alert_percent)
      ctx.addIssue({ code: 'custom', path: ['warn_percent'], message: 'warn_percent must not exceed alert_percent' });
  });

const fileSchema = z
  .object({ currency: z.literal(CURRENCY).default(CURRENCY), budgets: z.array(budgetSchema).default([]) })
  .strict();

export function parseBudgets(text: string, source = 'budgets'): Budget[] {
  const r = fileSchema.safeParse(parseYaml(text) ?? {});
  if (!r.success) {
    throw new Error(
      `${source}: invalid budgets:\n${r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
  const names = new Set<string>();
  return r.data.budgets.map((b) => {
    if (names.has(b.name)) throw new Error(`${source}: duplicate budget name "${b.name}"`);
    names.add(b.name);
    return {
      name: b.name,
      scope: b.scope,
      value: b.value,
      period: b.period,
      amount: b.amount_usd,
      warnPercent: b.warn_percent,
      alertPercent: b.alert_percent,
    };
  });
}

export interface PeriodWindow {
  start: Date;
  end: Date;
  /** Where the spend is measured up to (now, or the period end if that is earlier). */
  asOf: Date;
}

export function periodWindow(p: BudgetPeriod, now: Date): PeriodWindow {
  if (p.type === 'calendar_month') {
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    return { start, end, asOf: now };
  }
  return { start: new Date(now.getTime() - p.days * 86_400_000), end: now, asOf: now };
}

export type BudgetLevel = 'ok' | 'warning' | 'alert';

export interface BudgetStatus {
  name: string;
  scope: BudgetScope;
  value: string | null;
  period: { type: 'calendar_month' } | { type: 'rolling'; days: number };
  period_start: string;
  period_end: string;
  currency: typeof CURRENCY;
  limit_usd: string;
  spend_usd: string;
  remaining_usd: string;
  percent_used: number;
  projected_spend_usd: string;
  projected_percent: number;
  warn_percent: number;
  alert_percent: number;
  status: BudgetLevel;
  projected_status: BudgetLevel;
  /** Numbers for gauges (not part of the HTTP answer). */
  gauge: { limitUsd: number; spendUsd: number };
}

/** Minimum elapsed time a month's projection extrapolates from (avoids ×700 in the first minute). */
const MIN_ELAPSED_MS = 3_600_000;

const percent = (part: bigint, whole: bigint) => Number((part * 1_000_000n) / whole) / 10_000; // 4 decimals

function level(pct: number, b: Budget): BudgetLevel {
  return pct >= b.alertPercent ? 'alert' : pct >= b.warnPercent ? 'warning' : 'ok';
}

/** Status of one budget from its spend (nano-USD) at `now`. Pure: unit-tested directly. */
export function budgetStatus(b: Budget, spend: bigint, now: Date): BudgetStatus {
  const w = periodWindow(b.period, now);
  let projected = spend;
  if (b.period.type === 'calendar_month') {
    const total = BigInt(w.end.getTime() - w.start.getTime());
    const elapsed = BigInt(Math.max(w.asOf.getTime() - w.start.getTime(), MIN_ELAPSED_MS));
    projected = elapsed >= total ? spend : (spend * total) / elapsed;
  }
  const pct = percent(spend, b.amount);
  const projectedPct = percent(projected, b.amount);
  return {
    name: b.name,
    scope: b.scope,
    value: b.value ?? null,
    period: b.period,
    period_start: w.start.toISOString(),
    period_end: w.end.toISOString(),
    currency: CURRENCY,
    limit_usd: formatMoney(b.amount),
    spend_usd: formatMoney(spend),
    remaining_usd: formatMoney(b.amount - spend),
    percent_used: pct,
    projected_spend_usd: formatMoney(projected),
    projected_percent: projectedPct,
    warn_percent: b.warnPercent,
    alert_percent: b.alertPercent,
    status: level(pct, b),
    projected_status: level(projectedPct, b),
    gauge: { limitUsd: moneyToNumber(b.amount), spendUsd: moneyToNumber(spend) },
  };
}

/** Spend of every budget (one ClickHouse scan) → statuses, in the order given. */
export async function computeBudgets(
  ch: AureaClickHouse,
  budgets: readonly Budget[],
  now = new Date(),
): Promise<BudgetStatus[]> {
  if (budgets.length === 0) return [];
  const windows = budgets.map((b) => {
    const w = periodWindow(b.period, now);
    return { scope: b.scope, value: b.value, from: w.start, to: w.end };
  });
  const [row] = await runQuery<Record<string, string>>(ch, budgetSpend(windows));
  return budgets.map((b, i) => budgetStatus(b, parseMoney(row?.[`spend_${i}`] ?? '0'), now));
}

/** What the SDK's `aurea.setBudgets` takes (structural, so the API does not depend on SDK internals). */
export interface BudgetGauge {
  name: string;
  scope: string;
  period: string;
  limitUsd: number;
  spendUsd: number;
}

export function toGauges(statuses: readonly BudgetStatus[]): BudgetGauge[] {
  return statuses.map((s) => ({
    name: s.name,
    scope: s.scope,
    period: s.period.type === 'calendar_month' ? 'calendar_month' : `rolling_${s.period.days}d`,
    limitUsd: s.gauge.limitUsd,
    spendUsd: s.gauge.spendUsd,
  }));
}
