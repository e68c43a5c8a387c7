// init(), the Aurea instance, monitorTask / recordLlmCall and the orchestration signals.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context as otelContext, trace, type Meter } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import {
  SCHEMA_VERSION,
  boundAttributes,
  clampDurationMs,
  fitText,
  uuidv7,
  type NormalizedTaskEvent,
  type ServiceTier,
  type TaskEventV1,
} from '@aurea/events';
import {
  resolvePriceTable,
  type PriceTable,
  type PriceTableData,
  type ProviderConvention,
  type Resolved,
} from './pricing/index.js';
import {
  ZERO_USAGE,
  addUsage,
  normalizeUsage,
  serviceTierFromResult,
  totalTokens,
  usageFromResult,
  type NormalizedUsage,
  type Usage,
} from './usage.js';
import {
  BudgetGuard,
  parseUsdNanos,
  type BudgetDecision,
  type BudgetExceededError,
  type BudgetOptions,
} from './budget.js';
import {
  BREAKER_STATES,
  JOB_STATUSES,
  STATUS_INDEX,
  Telemetry,
  type JobStatusName,
  type Status,
  type TaskSeries,
} from './metrics/telemetry.js';
import { A } from './metrics/spec.js';
import { summarize, type MetricsSummary } from './metrics/summary.js';
import {
  BufferedPublisher,
  createKafkaPublisher,
  type DeferredTaskEvent,
  type EventPublisher,
  type FlushResult,
} from './publisher.js';
import { RateLimitedLogger, stderrLogger, type SdkLogger } from './log.js';
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVER_ADDRESS } from './semconv.js';

export interface InitOptions {
  serviceName: string;
  serviceVersion?: string;
  environment?: string;
  /** OTLP/HTTP metrics push to the Collector; false disables it. */
  otlp?: { endpoint?: string; exportIntervalMs?: number; timeoutMs?: number } | false;
  /** Prometheus pull endpoint served by `aurea.metricsHandler`. */
  prometheus?: { enabled: boolean };
  /** Task events to Kafka; false disables them. Undefined: KAFKA_BROKERS from the environment, else disabled. */
  kafka?:
    | {
        brokers: string[];
        topic?: string;
        clientId?: string;
        /** Bound on buffered event bytes (default DEFAULT_MAX_BUFFERED_BYTES; docs/sdk.md, "Kafka delivery"). */
        maxBufferedBytes?: number;
        maxBufferedEvents?: number;
        batchSize?: number;
        lingerMs?: number;
      }
    | false;
  /** Use this publisher instead of Kafka (tests, other transports). */
  publisher?: EventPublisher;
  /** Price file path, file data, or a compiled table, layered over the catalog (docs/pricing.md). */
  priceTable?: string | PriceTable | PriceTableData;
  /**
   * Budgets that refuse calls (docs/sdk.md, "Budgets that refuse"): the analytics API's budgets,
   * refreshed in the background. Unset: no enforcement.
   */
  budgets?: BudgetOptions;
  resourceAttributes?: Record<string, string>;
  logger?: SdkLogger;
  /** Extra metric exporters (tests use InMemoryMetricExporter). */
  metricExporters?: { exporter: PushMetricExporter; intervalMs?: number }[];
  /** Max distinct (operation, provider, model, task) metric series; default 2000. */
  seriesLimit?: number;
}

/** Token usage as estimateCost receives it (camelCase, non-overlapping types). */
export interface CostUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  cacheWrite1h: number;
  inputAudio: number;
  outputAudio: number;
  inputImage: number;
  outputImage: number;
}

export interface CostInfo {
  provider: string;
  model: string;
  usage: CostUsage;
  totalTokens: number;
  at: Date;
  serviceTier: ServiceTier;
}

export interface TaskOptions {
  jobId: string;
  taskName: string;
  model: string;
  provider: string;
  operation?: string;
  taskId?: string;
  parentTaskId?: string;
  tenant?: string;
  user?: string;
  repository?: string;
  attributes?: Record<string, string | number | boolean>;
  /** Custom cost function; its result becomes cost_usd with pricing_status 'custom'. */
  estimateCost?: (info: CostInfo) => number | null | undefined;
  /** Provider service tier of the call (batch, flex, priority); the response's own report wins. */
  serviceTier?: ServiceTier;
  /** false: do not check budgets before this task (default: check when init has `budgets`). */
  checkBudget?: boolean;
  /** Host of the provider endpoint called (server.address on the GenAI client metrics), e.g. api.openai.com. */
  serverAddress?: string;
  /** Port of that endpoint (server.port, reported with serverAddress), e.g. 443. */
  serverPort?: number;
}

