// A short orchestrator-like workload instrumented with the real @aurea/sdk: tasks through
// monitorTask and recordLlmCall, an admission queue, stage timings, jobs end to end, circuit
// breakers (state and transitions), budgets and HTTP requests,
// exported over OTLP/HTTP to the Collector. The SDK's task events are collected in memory (a
// publisher in place of Kafka) so the same run also feeds ClickHouse.
import { MemoryPublisher, init } from '@aurea/sdk';
import type { TaskEventV1 } from '@aurea/events';
import { SAMPLE_MODELS as SDK_MODELS, rng } from './pipeline-data.js';

const TASKS = ['plan', 'retrieve', 'summarize', 'review', 'answer'] as const;

export interface SdkWorkloadOptions {
  serviceName: string;
  otlpEndpoint: string;
  durationMs: number;
  /** After durationMs, keep going until this is true (checked every tick), at most maxDurationMs in all. */
  until?: () => boolean;
  maxDurationMs?: number;
  seed?: number;
  exportIntervalMs?: number;
  jobs?: number;
  /** Extra init options (tests: in-memory metric exporters). */
  extra?: Partial<Parameters<typeof init>[0]>;
}

export async function runSdkWorkload(o: SdkWorkloadOptions): Promise<{ events: TaskEventV1[]; calls: number }> {
  const r = rng(o.seed ?? 3);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const publisher = new MemoryPublisher();
  const aurea = await init({
    serviceName: o.serviceName,
    kafka: false,
    publisher,
    otlp: { endpoint: o.otlpEndpoint, exportIntervalMs: o.exportIntervalMs ?? 500 },
    ...(o.extra ?? {}),
  });
  const admission = aurea.queueStage('admission', { capacity: 64 });
  const llm = aurea.queueStage('llm', { capacity: 16 });
  // Time spent per stage (aurea.stage.duration): admission (refused items carry queue_full),
  // waiting for a worker, dispatching to the provider.
  const stages = {
    admission: aurea.stage('admission'),
    wait: aurea.stage('queue_wait'),
    dispatch: aurea.stage('dispatch'),
  };
  const breakers = {
    openai: aurea.circuitBreaker('openai-chat', { provider: 'openai' }),
    anthropic: aurea.circuitBreaker('anthropic-chat', { provider: 'anthropic' }),
  };
  const jobs = Array.from({ length: o.jobs ?? 6 }, (_, i) => ({
    jobId: `${o.serviceName}-job-${i}`,
    tenant: pick(['acme', 'globex', 'initech']),
    user: pick(['ada', 'grace', 'linus']),
    repository: pick(['web', 'billing', 'infra']),
  }));
  let spend = 70;
  let calls = 0;
  const start = Date.now();
  const end = start + o.durationMs;
  const hardEnd = start + Math.max(o.durationMs, o.maxDurationMs ?? o.durationMs);
  let tick = 0;
  while (Date.now() < end || (o.until !== undefined && !o.until() && Date.now() < hardEnd)) {
    tick++;
    const tickStart = Date.now();
    const load = 1 + 0.7 * Math.sin(tick / 4);
    admission.setDepth(Math.round(64 * Math.min(1, 0.3 * load + r() * 0.3)));
    llm.setDepth(Math.round(16 * Math.min(1, 0.4 * load + r() * 0.4)));
    const arrivals = Math.round(8 * load);
    const shed = r() < 0.3 ? Math.round(arrivals * 0.2) : 0;
    admission.admitted(arrivals - shed);
    if (shed > 0) admission.shed(shed);
    for (let k = 0; k < arrivals; k++)
      stages.admission.record(0.0005 + r() * 0.004, k < shed ? 'queue_full' : undefined);
    llm.admitted(arrivals - shed);
    breakers.anthropic.set(r() < 0.15 ? pick(['open', 'half_open'] as const) : 'closed');
    breakers.openai.set('closed');
    const n = Math.max(1, Math.round(4 * load));
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const job = pick(jobs);
      const m = r() < 0.1 ? SDK_MODELS[3] : pick(SDK_MODELS.slice(0, 3));
      const taskName = pick(TASKS);
      const input = 200 + Math.floor(r() * 4000);
      const output = 50 + Math.floor(r() * 1200);
      const roll = r();
      calls++;
      stages.wait.record(r() * 0.2 * load);
      stages.dispatch.record(0.001 + r() * 0.01, r() < 0.03 ? 'circuit_open' : undefined);
      if (i % 2 === 0) {
        // A monitored task: real wall time, usage reported from inside.
        work.push(
          aurea
            .monitorTask(
              {
                jobId: job.jobId,
                taskName,
                model: m.model,
                provider: m.provider,
                tenant: job.tenant,
                user: job.user,
                repository: job.repository,
              },
              async (ctx) => {
                await new Promise((res) => setTimeout(res, 5 + Math.floor(r() * 40)));
                ctx.recordUsage({ input, output });
                if (roll < 0.06) throw Object.assign(new Error('rate limited'), { name: 'RateLimitError' });
              },
            )
            .catch(() => undefined),
        );
      } else {
        // A call recorded after the fact, with a provider-like latency.
        aurea.recordLlmCall({
          jobId: job.jobId,
          taskName,
          model: m.model,
          provider: m.provider,
          tenant: job.tenant,
          user: job.user,
          repository: job.repository,
          durationMs: 300 + (input + output * 8) * (0.05 + r() * 0.3),
          usage: { input, output, cacheRead: r() < 0.4 ? Math.floor(r() * 2000) : 0 },
          status: roll < 0.04 ? 'error' : roll < 0.06 ? 'timeout' : 'ok',
          ...(roll < 0.04 ? { errorType: 'server_error' } : roll < 0.06 ? { errorType: 'timeout' } : {}),
        });
      }
      const status = roll < 0.05 ? 500 : 200;
      aurea.recordHttpRequest({
        method: 'POST',
        route: pick(['/v1/jobs', '/v1/jobs/:jobId/tasks']),
        statusCode: status,
        durationS: 0.01 + r() * 0.4,
      });
    }
    await Promise.all(work);
    // One job finished per tick, end to end (aurea.job.duration).
    aurea.recordJob({ durationS: (Date.now() - tickStart) / 1000 + r() * 30, status: r() < 0.1 ? 'error' : 'ok' });
    spend += 0.05 * load;
    aurea.setBudgets([
      { name: 'team-daily', scope: 'tenant', period: 'day', limitUsd: 120, spendUsd: spend },
      { name: 'org-monthly', scope: 'global', period: 'month', limitUsd: 2500, spendUsd: 2000 + spend },
    ]);
    await new Promise((res) => setTimeout(res, 150));
  }
  await aurea.flushMetrics();
  await aurea.shutdown({ deadlineMs: 5_000 });
  return { events: publisher.events, calls };
}
