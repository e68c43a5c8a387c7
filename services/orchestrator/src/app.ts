// The orchestrator's HTTP API (fastify). Every request is counted and timed by route and
// status through the SDK's fastify plugin; /metrics serves the SDK's Prometheus text when
// enabled; /v1/metrics/summary the SDK's JSON summary; /v1/breakers and /v1/providers the circuit
// breakers (docs/orchestrator.md, "HTTP API").
import { timingSafeEqual } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Logger } from '@aurea/common';
import type { Aurea } from '@aurea/sdk';
import { aureaFastify } from '@aurea/sdk/fastify';
import type { OrchestratorConfig } from './config.js';
import type { BreakerSnapshot } from './circuit-breaker.js';
import { JobRunner, JobSubmissionError, type JobRecord } from './jobs.js';
import { SIMULATED_MODELS } from './models.js';
import { OpenAiCompatibleProvider } from './providers/openai.js';
import { SimulatedProvider } from './providers/simulated.js';
import type { ProviderAdapter } from './providers/types.js';
import { ProviderRouter } from './router.js';
import { JobSchema, JobValidationError, checkJob, type JobBody } from './schema.js';

export interface OrchestratorDeps {
  config: OrchestratorConfig;
  aurea: Aurea;
  logger: Logger;
  /** Extra adapters tried before the configured ones (tests). */
  adapters?: ProviderAdapter[];
}

export interface Orchestrator {
  app: FastifyInstance;
  runner: JobRunner;
  router: ProviderRouter;
  knownModels: string[];
}

export function buildOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const { config: c, aurea, logger } = deps;
  const adapters: ProviderAdapter[] = [...(deps.adapters ?? [])];
  if (c.OPENAI_BASE_URL) {
    adapters.push(
      new OpenAiCompatibleProvider({
        baseUrl: c.OPENAI_BASE_URL,
        apiKey: c.OPENAI_API_KEY,
        models: c.OPENAI_MODELS,
        providerName: c.OPENAI_PROVIDER_NAME,
        timeoutMs: c.OPENAI_TIMEOUT_MS,
        maxRetries: c.OPENAI_MAX_RETRIES,
        stream: c.OPENAI_STREAM,
      }),
    );
  }
  adapters.push(
    new SimulatedProvider({
      seed: c.SIM_SEED,
      failureRate: c.SIM_FAILURE_RATE,
      timeoutRate: c.SIM_TIMEOUT_RATE,
      latencyScale: c.SIM_LATENCY_SCALE,
    }),
  );
  const router = new ProviderRouter(adapters);
  const knownModels = [...new Set([...c.OPENAI_MODELS, ...SIMULATED_MODELS.map((m) => m.name)])].filter((m) =>
    router.resolve(m),
  );
  const catalog = router.models(knownModels);
  const providers = [...new Set(catalog.map((m) => m.provider))].sort();

  const runner = new JobRunner({
    aurea,
    router,
    logger,
    // The SDK's own table, so job status shows what the task events carry.
    price: (provider, model, usage, at) => aurea.priceTable.price(provider, model, usage, at.getTime()).costUsd,
    concurrency: c.ORCH_CONCURRENCY,
    queueCapacity: c.ORCH_QUEUE_CAPACITY,
    taskTimeoutMs: c.ORCH_TASK_TIMEOUT_MS,
    taskRetries: c.ORCH_TASK_RETRIES,
    breaker: { failureThreshold: c.ORCH_CB_FAILURE_THRESHOLD, cooldownMs: c.ORCH_CB_COOLDOWN_MS },
    providers,
    retainJobs: c.ORCH_RETAIN_JOBS,
  });
  const admission = aurea.stage('admission');

  // Typed as the base logger so the instance keeps fastify's default generics.
  const httpLogger: FastifyBaseLogger = logger.child({ component: 'http' });
  const app: FastifyInstance = Fastify({
    loggerInstance: httpLogger,
    // Per-request log lines would flood the demo's log; requests are metrics (below) instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 8 * 1024 * 1024,
    // Refuse unknown fields instead of silently dropping them; no string → array coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });

  // HTTP request count and latency by route template and status (never the raw URL).
  void app.register(aureaFastify, { aurea });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation) {
      return reply.code(400).send({ error: 'bad_request', message: err.message });
    }
    if (err instanceof JobValidationError) {
      return reply.code(400).send({ error: 'bad_request', field: err.field, message: err.message });
    }
    if (err instanceof JobSubmissionError) {
      if (err.retryAfterS !== undefined) void reply.header('retry-after', String(err.retryAfterS));
      const code = err.statusCode === 429 ? 'queue_full' : err.statusCode === 409 ? 'conflict' : 'unavailable';
      return reply.code(err.statusCode).send({ error: code, message: err.message });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) logger.error({ err }, 'request failed');
    return reply.code(status).send({
      error: status === 500 ? 'internal' : 'bad_request',
      message: status === 500 ? 'internal error' : err.message,
    });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }),
  );

  app.post<{ Body: JobBody; Querystring: { wait?: boolean; waitTimeoutMs?: number } }>(
    '/v1/jobs',
    {
      schema: {
        body: JobSchema,
        querystring: Type.Object({
          wait: Type.Optional(Type.Boolean({ description: 'Answer when the job has finished' })),
          waitTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
        }),
      },
    },
    async (req, reply) => {
      // Stage admission: validating the job and admitting it (or not) into the dispatch queue.
      const t0 = performance.now();
      let job: JobRecord;
      try {
        checkJob(req.body, router, c.ORCH_MAX_TASKS_PER_JOB, knownModels);
        job = runner.submit(req.body);
      } catch (err) {
        admission.record((performance.now() - t0) / 1000, admissionError(err));
        throw err;
      }
      admission.record((performance.now() - t0) / 1000);
      if (req.query.wait) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          runner.wait(job.id),
          new Promise<void>((r) => {
            timer = setTimeout(r, req.query.waitTimeoutMs ?? 120_000);
          }),
        ]);
        clearTimeout(timer);
      }
      void reply.header('location', `/v1/jobs/${encodeURIComponent(job.id)}`);
      return reply.code(job.status === 'running' ? 202 : 200).send(view(job));
    },
  );

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', (req, reply) => {
    const job = runner.get(req.params.id);
    if (!job) return reply.code(404).send({ error: 'not_found', message: `no job ${req.params.id}` });
    return reply.send(view(job));
  });

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/jobs',
    { schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }) } },
    (req, reply) => reply.send({ jobs: runner.list(req.query.limit ?? 50).map(summary) }),
  );

  app.get('/v1/models', (_req, reply) => reply.send({ models: catalog }));
  app.get('/v1/stats', (_req, reply) => reply.send(runner.snapshot()));
  // The SDK's summary of this process's metrics since start (docs/sdk.md, "Stages, jobs, breakers and the summary").
  app.get('/v1/metrics/summary', (_req, reply) => reply.send(aurea.summary()));

  // Circuit breakers: state, manual reset, and the providers a call can go to now.
  // Transitions come from the SDK's counters (one definition: what /metrics exports).
  const breakerViews = (bs: BreakerSnapshot[]) => {
    const counted = aurea.summary().breakers;
    return bs.map((b) => ({ ...b, transitions: counted[b.provider]?.transitions ?? {} }));
  };
  const breakerView = (b: BreakerSnapshot) => breakerViews([b])[0]!;
  app.get('/v1/breakers', (_req, reply) => reply.send({ breakers: breakerViews(runner.breakerSnapshots()) }));
  app.get<{ Params: { provider: string } }>('/v1/breakers/:provider', (req, reply) => {
    const b = runner.breakerSnapshot(req.params.provider);
    if (!b) return notFound(reply, req.params.provider, providers);
    return reply.send(breakerView(b));
  });
  app.post<{ Params: { provider: string } }>(
    '/v1/breakers/:provider/reset',
    { onRequest: (req, reply, done) => requireAdmin(c.ORCH_ADMIN_TOKEN, req, reply, done) },
    (req, reply) => {
      const { provider } = req.params;
      const before = runner.breakerSnapshot(provider);
      if (!before || !runner.resetBreaker(provider)) return notFound(reply, provider, providers);
      logger.warn({ provider, from: before.state }, 'circuit breaker reset by hand');
      return reply.send({ previousState: before.state, breaker: breakerView(runner.breakerSnapshot(provider)!) });
    },
  );
  app.get('/v1/providers', (_req, reply) =>
    reply.send({
      providers: providers.map((p) => {
        const b = runner.breakerSnapshot(p)!;
        const models = catalog.filter((m) => m.provider === p);
        return {
          provider: p,
          available: b.available,
          breaker: b.state,
          adapters: [...new Set(models.map((m) => m.adapter))],
          models: models.map((m) => m.model),
        };
      }),
    }),
  );
  // Liveness: the process serves. Readiness: it accepts jobs (503 once shutdown began).
  app.get('/health', (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/ready', (_req, reply) =>
    runner.isAccepting
      ? reply.send({ status: 'ready' })
      : reply.code(503).send({ status: 'not_ready', reason: 'shutting down' }),
  );
  app.get('/metrics', (req, reply) => {
    reply.hijack();
    aurea.metricsHandler(req.raw, reply.raw);
  });

  return { app, runner, router, knownModels };
}