export interface TaskContext {
  /** The task id (generated if not given): pass it as parentTaskId to child tasks. */
  readonly taskId: string;
  /** Add usage (accumulates over several calls). Overrides usage found in the result. */
  recordUsage(usage: Usage | Record<string, unknown> | number): void;
  setResponseModel(model: string): void;
  /** Time to the first chunk of a streamed response, ms from the task's start (wins over recordChunk's). */
  setTimeToFirstToken(ms: number): void;
  /**
   * A chunk of a streamed response arrived (call it per chunk): the first gives the time to first
   * chunk, each later one a gen_ai.client.operation.time_per_output_chunk value (time since the last).
   */
  recordChunk(): void;
  /** Cost reported by the provider or the caller, kept apart from the computed cost. */
  setProvidedCost(usd: number): void;
  setAttribute(key: string, value: string | number | boolean): void;
  /** The service tier the provider served the call in (when the result does not say). */
  setServiceTier(tier: ServiceTier): void;
}

export interface LlmCall extends Omit<TaskOptions, 'estimateCost'> {
  durationMs: number;
  usage?: Usage | Record<string, unknown> | number;
  status?: Status;
  errorType?: string;
  /** Start time (Date or ms since epoch); default now − durationMs. */
  startedAt?: Date | number;
  responseModel?: string;
  timeToFirstTokenMs?: number;
  /** Streamed calls timed by the caller: ms between consecutive chunks, one per chunk after the first. */
  chunkIntervalsMs?: readonly number[];
  providedCostUsd?: number;
  estimateCost?: TaskOptions['estimateCost'];
}

export interface QueueStage {
  setDepth(n: number): void;
  setCapacity(n: number): void;
  admitted(n?: number): void;
  shed(n?: number): void;
}

export type BreakerState = 'closed' | 'half_open' | 'open';
export interface CircuitBreaker {
  set(state: BreakerState): void;
  readonly state: BreakerState;
}

export interface Stage {
  /** One item spent `durationS` seconds in the stage; `errorType` when it failed there. */
  record(durationS: number, errorType?: string): void;
}

export interface Budget {
  name: string;
  scope: string;
  period: string;
  limitUsd: number;
  spendUsd: number;
}

export interface HttpRequestRecord {
  method: string;
  /** The route template (`/v1/jobs/:id`), never the raw path; undefined when no route matched. */
  route: string | undefined;
  /** undefined when no answer was sent (the client aborted). */
  statusCode: number | undefined;
  durationS: number;
  /** url.scheme of the request as the client sent it; default 'http' (what a plain node:http server serves). */
  urlScheme?: string;
  errorType?: string;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

function errorTypeOf(err: unknown): { status: Status; type: string } {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'name' in err)) {
    const e = err as Error;
    let type =
      typeof e.name === 'string' && e.name !== '' && e.name !== 'Error' ? e.name : (e.constructor?.name ?? 'Error');
    if (type === 'Object') type = 'Error';
    if (type === 'AbortError') return { status: 'cancelled', type };
    if (type === 'TimeoutError') return { status: 'timeout', type };
    return { status: 'error', type: type.slice(0, 128) };
  }
  return { status: 'error', type: '_OTHER' };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

type AttributeValues = Record<string, string | number | boolean>;

/** How a task ended, as monitorTask / recordLlmCall observed it. */
interface TaskResult {
  /** The task id if the caller set or read one (else generated at publish time). */
  taskId: string | undefined;
  startMs: number;
  latencyMs: number;
  usage: NormalizedUsage | null;
  status: Status;
  errorType: string | null;
  responseModel: string | null;
  ttftMs: number | null;
  /** Seconds between consecutive streamed chunks (metrics only); null when none were recorded. */
  chunkIntervalsS: number[] | null;
  providedCostUsd: number | null;
  /** Attributes set with ctx.setAttribute (over the task options' attributes). */
  extraAttributes: AttributeValues | null;
  /** Service tier reported by the result or ctx.setServiceTier (else the task options'). */
  serviceTier: ServiceTier | null;
}

/** A finished task, priced: everything its task event carries. */
interface TaskOutcome extends TaskResult {
  service: string;
  /** deployment.environment.name of this service (init's environment or AUREA_ENV). */
  environment: string | null;
  options: TaskOptions | LlmCall;
  costUsd: number | null;
  pricingStatus: 'priced' | 'custom' | 'unknown_model' | 'not_applicable';
  priceVersion: string | null;
  priceSource: string | null;
  serviceTier: ServiceTier | null;
  traceId: string | null;
  spanId: string | null;
}

