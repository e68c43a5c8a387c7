// Jobs: a list of tasks (optionally depending on each other) run with bounded concurrency
// through provider adapters. Every provider call goes through the SDK's monitorTask (one task
// event, cost/token/latency metrics); each provider has a circuit breaker whose state the SDK
// exports; the dispatch queue's depth and admissions/sheds are exported per stage, with the time
// tasks wait for a worker (stage queue_wait) and take to reach the provider call (stage dispatch),
// and each job's end-to-end duration (docs/orchestrator.md, "Instrumentation"). A task a
// budget refuses (the SDK's BudgetExceededError, before any provider call) ends `refused`, and
// so does its job (docs/orchestrator.md, "Budgets").
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aurea/common';
import { BudgetExceededError, type Aurea, type Stage } from '@aurea/sdk';
import { CircuitBreaker, type BreakerSnapshot, type BreakerState } from './circuit-breaker.js';
import { BoundedPool } from './queue.js';
import type { ProviderRouter } from './router.js';
import { ProviderError, emptyUsage, type SyntheticSize, type TokenUsage } from './providers/types.js';

export interface TaskSpec {
  name: string;
  /** Bounded kind for metrics; see taskKind(). */
  kind?: string;
  model: string;
  prompt?: string;
  synthetic?: SyntheticSize;
  dependsOn?: string[];
  maxOutputTokens?: number;
  simulate?: 'ok' | 'error' | 'timeout';
}

/**
 * The metric label of a task: its kind, else its name without a trailing counter ("search-3" →
 * "search"). Names are unique per job (they are task ids); kinds are the bounded set that becomes
 * `aurea.task.name` on metrics, so a job of N similar tasks does not create N series.
 */