/** error.type of the admission stage for a job that was not admitted. */
function admissionError(err: unknown): string {
  if (err instanceof JobValidationError) return 'invalid_job';
  if (err instanceof JobSubmissionError)
    return err.statusCode === 429 ? 'queue_full' : err.statusCode === 409 ? 'conflict' : 'unavailable';
  return err instanceof Error ? err.name : 'internal';
}

function notFound(reply: FastifyReply, provider: string, known: readonly string[]) {
  return reply
    .code(404)
    .send({ error: 'not_found', message: `no circuit breaker for provider ${provider}; known: ${known.join(', ')}` });
}

/** With ORCH_ADMIN_TOKEN set, management calls need `Authorization: Bearer <token>` (compared in constant time). */
function requireAdmin(
  token: string | undefined,
  req: FastifyRequest,
  reply: FastifyReply,
  done: (err?: Error) => void,
): void {
  if (token === undefined) return done();
  const h = req.headers.authorization;
  const given = Buffer.from(typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7) : '');
  const want = Buffer.from(token);
  if (given.length === want.length && timingSafeEqual(given, want)) return done();
  void reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="aurea-orchestrator"')
    .send({ error: 'unauthorized', message: 'this management call needs the admin token (ORCH_ADMIN_TOKEN)' });
}

function view(job: JobRecord) {
  return { ...job, links: { self: `/v1/jobs/${encodeURIComponent(job.id)}` } };
}

function summary(job: JobRecord) {
  return {
    id: job.id,
    status: job.status,
    tenant: job.tenant,
    repository: job.repository,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
    tasks: job.tasks.length,
    costUsd: job.costUsd,
  };
}