/** One finished task; the JSON event is built only when the publisher sends it. */
class TaskRecord implements DeferredTaskEvent {
  readonly job_id: string;
  constructor(private readonly t: TaskOutcome) {
    this.job_id = fitText('job_id', t.options.jobId) ?? 'unknown';
  }

  toEvent(): TaskEventV1 {
    const { t } = this;
    const o = t.options;
    const u = t.usage;
    const lat = clampDurationMs(t.latencyMs);
    const e: TaskEventV1 = {
      schema_version: SCHEMA_VERSION,
      event_id: uuidv7(t.startMs + lat),
      source: 'sdk',
      started_at: iso(t.startMs),
      ended_at: iso(t.startMs + lat),
      job_id: this.job_id,
      task_id: fitText('task_id', t.taskId ?? o.taskId) ?? uuidv7(t.startMs),
      parent_task_id: fitText('parent_task_id', o.parentTaskId),
      service: fitText('service', t.service)!,
      environment: fitText('environment', t.environment),
      task_name: fitText('task_name', o.taskName) ?? 'unknown',
      operation: fitText('operation', o.operation) ?? 'chat',
      provider: fitText('provider', o.provider) ?? 'unknown',
      request_model: fitText('request_model', o.model) ?? 'unknown',
      response_model: fitText('response_model', t.responseModel),
      usage: u ? { ...u } : {},
      latency_ms: lat,
      time_to_first_token_ms: t.ttftMs === null ? null : clampDurationMs(t.ttftMs),
      status: t.status,
      error_type: fitText('error_type', t.errorType),
      cost_usd: t.costUsd,
      provided_cost_usd: t.providedCostUsd,
      pricing_status: t.pricingStatus,
      price_version: t.priceVersion,
      price_source: fitText('price_source', t.priceSource),
      service_tier: t.serviceTier,
      tenant: fitText('tenant', o.tenant),
      user: fitText('user', o.user),
      repository: fitText('repository', o.repository),
      trace_id: t.traceId,
      span_id: t.spanId,
    };
    if (o.attributes !== undefined || t.extraAttributes !== null)
      e.attributes = boundAttributes(t.extraAttributes ? { ...o.attributes, ...t.extraAttributes } : o.attributes);
    return e;
  }
}

class Ctx implements TaskContext {
  usage: NormalizedUsage | null = null;
  responseModel: string | null = null;
  ttft: number | null = null;
  /** performance.now() of the task's start and of the last chunk. */
  t0 = 0;
  lastChunk: number | null = null;
  firstChunkMs: number | null = null;
  chunkIntervalsS: number[] | null = null;
  provided: number | null = null;
  attrs: Record<string, string | number | boolean> | null = null;
  tier: ServiceTier | null = null;
  private id: string | undefined;
  constructor(
    readonly conv: ProviderConvention,
    id: string | undefined,
  ) {
    this.id = id;
  }
  get taskId(): string {
    return (this.id ??= uuidv7());
  }
  get taskIdIfSet(): string | undefined {
    return this.id;
  }
  recordUsage(u: Usage | Record<string, unknown> | number): void {
    const n = normalizeUsage(u, this.conv);
    if (n === null) return;
    if (this.usage === null) this.usage = n;
    else addUsage(this.usage, n);
  }
  setResponseModel(m: string): void {
    this.responseModel = m;
  }
  setTimeToFirstToken(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.ttft = ms;
  }
  recordChunk(): void {
    const now = performance.now();
    if (this.lastChunk === null) this.firstChunkMs = now - this.t0;
    else (this.chunkIntervalsS ??= []).push((now - this.lastChunk) / 1000);
    this.lastChunk = now;
  }
  setProvidedCost(usd: number): void {
    if (Number.isFinite(usd) && usd >= 0) this.provided = usd;
  }
  setAttribute(k: string, v: string | number | boolean): void {
    (this.attrs ??= {})[k] = v;
  }
  setServiceTier(tier: ServiceTier): void {
    this.tier = tier;
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as PromiseLike<unknown>).then === 'function'
  );
}

const timeOrigin = performance.timeOrigin;

export class Aurea {
  readonly serviceName: string;
  /** deployment.environment.name (init's environment or AUREA_ENV); null when neither says. */
  readonly environment: string | null;
  readonly priceTable: PriceTable;
  readonly telemetry: Telemetry;
  readonly publisher: EventPublisher | null;
  /** Budget enforcement, when init was given `budgets`. */
  readonly budgets: BudgetGuard | null;
  private readonly log: RateLimitedLogger;
  private shutdownPromise: Promise<void> | null = null;