export function taskKind(t: { name: string; kind?: string | undefined }): string {
  return t.kind ?? (t.name.replace(/[-_#.:/]?\d+$/, '') || t.name);
}

export interface JobSpec {
  id?: string;
  tenant?: string;
  user?: string;
  repository?: string;
  tasks: TaskSpec[];
}

export type TaskStatus = 'pending' | 'running' | 'ok' | 'error' | 'timeout' | 'skipped' | 'cancelled' | 'refused';
/** A job's state in the orchestrator that runs it (the analytics API derives its JobStatus from events). */
export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'refused';

/** The budget that refused a task, as the SDK's BudgetExceededError names it. */
export interface BudgetRefusal {
  /** Budget name, or `_unknown` when the spend was unknown and the policy is deny. */
  name: string;
  scope: string;
  /** Known spend and limit when refused, decimal USD (null when the spend was unknown). */
  spendUsd: string | null;
  limitUsd: string | null;
}

export interface TaskRecord {
  name: string;
  model: string;
  provider: string;
  adapter: string;
  dependsOn: string[];
  status: TaskStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  latencyMs: number | null;
  timeToFirstTokenMs: number | null;
  responseModel: string | null;
  usage: TokenUsage;
  /** Cost from the price table (null: unknown model or not run). */
  costUsd: number | null;
  errorType: string | null;
  error: string | null;
  /** Set when a budget refused the task (status `refused`; no provider call was made). */
  budget: BudgetRefusal | null;
}

export interface JobRecord {
  id: string;
  status: JobRunStatus;
  tenant: string | null;
  user: string | null;
  repository: string | null;
  createdAt: string;
  finishedAt: string | null;
  tasks: TaskRecord[];
  costUsd: number;
}

export interface Pricer {
  (provider: string, model: string, usage: TokenUsage, at: Date): number | null;
}

export interface JobRunnerOptions {
  aurea: Aurea;
  router: ProviderRouter;
  logger: Logger;
  price: Pricer;
  concurrency: number;
  queueCapacity: number;
  taskTimeoutMs: number;
  taskRetries: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  /** Providers whose breakers exist from the start (the others' appear with their first task). */
  providers?: readonly string[];
  /** Finished jobs kept in memory for GET /v1/jobs/:id. */
  retainJobs: number;
}

export class JobSubmissionError extends Error {
  constructor(
    readonly statusCode: 409 | 429 | 503,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export interface RunnerStats {
  jobsSubmitted: number;
  jobsFinished: number;
  jobsShed: number;
  jobsRunning: number;
  tasksFinished: number;
  tasksFailed: number;
  /** Tasks a budget refused (also counted in tasksFinished, not in tasksFailed). */
  tasksRefused: number;
  costUsd: number;
  queueDepth: number;
  activeTasks: number;
  breakers: Record<string, BreakerState>;
}

interface Internal {
  record: JobRecord;
  spec: JobSpec;
  abort: AbortController;
  done: Promise<void>;
  /** performance.now() at admission (aurea.job.duration). */
  admittedAt: number;
}

/** aurea.job.status of a finished job (the SDK's words for the runner's). */
const JOB_METRIC_STATUS = { succeeded: 'ok', failed: 'error', cancelled: 'cancelled', refused: 'refused' } as const;

export class JobRunner {
  private readonly jobs = new Map<string, Internal>();
  private readonly finishedOrder: string[] = [];
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly pool: BoundedPool;
  private readonly dispatch;
  private readonly dispatchStage: Stage;
  private accepting = true;

  /** False once shutdown began: readiness turns 503 so traffic drains away. */
  get isAccepting(): boolean {
    return this.accepting;
  }
  private readonly stats = {
    jobsSubmitted: 0,
    jobsFinished: 0,
    jobsShed: 0,
    tasksFinished: 0,
    tasksFailed: 0,
    tasksRefused: 0,
    costUsd: 0,
  };

  constructor(private readonly o: JobRunnerOptions) {
    this.dispatch = o.aurea.queueStage('dispatch', { capacity: o.queueCapacity });
    this.dispatchStage = o.aurea.stage('dispatch');
    const queueWait = o.aurea.stage('queue_wait');
    this.pool = new BoundedPool(o.concurrency, o.queueCapacity, {
      onDepth: (n) => this.dispatch.setDepth(n),
      onStart: (waitedS) => queueWait.record(waitedS),
    });
    this.dispatch.setDepth(0);
    for (const p of o.providers ?? []) this.breaker(p);
  }

  /** Admit a validated job whole, or refuse it (429 when the queue is full). */
  submit(spec: JobSpec): JobRecord {
    if (!this.accepting) throw new JobSubmissionError(503, 'orchestrator is shutting down');
    const id = spec.id ?? `job_${randomUUID()}`;
    if (this.jobs.has(id)) throw new JobSubmissionError(409, `job ${id} already exists`);
    if (!this.pool.tryReserve(spec.tasks.length)) {
      this.dispatch.shed();
      this.stats.jobsShed++;
      throw new JobSubmissionError(
        429,
        `queue full: ${this.pool.outstanding} tasks outstanding, capacity ${this.pool.concurrency + this.pool.capacity}; retry later`,
        1,
      );
    }
    this.dispatch.admitted();
    this.stats.jobsSubmitted++;
    const now = new Date().toISOString();
    const record: JobRecord = {
      id,
      status: 'running',
      tenant: spec.tenant ?? null,
      user: spec.user ?? null,
      repository: spec.repository ?? null,
      createdAt: now,
      finishedAt: null,
      costUsd: 0,
      tasks: spec.tasks.map((t) => {
        const route = this.o.router.resolve(t.model);
        if (!route) throw new Error(`unknown model ${t.model} reached the runner (validate first)`);
        return {
          name: t.name,
          model: t.model,
          provider: route.provider,
          adapter: route.adapter.kind,
          dependsOn: t.dependsOn ?? [],
          status: 'pending',
          attempts: 0,
          startedAt: null,
          finishedAt: null,
          latencyMs: null,
          timeToFirstTokenMs: null,
          responseModel: null,
          usage: emptyUsage(),
          costUsd: null,
          errorType: null,
          error: null,
          budget: null,
        };
      }),
    };
    const internal: Internal = {
      record,
      spec,
      abort: new AbortController(),
      done: Promise.resolve(),
      admittedAt: performance.now(),
    };
    this.jobs.set(id, internal);
    internal.done = this.run(internal).catch((err: unknown) => {
      this.o.logger.error({ err, jobId: id }, 'job runner failed');
    });
    return record;
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id)?.record;
  }

  /** Resolves when the job has finished (or at once when unknown). */
  async wait(id: string): Promise<void> {
    await this.jobs.get(id)?.done;
  }

  list(limit: number): JobRecord[] {
    return [...this.jobs.values()]
      .slice(-limit)
      .reverse()
      .map((j) => j.record);
  }

  snapshot(): RunnerStats {
    let running = 0;
    for (const j of this.jobs.values()) if (j.record.status === 'running') running++;
    return {
      ...this.stats,
      costUsd: round9(this.stats.costUsd),
      jobsRunning: running,
      queueDepth: this.pool.depth,
      activeTasks: this.pool.active,
      breakers: Object.fromEntries([...this.breakers].map(([p, b]) => [p, b.current])),
    };
  }

  /** Every provider's breaker, by provider name. */
  breakerSnapshots(): BreakerSnapshot[] {
    return [...this.breakers.values()].map((b) => b.snapshot()).sort((a, b) => a.provider.localeCompare(b.provider));
  }

  /** One provider's breaker, or undefined when the orchestrator has none for it. */
  breakerSnapshot(provider: string): BreakerSnapshot | undefined {
    return this.breakers.get(provider)?.snapshot();
  }

  /** Close a provider's breaker by hand; false when there is none. */
  resetBreaker(provider: string): boolean {
    const b = this.breakers.get(provider);
    if (!b) return false;
    b.reset();
    return true;
  }

  /** Stop intake, let running jobs finish until `deadline`, then cancel what is left. */
  async drain(deadlineMs: number): Promise<void> {
    this.accepting = false;
    const all = Promise.all([...this.jobs.values()].map((j) => j.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      const running = [...this.jobs.values()].filter((j) => j.record.status === 'running').length;
      this.o.logger.warn({ deadlineMs, running }, 'drain deadline reached: cancelling the jobs still running');
      for (const j of this.jobs.values())
        j.abort.abort(new ProviderError('cancelled', 'orchestrator shutting down', false));
      await all;
    }
  }

  private breaker(provider: string): CircuitBreaker {
    let b = this.breakers.get(provider);
    if (!b) {
      const exported = this.o.aurea.circuitBreaker(provider, { provider });
      exported.set('closed');
      b = new CircuitBreaker(provider, {
        ...this.o.breaker,
        onStateChange: (s) => {
          exported.set(s);
          this.o.logger.warn({ provider, state: s }, 'circuit breaker state changed');
        },
      });
      this.breakers.set(provider, b);
    }
    return b;
  }

  private async run(job: Internal): Promise<void> {
    const { record, spec } = job;
    const byName = new Map(record.tasks.map((t, i) => [t.name, { rec: t, spec: spec.tasks[i]! }]));
    const settled = new Map<string, Promise<boolean>>();
    const runOne = (name: string): Promise<boolean> => {
      let p = settled.get(name);
      if (!p) {
        const entry = byName.get(name)!;
        p = (async () => {
          const deps = await Promise.all(entry.rec.dependsOn.map(runOne));
          if (!deps.every(Boolean) || job.abort.signal.aborted) {
            entry.rec.status = job.abort.signal.aborted ? 'cancelled' : 'skipped';
            entry.rec.error = job.abort.signal.aborted ? 'job cancelled' : 'a dependency did not succeed';
            this.pool.release();
            return false;
          }
          try {
            return await this.pool.run(() => this.runTask(job, entry.rec, entry.spec));
          } finally {
            this.pool.release();
          }
        })();
        settled.set(name, p);
      }
      return p;
    };
    const results = await Promise.all(record.tasks.map((t) => runOne(t.name)));
    record.status = job.abort.signal.aborted
      ? 'cancelled'
      : results.every(Boolean)
        ? 'succeeded'
        : record.tasks.some((t) => t.status === 'refused')
          ? 'refused'
          : 'failed';
    record.finishedAt = new Date().toISOString();
    record.costUsd = round9(record.tasks.reduce((s, t) => s + (t.costUsd ?? 0), 0));
    this.o.aurea.recordJob({
      durationS: (performance.now() - job.admittedAt) / 1000,
      status: JOB_METRIC_STATUS[record.status],
    });
    this.stats.jobsFinished++;
    this.finishedOrder.push(record.id);
    while (this.finishedOrder.length > this.o.retainJobs) this.jobs.delete(this.finishedOrder.shift()!);
  }

  /** One task: up to 1 + taskRetries monitored attempts. Resolves true on success. */
  private async runTask(job: Internal, rec: TaskRecord, spec: TaskSpec): Promise<boolean> {
    const route = this.o.router.resolve(rec.model)!;
    const breaker = this.breaker(route.provider);
    rec.status = 'running';
    rec.startedAt = new Date().toISOString();
    for (let attempt = 0; ; attempt++) {
      rec.attempts = attempt + 1;
      const started = performance.now();
      const startedAt = new Date();
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new ProviderError('timeout', `task exceeded ${this.o.taskTimeoutMs} ms`, true)),
        this.o.taskTimeoutMs,
      );
      const signal = AbortSignal.any([timeout.signal, job.abort.signal]);
      // Stage dispatch: from the worker slot (or the retry) to the provider call; it fails when the
      // budget or the breaker refuses the call before it is made.
      const dispatchStart = performance.now();
      let dispatched = false;
      try {
        const out = await this.o.aurea.monitorTask(
          {
            jobId: job.record.id,
            taskName: taskKind(spec),
            taskId: attempt === 0 ? rec.name : `${rec.name}#${attempt + 1}`,
            model: rec.model,
            provider: route.provider,
            operation: 'chat',
            tenant: job.spec.tenant,
            user: job.spec.user,
            repository: job.spec.repository,
            attributes: { attempt: attempt + 1, adapter: route.adapter.kind },
            serverAddress: route.adapter.endpointOf?.(rec.model)?.address,
            serverPort: route.adapter.endpointOf?.(rec.model)?.port,
          },
          async (ctx) => {
            const res = await breaker.run(
              () => {
                dispatched = true;
                this.dispatchStage.record((performance.now() - dispatchStart) / 1000);
                return route.adapter.complete({
                  jobId: job.record.id,
                  taskName: rec.name,
                  model: rec.model,
                  prompt: spec.prompt,
                  synthetic: spec.synthetic,
                  simulate: spec.simulate,
                  maxOutputTokens: spec.maxOutputTokens,
                  attempt,
                  signal,
                  onChunk: () => ctx.recordChunk(),
                });
              },
              // Cancellation is ours, not the provider's fault.
              (err) => !(err instanceof ProviderError && err.errorType === 'cancelled'),
            );
            // Adapters return non-overlapping counts already.
            ctx.recordUsage({ ...res.usage, convention: 'exclusive' });
            ctx.setResponseModel(res.responseModel);
            if (res.timeToFirstTokenMs !== null) ctx.setTimeToFirstToken(res.timeToFirstTokenMs);
            // Wrapped so the SDK does not read usage from the result a second time.
            return { completion: res };
          },
        );
        const res = out.completion;
        rec.usage = res.usage;
        rec.responseModel = res.responseModel;
        rec.timeToFirstTokenMs = res.timeToFirstTokenMs;
        rec.latencyMs = performance.now() - started;
        rec.costUsd = this.o.price(route.provider, rec.model, res.usage, startedAt);
        rec.status = 'ok';
        rec.errorType = null;
        rec.error = null;
        rec.finishedAt = new Date().toISOString();
        this.stats.tasksFinished++;
        this.stats.costUsd += rec.costUsd ?? 0;
        return true;
      } catch (err) {
        if (!dispatched) {
          const type = err instanceof ProviderError ? err.errorType : err instanceof Error ? err.name : 'internal';
          this.dispatchStage.record((performance.now() - dispatchStart) / 1000, type);
        }
        if (err instanceof BudgetExceededError) {
          // Refused by the SDK before the provider was called: never retried, costs nothing.
          rec.status = 'refused';
          rec.errorType = err.name;
          rec.error = err.message;
          rec.budget = { name: err.budget, scope: err.scope, spendUsd: err.spendUsd, limitUsd: err.limitUsd };
          rec.latencyMs = performance.now() - started;
          rec.finishedAt = new Date().toISOString();
          rec.costUsd = 0;
          this.stats.tasksFinished++;
          this.stats.tasksRefused++;
          return false;
        }
        const e =
          err instanceof ProviderError
            ? err
            : new ProviderError('internal', err instanceof Error ? err.message : String(err), false);
        rec.latencyMs = performance.now() - started;
        rec.errorType = e.errorType;
        rec.error = e.message;
        rec.status = e.errorType === 'timeout' ? 'timeout' : e.errorType === 'cancelled' ? 'cancelled' : 'error';
        if (e.retryable && attempt < this.o.taskRetries && !job.abort.signal.aborted) continue;
        rec.finishedAt = new Date().toISOString();
        rec.costUsd = 0;
        this.stats.tasksFinished++;
        this.stats.tasksFailed++;
        return false;
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
