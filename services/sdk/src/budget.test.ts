// BudgetGuard against a real HTTP server answering GET /v1/budgets as the analytics API does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetGuard, parseUsdNanos } from './budget.js';

let spend = '9.000000000';
let up = true;
/** Hold the next request until release() is called, then answer 503. */
let held = false;
let release: (() => void) | null = null;
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (held) {
      held = false;
      release = () => {
        release = null;
        res.statusCode = 503;
        res.end();
      };
      return;
    }
    if (!up) {
      res.statusCode = 503;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        currency: 'USD',
        budgets: [
          {
            name: 'acme-month',
            scope: 'tenant',
            value: 'acme',
            period: { type: 'calendar_month' },
            limit_usd: '10.000000000',
            spend_usd: spend,
          },
          {
            name: 'all',
            scope: 'global',
            value: null,
            period: { type: 'rolling', days: 7 },
            limit_usd: '1000.000000000',
            spend_usd: '0.000000000',
          },
        ],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('BudgetGuard', () => {
  const acme = { provider: 'openai', model: 'gpt-5', tenant: 'acme' };

  it('unknown spend before the first answer: the policy decides (allow by default, or deny)', () => {
    expect(new BudgetGuard({ url }).check(acme)).toEqual({ allowed: true, unknown: true });
    const d = new BudgetGuard({ url, whenUnknown: 'deny' }).check(acme);
    expect(d.allowed).toBe(false);
    if (!d.allowed) expect(d.error.budget).toBe('_unknown');
  });

  it('API figure + local spend since; refuses once the limit is reached, naming the budget', async () => {
    spend = '9.000000000';
    const g = new BudgetGuard({ url });
    await g.refresh();
    expect(g.check(acme)).toEqual({ allowed: true, unknown: false });
    g.spent(acme, parseUsdNanos('0.999999999'));
    expect(g.check(acme).allowed).toBe(true); // 9.999999999 < 10
    g.spent({ ...acme, tenant: 'other' }, parseUsdNanos('5')); // another tenant's spend does not count
    expect(g.check(acme).allowed).toBe(true);
    g.spent(acme, 1n);
    const d = g.check(acme);
    expect(d.allowed).toBe(false);
    if (!d.allowed)
      expect([d.error.budget, d.error.scope, d.error.spendUsd, d.error.limitUsd]).toEqual([
        'acme-month',
        'tenant',
        '10.000000000',
        '10.000000000',
      ]);
    expect(g.check({ ...acme, tenant: 'other' }).allowed).toBe(true);
    // a refreshed figure that includes that spend replaces the local count
    spend = '9.500000000';
    await g.refresh();
    expect(g.check(acme).allowed).toBe(true);
  });

  it('spend during a refresh that fails counts once, against the last figure', async () => {
    spend = '9.000000000';
    const g = new BudgetGuard({ url });
    await g.refresh();
    held = true; // the next request waits, then gets a 503
    const failing = g.refresh();
    while (release === null) await new Promise((r) => setTimeout(r, 5));
    g.spent(acme, parseUsdNanos('0.6')); // made while the request is in flight
    release();
    await expect(failing).rejects.toThrow(/503/);
    // 9 + 0.6 = 9.6 < 10: allowed (counted twice it would be 10.2 and refused)
    expect(g.check(acme)).toEqual({ allowed: true, unknown: false });
    g.spent(acme, parseUsdNanos('0.4'));
    expect(g.check(acme).allowed).toBe(false); // 10.0
  });

  it('API down: the last figure is kept until stale, then unknown (allow never blocks a call)', async () => {
    let now = 0;
    const g = new BudgetGuard({ url, refreshMs: 1000 }, () => now);
    await g.refresh();
    up = false;
    await expect(g.refresh()).rejects.toThrow(/503/);
    expect(g.check(acme)).toEqual({ allowed: true, unknown: false });
    now = 3001;
    expect(g.check(acme)).toEqual({ allowed: true, unknown: true });
    up = true;
  });
});