  constructor(opts: InitOptions) {
    if (!opts.serviceName) throw new Error('aurea.init: serviceName is required');
    this.serviceName = opts.serviceName;
    const logger = opts.logger ?? stderrLogger;
    this.log = new RateLimitedLogger(logger);
    this.priceTable = resolvePriceTable(opts.priceTable);

    const env = process.env;
    const resAttrs: Record<string, string> = {
      'service.name': opts.serviceName,
      'service.instance.id': randomUUID(),
    };
    if (opts.serviceVersion) resAttrs['service.version'] = opts.serviceVersion;
    const environment = opts.environment ?? env.AUREA_ENV;
    this.environment = environment || null;
    if (environment) resAttrs[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = environment;
    Object.assign(resAttrs, opts.resourceAttributes);

    let otlp: { url: string; intervalMs: number; timeoutMs: number } | null = null;
    if (opts.otlp !== false) {
      const endpoint = (opts.otlp?.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318').replace(
        /\/+$/,
        '',
      );
      const url =
        opts.otlp?.endpoint === undefined && env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
          ? env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
          : `${endpoint}/v1/metrics`;
      const intervalMs = opts.otlp?.exportIntervalMs ?? (Number(env.OTEL_METRIC_EXPORT_INTERVAL) || 10_000);
      otlp = { url, intervalMs, timeoutMs: opts.otlp?.timeoutMs ?? Math.min(10_000, intervalMs) };
    }
    this.telemetry = new Telemetry({
      resource: resourceFromAttributes(resAttrs),
      otlp,
      prometheus: opts.prometheus?.enabled ?? false,
      exporters: opts.metricExporters,
      serviceName: opts.serviceName,
      seriesLimit: opts.seriesLimit,
    });

    if (opts.publisher) this.publisher = opts.publisher;
    else if (opts.kafka === false) this.publisher = null;
    else {
      const brokers =
        opts.kafka?.brokers ?? (env.KAFKA_BROKERS ? env.KAFKA_BROKERS.split(',').map((s) => s.trim()) : undefined);
      if (brokers && brokers.length > 0) {
        this.publisher = createKafkaPublisher({
          brokers,
          topic: opts.kafka ? opts.kafka.topic : env.AUREA_TASK_EVENTS_TOPIC,
          clientId: opts.kafka?.clientId ?? opts.serviceName,
          maxBufferedBytes: opts.kafka ? opts.kafka.maxBufferedBytes : undefined,
          maxBufferedEvents: opts.kafka ? opts.kafka.maxBufferedEvents : undefined,
          batchSize: opts.kafka ? opts.kafka.batchSize : undefined,
          lingerMs: opts.kafka ? opts.kafka.lingerMs : undefined,
          logger,
        });
      } else {
        this.publisher = null;
        logger.warn({}, 'aurea: no Kafka brokers configured (kafka option or KAFKA_BROKERS); task events are disabled');
      }
    }
    this.budgets = opts.budgets ? new BudgetGuard(opts.budgets) : null;
    this.budgets?.start((msg) =>
      this.log.log('warn', 'budgets', { err: msg }, 'aurea: budget refresh failed; enforcing with the last figures'),
    );
    const pub = this.publisher;
    if (pub) {
      this.telemetry.publisherAttached = true;
      this.telemetry.eventStats = () => {
        const s = pub.stats();
        return { published: s.published, dropped: s.dropped };
      };
    }
  }

  /** An OTel Meter (scope = service name) for the service's own instruments. */
  get meter(): Meter {
    return this.telemetry.meter;
  }

  /** Prometheus text exposition (mount at /metrics); 404 unless prometheus.enabled. */
  readonly metricsHandler = (req: IncomingMessage, res: ServerResponse): void => {
    const h = this.telemetry.metricsHandler;
    if (h) h(req, res);
    else {
      res.statusCode = 404;
      res.end('Prometheus endpoint not enabled (init({ prometheus: { enabled: true } }))\n');
    }
  };

  /**
   * Run `fn` as a monitored task: timed, usage taken from ctx.recordUsage or the result, cost
   * priced, metrics recorded, one task event enqueued. Returns fn's result unchanged; an error
   * is recorded (error.type) and rethrown as is.
   */
  monitorTask<T>(o: TaskOptions, fn: (ctx: TaskContext) => T): Promise<Awaited<T>> {
    const series = this.telemetry.taskSeries(o.operation ?? 'chat', o.provider, o.model, o.taskName);
    if (this.budgets !== null && o.checkBudget !== false) {
      const d = this.checkBudget(o);
      if (!d.allowed) {
        this.refuse(o, series, d.error);
        return Promise.reject(d.error);
      }
    }
    // The overflow series is shared by many (provider, model) pairs: never cache on it.
    const conv = series.overflow
      ? this.priceTable.convention(o.provider)
      : (series.convention ??= this.priceTable.convention(o.provider));
    const ctx = new Ctx(conv, o.taskId);
    const t0 = performance.now();
    ctx.t0 = t0;
    series.active.value++;
    let out: T;
    try {
      out = fn(ctx);
    } catch (err) {
      this.finishTask(o, series, ctx, t0, null, err);
      // Rethrow the caller's error unchanged, whatever it is.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(err);
    }
    if (isThenable(out)) {
      return Promise.resolve(out).then(
        (v) => {
          this.finishTask(o, series, ctx, t0, v, undefined);
          return v;
        },
        (err: unknown) => {
          this.finishTask(o, series, ctx, t0, null, err);
          throw err;
        },
      );
    }
    this.finishTask(o, series, ctx, t0, out, undefined);
    return Promise.resolve(out as Awaited<T>);
  }

  /**
   * Check a call against the budgets before making it (docs/sdk.md, "Budgets that refuse").
   * Synchronous, never waits on the network; counts refusals and unknown-spend checks. A refusal
   * found here is not recorded as a task: monitorTask does that, or call `refuse`-free code paths.
   */
  checkBudget(s: {
    provider: string;
    model: string;
    tenant?: string;
    user?: string;
    repository?: string;
  }): BudgetDecision {
    const g = this.budgets;
    if (g === null) return { allowed: true, unknown: false };
    const d = g.check(s);
    if (d.unknown) this.telemetry.unknownSpend(g.whenUnknown);
    if (!d.allowed) {
      const { scope, period } = g.scopeOf(d.error.budget);
      this.telemetry.refused(d.error.budget, scope, period);
    }
    return d;
  }

  /** Throw BudgetExceededError when a budget refuses the call (for calls not run through monitorTask). */
  enforceBudget(s: { provider: string; model: string; tenant?: string; user?: string; repository?: string }): void {
    const d = this.checkBudget(s);
    if (!d.allowed) throw d.error;
  }

  /** A refused task: counted, and one task event with status `refused` (no call was made). */
  private refuse(o: TaskOptions, series: TaskSeries, err: BudgetExceededError): void {
    try {
      series.tasks[STATUS_INDEX.refused]!.add(1);
      if (this.publisher === null) return;
      const sc = trace.getSpanContext(otelContext.active());
      this.publisher.publish(
        new TaskRecord({
          taskId: o.taskId,
          startMs: Date.now(),
          latencyMs: 0,
          usage: null,
          status: 'refused',
          errorType: err.name,
          responseModel: null,
          ttftMs: null,
          chunkIntervalsS: null,
          providedCostUsd: null,
          extraAttributes: { 'aurea.budget.name': err.budget },
          serviceTier: o.serviceTier ?? null,
          service: this.serviceName,
          environment: this.environment,
          options: o,
          costUsd: null,
          pricingStatus: 'not_applicable',
          priceVersion: null,
          priceSource: null,
          traceId: sc?.traceId ?? null,
          spanId: sc?.spanId ?? null,
        }),
      );
    } catch (e) {
      this.log.log('error', 'refuse', { err: (e as Error).message }, 'aurea: failed to record a refused task');
    }
  }

  private finishTask(o: TaskOptions, series: TaskSeries, ctx: Ctx, t0: number, result: unknown, err: unknown): void {
    const t1 = performance.now();
    series.active.value--;
    try {
      let status: Status = 'ok';
      let errorType: string | null = null;
      if (err !== undefined) ({ status, type: errorType } = errorTypeOf(err));
      const usage = ctx.usage ?? (err === undefined ? usageFromResult(result, ctx.conv) : null);
      this.complete(o, series, {
        taskId: ctx.taskIdIfSet,
        startMs: timeOrigin + t0,
        latencyMs: t1 - t0,
        usage,
        status,
        errorType,
        responseModel: ctx.responseModel,
        ttftMs: ctx.ttft ?? ctx.firstChunkMs,
        chunkIntervalsS: ctx.chunkIntervalsS,
        providedCostUsd: ctx.provided,
        extraAttributes: ctx.attrs,
        serviceTier: ctx.tier ?? (err === undefined ? serviceTierFromResult(result) : undefined) ?? null,
      });
    } catch (e) {
      // Instrumentation must never break the caller's task.
      this.log.log('error', 'finish', { err: (e as Error).message }, 'aurea: failed to record a task');
    }
  }

  private complete(o: TaskOptions | LlmCall, series: TaskSeries, r: TaskResult): void {
    let cost: number | null = null;
    let pricingStatus: TaskOutcome['pricingStatus'] = 'priced';
    let priceVersion: string | null = null;
    let priceSource: string | null = null;
    let nanos = 0n;
    const u = r.usage ?? ZERO_USAGE;
    const serviceTier = r.serviceTier ?? o.serviceTier ?? null;
    let custom = false;
    if (o.estimateCost) {
      try {
        const c = o.estimateCost({
          provider: o.provider,
          model: o.model,
          usage: costUsage(u),
          totalTokens: totalTokens(u),
          at: new Date(r.startMs),
          serviceTier: serviceTier ?? 'standard',
        });
        if (typeof c === 'number' && Number.isFinite(c) && c >= 0) {
          cost = c;
          pricingStatus = 'custom';
          priceSource = 'estimate';
          custom = true;
          if (this.budgets !== null) nanos = parseUsdNanos(c.toFixed(9));
        }
      } catch (e) {
        this.log.log(
          'warn',
          'estimateCost',
          { err: (e as Error).message, task: o.taskName },
          'aurea: estimateCost threw; using the price table',
        );
      }
    }
    if (!custom) {
      const resolved = series.overflow
        ? this.priceTable.resolve(o.provider, o.model)
        : ((series.priceResolved ??= this.priceTable.resolve(o.provider, o.model)) as Resolved);
      const p = this.priceTable.priceResolved(resolved, u, r.startMs, { tenant: o.tenant, serviceTier });
      cost = p.costUsd;
      pricingStatus = p.status;
      priceVersion = p.priceVersion;
      priceSource = p.source;
      if (this.budgets !== null && p.cost !== null) nanos = parseUsdNanos(p.cost);
    }
    if (nanos > 0n) this.budgets!.spent(o, nanos);
    series.finish(r.status, r.latencyMs / 1000, r.usage, cost, pricingStatus === 'unknown_model', {
      responseModel: r.responseModel,
      errorType: r.errorType,
      serverAddress: o.serverAddress || null,
      serverPort:
        o.serverPort !== undefined && Number.isInteger(o.serverPort) && o.serverPort > 0 ? o.serverPort : null,
      timeToFirstChunkS: r.ttftMs === null ? null : r.ttftMs / 1000,
      chunkIntervalsS: r.chunkIntervalsS,
      genAiClient: true,
    });
    if (this.publisher !== null) {
      const sc = trace.getSpanContext(otelContext.active());
      this.publisher.publish(
        new TaskRecord({
          ...r,
          service: this.serviceName,
          environment: this.environment,
          options: o,
          costUsd: cost,
          pricingStatus,
          priceVersion,
          priceSource,
          serviceTier,
          traceId: sc?.traceId ?? null,
          spanId: sc?.spanId ?? null,
        }),
      );
    }
  }

  /** Record an LLM call timed by the caller. Never throws. */
  recordLlmCall(c: LlmCall): void {
    try {
      const series = this.telemetry.taskSeries(c.operation ?? 'chat', c.provider, c.model, c.taskName);
      const usage = c.usage === undefined ? null : normalizeUsage(c.usage, this.priceTable.convention(c.provider));
      const started = c.startedAt instanceof Date ? c.startedAt.getTime() : (c.startedAt ?? Date.now() - c.durationMs);
      const status: Status = c.status ?? (c.errorType ? 'error' : 'ok');
      const errorType = c.errorType ?? (status === 'ok' ? null : status);
      const ttft =
        c.timeToFirstTokenMs !== undefined && Number.isFinite(c.timeToFirstTokenMs) && c.timeToFirstTokenMs >= 0
          ? c.timeToFirstTokenMs
          : null;
      const intervals = c.chunkIntervalsMs?.filter((ms) => Number.isFinite(ms) && ms >= 0).map((ms) => ms / 1000);
      const provided =
        c.providedCostUsd !== undefined && Number.isFinite(c.providedCostUsd) && c.providedCostUsd >= 0
          ? c.providedCostUsd
          : null;
      this.complete(c, series, {
        taskId: c.taskId,
        startMs: started,
        latencyMs: Math.max(0, c.durationMs),
        usage,
        status,
        errorType,
        responseModel: c.responseModel ?? null,
        ttftMs: ttft,
        chunkIntervalsS: intervals?.length ? intervals : null,
        providedCostUsd: provided,
        extraAttributes: null,
        serviceTier: c.serviceTier ?? null,
      });
    } catch (e) {
      this.log.log('error', 'recordLlmCall', { err: (e as Error).message }, 'aurea: failed to record an LLM call');
    }
  }

  /**
   * Record the metrics of a task another component has already priced and described as a task
   * event — the span bridge, for services that send only OTLP spans (docs/otlp-spans.md,
   * "Real-time metrics"): the instruments, names and labels monitorTask records, with the event's
   * own cost (never priced again here); no event is published. The gen_ai.client.* instruments
   * only with `genAiClient` (the service's own GenAI instrumentation usually emits them). Never throws.
   */
  recordTaskEvent(e: NormalizedTaskEvent, opts: { genAiClient?: boolean } = {}): void {
    try {
      const series = this.telemetry.taskSeries(e.operation, e.provider, e.request_model, e.task_name);
      const address = e.attributes[ATTR_SERVER_ADDRESS];
      series.finish(e.status, e.latency_ms / 1000, e.usage, e.cost_usd, e.pricing_status === 'unknown_model', {
        responseModel: e.response_model,
        errorType: e.error_type,
        serverAddress: typeof address === 'string' ? address : null,
        serverPort: null,
        timeToFirstChunkS: e.time_to_first_token_ms === null ? null : e.time_to_first_token_ms / 1000,
        chunkIntervalsS: null,
        genAiClient: opts.genAiClient ?? false,
      });
    } catch (err) {
      this.log.log('error', 'recordTaskEvent', { err: (err as Error).message }, 'aurea: failed to record a task event');
    }
  }

  /** A queue stage's depth, capacity, admitted and shed counts (aurea.queue.*). */
  queueStage(name: string, opts: { capacity?: number } = {}): QueueStage {
    const q = this.telemetry.queue(name);
    if (opts.capacity !== undefined) q.capacity = opts.capacity;
    return {
      setDepth: (n) => {
        q.depth = n;
      },
      setCapacity: (n) => {
        q.capacity = n;
      },
      admitted: (n = 1) => q.admitted.add(n),
      shed: (n = 1) => q.shed.add(n),
    };
  }

  /**
   * A circuit breaker's state gauge (0 closed, 1 half-open, 2 open; docs/metrics.md) and its
   * transitions counter (every change of state, by from and to). Starts closed.
   */
  circuitBreaker(name: string, opts: { provider?: string } = {}): CircuitBreaker {
    const t = this.telemetry;
    const cell = t.breaker(name, opts.provider);
    return {
      set(s: BreakerState) {
        t.setBreaker(cell, s);
      },
      get state() {
        return BREAKER_STATES[cell.state] ?? 'closed';
      },
    };
  }

  /**
   * A stage items pass through (aurea.stage.duration, 1 ms … 10 s buckets): `record(seconds)` per
   * item, with the error type when the item failed in the stage. Stage names are declared in code.
   */
  stage(name: string): Stage {
    const t = this.telemetry;
    return {
      record(durationS: number, errorType?: string) {
        if (Number.isFinite(durationS) && durationS >= 0) t.recordStage(name, durationS, errorType ?? null);
      },
    };
  }

  /** One finished job, end to end (aurea.job.duration); an unknown status counts as `error`. */
  recordJob(j: { durationS: number; status: JobStatusName }): void {
    if (!Number.isFinite(j.durationS) || j.durationS < 0) return;
    this.telemetry.recordJob((JOB_STATUSES as readonly string[]).includes(j.status) ? j.status : 'error', j.durationS);
  }

  /**
   * This process's own metrics since init(), summed over series, with percentiles estimated from
   * the histogram buckets as Prometheus' histogram_quantile does (docs/sdk.md, "Summary").
   */
  summary(): MetricsSummary {
    return summarize(this.telemetry, this.publisher?.stats() ?? null);
  }

  /** Replace the set of budget gauges. Spend 0 is reported as 0, remaining as the limit. */
  setBudgets(budgets: Budget[]): void {
    const next = [];
    for (const b of budgets) {
      if (!Number.isFinite(b.limitUsd) || !Number.isFinite(b.spendUsd)) {
        this.log.log(
          'warn',
          `budget:${b.name}`,
          { budget: b.name },
          'aurea: budget with a non-finite limit or spend ignored',
        );
        continue;
      }
      next.push({
        attributes: Object.freeze({ [A.budgetName]: b.name, [A.budgetScope]: b.scope, [A.budgetPeriod]: b.period }),
        limit: b.limitUsd,
        spend: Math.max(0, b.spendUsd),
      });
    }
    this.telemetry.budgets = next;
  }

  /** http.server.request.duration for servers that are not auto-instrumented. */
  recordHttpRequest(r: HttpRequestRecord): void {
    const method = HTTP_METHODS.has(r.method.toUpperCase()) ? r.method.toUpperCase() : '_OTHER';
    this.telemetry.recordHttp(
      method,
      r.route,
      r.statusCode,
      r.urlScheme ?? 'http',
      r.durationS,
      r.errorType ?? (r.statusCode !== undefined && r.statusCode >= 500 ? String(r.statusCode) : undefined),
    );
  }

  /** Export metrics now (e.g. before a short-lived process exits). */
  async flushMetrics(timeoutMs = 5_000): Promise<void> {
    await this.telemetry.forceFlush(timeoutMs);
  }

  /** Flush buffered events, then metrics, within the deadline. Never throws. */
  shutdown(opts: { deadlineMs?: number } = {}): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const deadline = opts.deadlineMs ?? 5_000;
      const until = Date.now() + deadline;
      const reserve = Math.min(1_500, deadline / 4);
      let res: FlushResult = { pending: 0 };
      this.budgets?.stop();
      if (this.publisher) {
        try {
          res = await this.publisher.close(Math.max(0, deadline - reserve));
        } catch (e) {
          this.log.log(
            'error',
            'shutdown:events',
            { err: (e as Error).message },
            'aurea: closing the event publisher failed',
          );
        }
      }
      try {
        await this.telemetry.shutdown(Math.max(200, until - Date.now()));
      } catch (e) {
        this.log.log('warn', 'shutdown:metrics', { err: (e as Error).message }, 'aurea: final metric export failed');
      }
      if (res.pending > 0)
        this.log.log(
          'warn',
          'shutdown:pending',
          { dropped: res.pending },
          'aurea: task events not delivered before the shutdown deadline',
        );
      if (current === this) current = null;
    })();
    return this.shutdownPromise;
  }
}

