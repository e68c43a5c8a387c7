// Budgets as data: parsing (the example file included), status arithmetic, gauges.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { budgetStatus, parseBudgets, periodWindow, toGauges, type Budget } from './budgets.js';
import { formatMoney, parseMoney } from './money.js';

const EXAMPLE = fileURLToPath(new URL('../budgets.example.yaml', import.meta.url));

describe('budget file', () => {
  it('the example parses', () => {
    const b = parseBudgets(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
    expect(b.map((x) => [x.name, x.scope, x.value ?? null])).toEqual([
      ['all-llm-monthly', 'global', null],
      ['openai-monthly', 'provider', 'openai'],
      ['gpt-4o-weekly', 'model', 'gpt-4o'],
      ['acme-monthly', 'tenant', 'acme'],
      ['web-repo-daily', 'repository', 'web'],
    ]);
    expect(b[0]!.amount).toBe(5_000_000_000_000n);
    expect(b[2]).toMatchObject({ period: { type: 'rolling', days: 7 }, warnPercent: 75, alertPercent: 95 });
    expect(b[1]).toMatchObject({ warnPercent: 80, alertPercent: 100 });
  });

  it.each([
    ['budgets: [{ name: a, scope: team, period: { type: calendar_month }, amount_usd: "1" }]', 'budgets.0.scope'],
    [
      'budgets: [{ name: a, scope: provider, period: { type: calendar_month }, amount_usd: "1" }]',
      'needs the provider',
    ],
    ['budgets: [{ name: a, scope: global, value: x, period: { type: calendar_month }, amount_usd: "1" }]', 'no value'],
    ['budgets: [{ name: a, scope: global, period: { type: rolling }, amount_usd: "1" }]', 'budgets.0.period'],
    ['budgets: [{ name: a, scope: global, period: { type: calendar_month }, amount_usd: "-5" }]', 'amount_usd'],
    ['budgets: [{ name: a, scope: global, period: { type: calendar_month }, amount_usd: "1.0000000001" }]', 'decimals'],
    [
      'budgets: [{ name: a, scope: global, period: { type: calendar_month }, amount_usd: 1, warn_percent: 90, alert_percent: 80 }]',
      'warn_percent',
    ],
    [
      'budgets: [{ name: a, scope: global, period: { type: calendar_month }, amount_usd: 1 }, { name: a, scope: global, period: { type: calendar_month }, amount_usd: 2 }]',
      'duplicate',
    ],
    ['currency: EUR', 'currency'],
  ])('rejects %s', (yaml, msg) => {
    expect(() => parseBudgets(yaml)).toThrow(msg);
  });
});

describe('budget status', () => {
  const month: Budget = {
    name: 'm',
    scope: 'global',
    period: { type: 'calendar_month' },
    amount: parseMoney('100'),
    warnPercent: 80,
    alertPercent: 100,
  };
  const rolling: Budget = {
    name: 'r',
    scope: 'model',
    value: 'gpt-4o',
    period: { type: 'rolling', days: 7 },
    amount: parseMoney('10'),
    warnPercent: 50,
    alertPercent: 90,
  };

  it('calendar month: window, remaining, percent and a linear projection to month end', () => {
    const now = new Date('2026-11-11T00:00:00.000Z'); // 10 of 30 days elapsed
    expect(periodWindow(month.period, now)).toEqual({
      start: new Date('2026-11-01T00:00:00Z'),
      end: new Date('2026-12-01T00:00:00Z'),
      asOf: now,
    });
    const s = budgetStatus(month, parseMoney('30.5'), now);
    expect(s).toMatchObject({
      currency: 'USD',
      limit_usd: '100.000000000',
      spend_usd: '30.500000000',
      remaining_usd: '69.500000000',
      percent_used: 30.5,
      projected_spend_usd: '91.500000000',
      projected_percent: 91.5,
      status: 'ok',
      projected_status: 'warning',
      period_start: '2026-11-01T00:00:00.000Z',
      period_end: '2026-12-01T00:00:00.000Z',
    });
  });

  it('over budget: negative remaining, alert; zero spend: full remaining, finite gauges', () => {
    const now = new Date('2026-11-30T12:00:00.000Z');
    const over = budgetStatus(month, parseMoney('120.000000001'), now);
    expect(over).toMatchObject({ remaining_usd: '-20.000000001', status: 'alert' });
    const zero = budgetStatus(rolling, 0n, now);
    expect(zero).toMatchObject({
      spend_usd: '0.000000000',
      remaining_usd: '10.000000000',
      percent_used: 0,
      projected_spend_usd: '0.000000000',
      status: 'ok',
    });
    expect(toGauges([zero, over])).toEqual([
      { name: 'r', scope: 'model', period: 'rolling_7d', limitUsd: 10, spendUsd: 0 },
      { name: 'm', scope: 'global', period: 'calendar_month', limitUsd: 100, spendUsd: 120.000000001 },
    ]);
  });

  it('first minutes of a month do not explode the projection; rolling projects its own spend', () => {
    const early = budgetStatus(month, parseMoney('1'), new Date('2026-11-01T00:01:00.000Z'));
    expect(early.projected_spend_usd).toBe('720.000000000'); // extrapolated from at least one hour (720 h in November)
    const r = budgetStatus(rolling, parseMoney('6'), new Date('2026-11-20T00:00:00Z'));
    expect(r).toMatchObject({
      projected_spend_usd: '6.000000000',
      status: 'warning',
      period_start: '2026-11-13T00:00:00.000Z',
    });
  });
});

describe('money', () => {
  it('round-trips fixed-scale decimals exactly', () => {
    for (const s of ['0', '0.1', '12345678901234567890.123456789', '-3.5'])
      expect(formatMoney(parseMoney(s))).toBe(formatMoney(parseMoney(formatMoney(parseMoney(s)))));
    expect(formatMoney(parseMoney('0.1') + parseMoney('0.2'))).toBe('0.300000000');
    expect(formatMoney(parseMoney('1.005'), 2)).toBe('1.01');
    expect(() => parseMoney('1e3')).toThrow();
  });
});
