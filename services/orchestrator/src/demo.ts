// The demo workload: a realistic mix of jobs submitted to the orchestrator's HTTP API —
// several tenants, repositories, users and models; multi-step jobs with dependencies; some
// failures (the simulated provider's failure/timeout rates). Deterministic under a seed.
// Used by the main job (scripts/main.sh) and usable against any orchestrator URL.
import { createRng, type Rng } from '@aurea/common';
import type { TaskSpec } from './jobs.js';

export interface DemoJob {
  tenant: string;
  user: string;
  repository: string;
  tasks: TaskSpec[];
}

const TENANTS = [
  { tenant: 'acme', repositories: ['acme/web', 'acme/billing', 'acme/infra'], users: ['alice', 'arjun', 'amelie'] },
  { tenant: 'globex', repositories: ['globex/search', 'globex/mobile'], users: ['greta', 'gus'] },
  { tenant: 'initech', repositories: ['initech/tps-reports', 'initech/payroll'], users: ['peter', 'samir', 'milton'] },
  { tenant: 'umbrella', repositories: ['umbrella/lab-notes'], users: ['ursula'] },
] as const;

type Template = (rng: Rng) => TaskSpec[];

/** Job shapes seen in coding-agent / research orchestrators. */
const TEMPLATES: { name: string; weight: number; build: Template }[] = [
  {
    name: 'code-review',
    weight: 4,
    build: () => [
      { name: 'summarize-diff', model: 'gpt-4o-mini' },
      { name: 'review', model: 'claude-3-7-sonnet', dependsOn: ['summarize-diff'] },
      { name: 'security-scan', model: 'gpt-4o', dependsOn: ['summarize-diff'] },
      { name: 'final-comment', model: 'gpt-4o-mini', dependsOn: ['review', 'security-scan'] },
    ],
  },
  {
    name: 'research',
    weight: 2,
    build: (rng) => {
      const n = rng.int(2, 5);
      const searches = Array.from({ length: n }, (_, i) => ({
        name: `search-${i + 1}`,
        kind: 'search',
        model: 'gemini-2.0-flash',
        dependsOn: ['plan'],
      }));
      return [
        { name: 'plan', model: 'o3-mini' },
        ...searches,
        { name: 'synthesize', model: 'claude-3-7-sonnet', dependsOn: searches.map((s) => s.name) },
      ];
    },
  },
  {
    name: 'triage',
    weight: 5,
    build: () => [{ name: 'classify-issue', model: 'claude-3-5-haiku' }],
  },
  {
    name: 'docs',
    weight: 2,
    build: (rng) => {
      const n = rng.int(1, 3);
      const sections = Array.from({ length: n }, (_, i) => ({
        name: `write-section-${i + 1}`,
        model: rng.pick(['gpt-4o', 'claude-3-7-sonnet']),
        dependsOn: ['outline'],
      }));
      return [
        { name: 'outline', model: 'gpt-4o-mini' },
        ...sections,
        { name: 'edit', model: 'gpt-4o', dependsOn: sections.map((s) => s.name) },
      ];
    },
  },
];

/** The n-th demo job under a seed (pure). */
export function demoJob(seed: string | number, n: number): DemoJob & { template: string } {
  const rng = createRng(seed, `demo-job-${n}`);
  const t = TENANTS[Math.floor(rng.next() ** 1.6 * TENANTS.length)]!; // skewed: a few tenants dominate
  const total = TEMPLATES.reduce((s, x) => s + x.weight, 0);
  let roll = rng.next() * total;
  const template = TEMPLATES.find((x) => (roll -= x.weight) < 0) ?? TEMPLATES[0]!;
  return {
    template: template.name,
    tenant: t.tenant,
    user: rng.pick(t.users),
    repository: rng.pick(t.repositories),
    tasks: template.build(rng),
  };
}

export interface DemoOptions {
  orchestratorUrl: string;
  seed: string;
  /** Jobs submitted per second (average; Poisson arrivals). */
  jobsPerSecond: number;
  /** Stop after this many jobs (0: until aborted). */
  maxJobs: number;
  signal: AbortSignal;
  onEvent?: (e: { kind: 'submitted' | 'shed' | 'error'; status?: number; message?: string }) => void;
}

/** Submit demo jobs until aborted (or maxJobs). Backs off on 429; never throws on HTTP errors. */
export async function runDemoWorkload(o: DemoOptions): Promise<{ submitted: number; shed: number; errors: number }> {
  const rng = createRng(o.seed, 'arrivals');
  const counts = { submitted: 0, shed: 0, errors: 0 };
  // Continue numbering across restarts so the mix keeps varying; the orchestrator names the jobs.
  let n = Math.floor(Date.now() / 1000) % 1_000_000;
  const inflight = new Set<Promise<void>>();
  // maxJobs bounds the jobs sent, answered or not (counting answers would send more while some wait).
  for (let sent = 0; !o.signal.aborted && (o.maxJobs === 0 || sent < o.maxJobs); sent++) {
    const job = demoJob(o.seed, n++);
    const p = (async () => {
      try {
        const res = await fetch(`${o.orchestratorUrl}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: job.tenant, user: job.user, repository: job.repository, tasks: job.tasks }),
          signal: o.signal,
        });
        await res.arrayBuffer();
        if (res.status === 202 || res.status === 200) {
          counts.submitted++;
          o.onEvent?.({ kind: 'submitted', status: res.status });
        } else if (res.status === 429) {
          counts.shed++;
          o.onEvent?.({ kind: 'shed', status: 429 });
        } else {
          counts.errors++;
          o.onEvent?.({ kind: 'error', status: res.status });
        }
      } catch (err) {
        if (!o.signal.aborted) {
          counts.errors++;
          o.onEvent?.({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        }
      }
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    // Poisson arrivals: exponential gaps with mean 1/rate.
    const gapMs = (-Math.log(1 - rng.next()) / o.jobsPerSecond) * 1000;
    await new Promise<void>((r) => {
      const t = setTimeout(r, gapMs);
      o.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }
  await Promise.allSettled(inflight);
  return counts;
}