/** The estimateCost view of normalised usage (camelCase, the SDK's public shape). */
function costUsage(u: NormalizedUsage): CostUsage {
  return {
    input: u.input_tokens,
    output: u.output_tokens,
    cacheRead: u.cache_read_tokens,
    cacheWrite: u.cache_write_tokens,
    reasoning: u.reasoning_tokens,
    cacheWrite1h: u.cache_write_1h_tokens,
    inputAudio: u.input_audio_tokens,
    outputAudio: u.output_audio_tokens,
    inputImage: u.input_image_tokens,
    outputImage: u.output_image_tokens,
  };
}

let current: Aurea | null = null;
let warnedNoInit = false;

/** Build the SDK (MeterProvider, exporters, Kafka publisher). The latest instance backs the top-level functions. */
export function init(opts: InitOptions): Promise<Aurea> {
  const a = new Aurea(opts);
  current = a;
  return Promise.resolve(a);
}

/**
 * An SDK instance that does not back the top-level functions (init's does): for a process that
 * records on behalf of several services, e.g. the span bridge (docs/otlp-spans.md).
 */
export function createAurea(opts: InitOptions): Aurea {
  return new Aurea(opts);
}

/** The instance from the last init(), if any. */
export function getAurea(): Aurea | null {
  return current;
}

function noInit(): void {
  if (!warnedNoInit) {
    warnedNoInit = true;
    stderrLogger.warn({}, 'aurea: monitorTask/recordLlmCall called before init(); running uninstrumented');
  }
}

/** monitorTask on the last init() instance; without init it runs fn uninstrumented. */
export function monitorTask<T>(o: TaskOptions, fn: (ctx: TaskContext) => T): Promise<Awaited<T>> {
  if (current) return current.monitorTask(o, fn);
  noInit();
  const ctx = new Ctx({ input_includes_cache_read: false, output_includes_reasoning: false }, o.taskId);
  try {
    return Promise.resolve(fn(ctx));
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrow the caller's error unchanged
    return Promise.reject(err);
  }
}

/** recordLlmCall on the last init() instance (no-op without init). */
export function recordLlmCall(c: LlmCall): void {
  if (current) current.recordLlmCall(c);
  else noInit();
}

export { BufferedPublisher };
