import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { demoJob, runDemoWorkload } from './demo.js';
import { SimulatedProvider } from './providers/simulated.js';
import { ProviderRouter } from './router.js';
import { SIMULATED_MODELS } from './models.js';
import { checkJob } from './schema.js';

const router = new ProviderRouter([
  new SimulatedProvider({ seed: 1, failureRate: 0, timeoutRate: 0, latencyScale: 1 }),
]);
const known = SIMULATED_MODELS.map((m) => m.name);

describe('demo workload', () => {
  it('is deterministic under a seed and every job passes the orchestrator’s validation', () => {
    expect(demoJob('s', 7)).toEqual(demoJob('s', 7));
    const jobs = Array.from({ length: 500 }, (_, i) => demoJob('s', i));
    for (const j of jobs) expect(() => checkJob(j, router, 100, known)).not.toThrow();
    // A realistic mix: several tenants, repositories, templates and models, multi-task DAGs.
    expect(new Set(jobs.map((j) => j.tenant)).size).toBe(4);
    expect(new Set(jobs.map((j) => j.repository)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(jobs.map((j) => j.template))).toEqual(new Set(['code-review', 'research', 'triage', 'docs']));
    expect(new Set(jobs.flatMap((j) => j.tasks.map((t) => t.model)))).toEqual(new Set(known));
    expect(jobs.some((j) => j.tasks.some((t) => (t.dependsOn ?? []).length > 1))).toBe(true);
  });

  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('submits jobs at the configured rate, counts 429s apart, stops when aborted', async () => {
    let n = 0;
    const bodies: { tenant: string; tasks: unknown[] }[] = [];
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(raw) as { tenant: string; tasks: unknown[] });
        res.writeHead(++n % 4 === 0 ? 429 : 202, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ac = new AbortController();
    const t0 = performance.now();
    const out = await runDemoWorkload({
      orchestratorUrl: url,
      seed: 'x',
      jobsPerSecond: 200,
      maxJobs: 40,
      signal: ac.signal,
    });
    expect(out).toEqual({ submitted: 30, shed: 10, errors: 0 });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(bodies.every((b) => typeof b.tenant === 'string' && b.tasks.length > 0)).toBe(true);

    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 200);
    const slow = await runDemoWorkload({
      orchestratorUrl: url,
      seed: 'x',
      jobsPerSecond: 20,
      maxJobs: 0,
      signal: ac2.signal,
    });
    const total = slow.submitted + slow.shed + slow.errors;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(20);
  });
});
