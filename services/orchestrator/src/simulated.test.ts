import { describe, expect, it } from 'vitest';
import { SIMULATED_MODELS, findSimulatedModel } from './models.js';
import { SimulatedProvider, planCall } from './providers/simulated.js';
import { ProviderError } from './providers/types.js';

const opts = { seed: 42, failureRate: 0.1, timeoutRate: 0.05, latencyScale: 1 };
const gpt4o = findSimulatedModel('gpt-4o')!;
const req = (taskName: string, extra: object = {}) => ({
  jobId: 'job-1',
  taskName,
  model: 'gpt-4o',
  attempt: 0,
  ...extra,
});

describe('simulated provider plan', () => {
  it('is deterministic under a seed and differs across seeds', () => {
    const a = planCall(gpt4o, req('t1'), opts);
    const b = planCall(gpt4o, req('t1'), opts);
    const c = planCall(gpt4o, req('t1'), { ...opts, seed: 43 });
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('draws failures and timeouts at about the configured rates', () => {
    const counts = { ok: 0, error: 0, timeout: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[planCall(gpt4o, req(`t${i}`), opts).outcome]++;
    expect(counts.error / n).toBeGreaterThan(0.09);
    expect(counts.error / n).toBeLessThan(0.11);
    expect(counts.timeout / n).toBeGreaterThan(0.04);
    expect(counts.timeout / n).toBeLessThan(0.06);
  });

  it('uses exact synthetic sizes, and a prompt for the input size', () => {
    const p = planCall(
      gpt4o,
      req('s', {
        synthetic: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 50, reasoningTokens: 7 },
        simulate: 'ok',
      }),
      opts,
    );
    expect(p.usage).toEqual({ input: 1000, output: 200, cacheRead: 50, cacheWrite: 0, reasoning: 7 });
    const q = planCall(gpt4o, req('p', { prompt: 'x'.repeat(400), simulate: 'ok' }), opts);
    expect(q.usage.input + q.usage.cacheRead + q.usage.cacheWrite).toBe(100);
  });

  it('follows each model’s distributions: medians near the configured ones, reasoning only for reasoning models', () => {
    for (const m of SIMULATED_MODELS) {
      const outs: number[] = [];
      let reasoning = 0;
      for (let i = 0; i < 2001; i++) {
        const p = planCall(m, { jobId: 'j', taskName: `t${i}`, model: m.name, attempt: 0, simulate: 'ok' }, opts);
        outs.push(p.usage.output);
        reasoning += p.usage.reasoning;
        expect(p.ttftMs).toBeLessThanOrEqual(p.totalMs);
      }
      outs.sort((x, y) => x - y);
      const median = outs[1000]!;
      expect(median).toBeGreaterThan(m.outputMedian * 0.85);
      expect(median).toBeLessThan(m.outputMedian * 1.15);
      expect(reasoning > 0).toBe(m.reasoningFactor > 0);
    }
  });

  it('a forced error bills nothing', () => {
    expect(planCall(gpt4o, req('e', { simulate: 'error' }), opts).usage).toEqual({
      input: 0,
      output: 0,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
  });
});

describe('SimulatedProvider.complete', () => {
  const fast = new SimulatedProvider({ ...opts, latencyScale: 0.01 });

  it('returns the planned usage, with time to first chunk before the end', async () => {
    const r = { ...req('c', { simulate: 'ok' as const }), signal: new AbortController().signal };
    const plan = planCall(gpt4o, r, { ...opts, latencyScale: 0.01 });
    const t0 = performance.now();
    const out = await fast.complete(r);
    const took = performance.now() - t0;
    expect(out.usage).toEqual(plan.usage);
    expect(out.responseModel).toBe('gpt-4o-2024-08-06');
    expect(out.timeToFirstTokenMs).toBeCloseTo(plan.ttftMs, 5);
    expect(took).toBeGreaterThanOrEqual(plan.totalMs - 2);
  });

  it('fails with a typed provider error, and a timeout ends at the caller’s deadline', async () => {
    await expect(
      fast.complete({ ...req('e', { simulate: 'error' }), signal: new AbortController().signal }),
    ).rejects.toMatchObject({ errorType: 'provider_error', retryable: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new ProviderError('timeout', 'deadline', true)), 30);
    const t0 = performance.now();
    await expect(fast.complete({ ...req('t', { simulate: 'timeout' }), signal: ac.signal })).rejects.toMatchObject({
      errorType: 'timeout',
    });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('knows its models and their providers', () => {
    expect(fast.supports('claude-3-5-haiku')).toBe(true);
    expect(fast.providerOf('claude-3-5-haiku')).toBe('anthropic');
    expect(fast.providerOf('gemini-2.0-flash')).toBe('gcp.gemini');
    expect(fast.supports('gpt-17')).toBe(false);
  });
});
