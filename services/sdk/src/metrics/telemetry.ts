// One MeterProvider per init(): resource, readers (OTLP/HTTP push, optional Prometheus pull,
// extra exporters for tests), Views with per-instrument attribute allow-lists, and the
// instruments of spec.ts. Cumulative temporality everywhere (Prometheus).
import {
  ValueType,
  type Attributes,
  type HrTime,
  type Meter,
  type ObservableResult,
  type Histogram as OtelHistogram,
} from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  PeriodicExportingMetricReader,
  createAllowListAttributesProcessor,
  createDenyListAttributesProcessor,
  type CollectionResult,
  type GaugeMetricData,
  type HistogramMetricData,
  type IAttributesProcessor,
  type SumMetricData,
  type MetricData,
  type IMetricReader,
  type MetricProducer,
  type PushMetricExporter,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { A, METRICS, type MetricSpec } from './spec.js';
import {
  ATTR_ENDUSER_ID,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_RESPONSE_ID,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
} from '../semconv.js';
import { CellTable, HistCell, SumCell, attrs } from './aggregate.js';
import { TOKEN_TYPES, tokenField } from '@aurea/events';
import type { NormalizedUsage } from '../usage.js';
import { INPUT_TYPES } from '../pricing/catalog.js';

/** The instrumentation scope: this package's name and version (its package.json, in src/ and dist/ alike). */
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};
export const SCOPE_NAME = PACKAGE.name;
export const SCOPE_VERSION = PACKAGE.version;
const OVERFLOW_KEY = '\u0001otel.metric.overflow';

export const STATUS_INDEX = { ok: 0, error: 1, timeout: 2, cancelled: 3, refused: 4 } as const;
export type Status = keyof typeof STATUS_INDEX;
const STATUSES = Object.keys(STATUS_INDEX) as Status[];
const TOKEN_FIELDS = TOKEN_TYPES.map((t) => tokenField(t));
/** Token types that gen_ai.client.token.usage counts as input (semconv: input includes cached input). */
const SEMCONV_INPUT = new Set<string>(INPUT_TYPES.map((t) => tokenField(t)));

/** Keys that look like ids; a deny-list View strips them from the service's own instruments. */
export const ID_ATTRIBUTE_KEYS: readonly string[] = (() => {
  const out: string[] = [];
  for (const base of [
    'job',
    'task',
    'parent_task',
    'tenant',
    'user',
    'repository',
    'request',
    'session',
    'conversation',
  ]) {
    for (const name of [base, `${base}.id`, `${base}_id`]) out.push(name, `aurea.${name}`);
  }
  out.push(
    'gen_ai.request.id',
    ATTR_GEN_AI_RESPONSE_ID,
    ATTR_GEN_AI_CONVERSATION_ID,
    ATTR_ENDUSER_ID,
    'http.request.id',
    'trace_id',
    'span_id',
  );
  return out;
})();

export interface TelemetryOptions {
  resource: Resource;
  /** OTLP/HTTP push; null disables it. */
  otlp: { url: string; intervalMs: number; timeoutMs: number } | null;
  prometheus: boolean;
  /** Additional push exporters (tests use InMemoryMetricExporter). */
  exporters?: { exporter: PushMetricExporter; intervalMs?: number }[];
  /** Scope name for `meter` (the service's own instruments). */
  serviceName: string;
  /** Max distinct (operation, provider, model, task) series before overflow. */
  seriesLimit?: number;
}

interface OpCells {
  duration: HistCell;
  tokIn: HistCell;
  tokOut: HistCell;
  firstChunk: HistCell;
  perChunk: HistCell;
}

/** What one call adds to the GenAI client metrics beyond its status, duration and usage. */
export interface CallDetail {
  responseModel: string | null;
  errorType: string | null;
  serverAddress: string | null;
  serverPort: number | null;
  /** Time to the first chunk of a streamed response, seconds; null when not streamed. */
  timeToFirstChunkS: number | null;
  /** Seconds between consecutive chunks (one per chunk after the first); null or empty when none. */
  chunkIntervalsS: readonly number[] | null;
  /**
   * Record the semantic-convention instruments (gen_ai.client.operation.duration, token.usage,
   * time_to_first_chunk, time_per_output_chunk) too. False where the caller's own GenAI
   * instrumentation may already emit them (the span bridge: docs/otlp-spans.md, "Real-time metrics").
   */
  genAiClient: boolean;
}

/** Everything one (operation, provider, request model, task name) touches, resolved once. */
export class TaskSeries {
  readonly tasks: SumCell[];
  readonly taskDuration: HistCell[];
  readonly tokens: SumCell[];
  /** Cached by the SDK: the provider's token-counting convention. */
  convention: { input_includes_cache_read: boolean; output_includes_reasoning: boolean } | undefined;
  /** Cached by the SDK: the price table's resolution of (provider, model). */
  priceResolved: unknown;
  private lastOpKey: string | undefined;
  private lastOp: OpCells | undefined;
  private readonly ops = new Map<string, OpCells>();
  private readonly errorCells = new Map<string, SumCell>();

  constructor(
    private readonly t: Telemetry,
    readonly operation: string,
    readonly provider: string,
    readonly model: string,
    readonly taskName: string,
    readonly active: SumCell,
    readonly cost: SumCell,
    readonly unpriced: SumCell,
    readonly overflow = false,
  ) {
    const k = `${provider}\u0000${model}\u0000${taskName}`;
    this.tasks = STATUSES.map((s) => {
      const c = this.cell(t.tasks, `${k}\u0000${s}`, () =>
        attrs([
          [A.taskName, taskName],
          [A.taskStatus, s],
          [A.provider, provider],
          [A.requestModel, model],
        ]),
      );
      c.touched = true; // report 0 from the start, so increase() sees the first error
      return c;
    });
    this.taskDuration = STATUSES.map((s) =>
      this.cell(t.taskDuration, `${taskName}\u0000${s}`, () =>
        attrs([
          [A.taskName, taskName],
          [A.taskStatus, s],
        ]),
      ),
    );
    this.tokens = TOKEN_TYPES.map((tt) =>
      this.cell(t.tokens, `${provider}\u0000${model}\u0000${tt}`, () =>
        attrs([
          [A.provider, provider],
          [A.requestModel, model],
          [A.aureaTokenType, tt],
        ]),
      ),
    );
    active.touched = true;
  }

  /** Past the series limit every cell of this series is the table's single overflow cell. */
  private cell<C extends SumCell | HistCell>(table: CellTable<C>, key: string, a: () => Attributes): C {
    return this.overflow ? table.get(OVERFLOW_KEY, () => ({ [A.overflow]: true })) : table.get(key, a);
  }

  op(d: CallDetail): OpCells {
    const { responseModel, errorType, serverAddress, serverPort } = d;
    const key = `${responseModel ?? ''}\u0000${errorType ?? ''}\u0000${serverAddress ?? ''}\u0000${serverPort ?? ''}`;
    if (key === this.lastOpKey) return this.lastOp!;
    let cells = this.ops.get(key);
    if (cells === undefined) {
      const base =
        `${this.operation}\u0000${this.provider}\u0000${this.model}\u0000${responseModel ?? ''}` +
        `\u0000${serverAddress ?? ''}\u0000${serverPort ?? ''}`;
      // server.port only with server.address (semconv: conditionally required if server.address is set).
      const opAttrs = (extra: [string, string | null][]) => () =>
        attrs([
          [A.operation, this.operation],
          [A.provider, this.provider],
          [A.requestModel, this.model],
          [A.responseModel, responseModel],
          [A.serverAddress, serverAddress],
          [A.serverPort, serverAddress === null ? null : serverPort],
          ...extra,
        ]);
      cells = {
        duration: this.cell(this.t.opDuration, `${base}\u0000${errorType ?? ''}`, opAttrs([[A.errorType, errorType]])),
        tokIn: this.cell(this.t.tokenUsage, `${base}\u0000in`, opAttrs([[A.tokenType, GEN_AI_TOKEN_TYPE_VALUE_INPUT]])),
        tokOut: this.cell(
          this.t.tokenUsage,
          `${base}\u0000out`,
          opAttrs([[A.tokenType, GEN_AI_TOKEN_TYPE_VALUE_OUTPUT]]),
        ),
        firstChunk: this.cell(this.t.timeToFirstChunk, base, opAttrs([])),
        perChunk: this.cell(this.t.timePerOutputChunk, base, opAttrs([])),
      };
      if (this.ops.size < 256) this.ops.set(key, cells);
    }
    this.lastOpKey = key;
    this.lastOp = cells;
    return cells;
  }

  error(errorType: string): SumCell {
    let c = this.errorCells.get(errorType);
    if (c === undefined) {
      c = this.cell(this.t.errors, `${errorType}\u0000${this.taskName}`, () =>
        attrs([
          [A.errorType, errorType],
          [A.taskName, this.taskName],
        ]),
      );
      if (this.errorCells.size < 256) this.errorCells.set(errorType, c);
    }
    return c;
  }

  /** Record one finished task / LLM call. `usage` null: no usage reported. `cost` null: unpriced. */
  finish(
    status: Status,
    durationS: number,
    usage: NormalizedUsage | null,
    cost: number | null,
    unknownModel: boolean,
    d: CallDetail,
  ): void {
    const si = STATUS_INDEX[status];
    this.tasks[si]!.add(1);
    this.taskDuration[si]!.record(durationS);
    const op = d.genAiClient ? this.op(d) : null;
    if (op !== null) {
      op.duration.record(durationS);
      if (d.timeToFirstChunkS !== null) op.firstChunk.record(d.timeToFirstChunkS);
      if (d.chunkIntervalsS !== null) for (const s of d.chunkIntervalsS) op.perChunk.record(s);
    }
    if (usage !== null) {
      let tin = 0;
      let tout = 0;
      const tk = this.tokens;
      for (let i = 0; i < TOKEN_FIELDS.length; i++) {
        const f = TOKEN_FIELDS[i]!;
        const v = usage[f];
        if (v <= 0) continue;
        tk[i]!.add(v);
        if (SEMCONV_INPUT.has(f)) tin += v;
        else tout += v;
      }
      if (op !== null) {
        op.tokIn.record(tin);
        op.tokOut.record(tout);
      }
    }
    if (cost !== null) this.cost.add(cost);
    if (unknownModel) this.unpriced.add(1);
    if (d.errorType !== null) this.error(d.errorType).add(1);
  }
}

export interface QueueState {
  depth: number;
  capacity: number | undefined;
  admitted: SumCell;
  shed: SumCell;
  attributes: Attributes;
}

/** Breaker states in the order of aurea.circuit_breaker.state's values (0 closed, 1 half-open, 2 open). */
export const BREAKER_STATES = ['closed', 'half_open', 'open'] as const;
export type BreakerStateName = (typeof BREAKER_STATES)[number];

export interface BreakerCell {
  attributes: Attributes;
  /** Index into BREAKER_STATES. */
  state: number;
  /** aurea.circuit_breaker.transitions by `${from}>${to}`: every change between two states, from 0. */
  transitions: Map<string, SumCell>;
}

/** The six transitions between the three states, each a counter series from the breaker's creation. */
function transitionCells(attributes: Attributes): Map<string, SumCell> {
  const out = new Map<string, SumCell>();
  for (const from of BREAKER_STATES)
    for (const to of BREAKER_STATES) {
      if (from === to) continue;
      const c = new SumCell(Object.freeze({ ...attributes, [A.breakerFrom]: from, [A.breakerTo]: to }));
      c.touched = true;
      out.set(`${from}>${to}`, c);
    }
  return out;
}

/** Job statuses of aurea.job.duration (the task statuses' words). */
export const JOB_STATUSES = ['ok', 'error', 'timeout', 'cancelled', 'refused'] as const;
export type JobStatusName = (typeof JOB_STATUSES)[number];

export interface BudgetState {
  attributes: Attributes;
  limit: number;
  spend: number;
}

function hr(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

export class Telemetry implements MetricProducer {
  readonly provider: MeterProvider;
  /** The service's own meter (scope = service name); id-like attributes are stripped by a View. */
  readonly meter: Meter;
  readonly prometheusExporter: PrometheusExporter | null;
  /** When this provider started counting (init): every cumulative point's start time. */
  readonly startedAtMs = Date.now();
  private readonly startTime: HrTime = hr(this.startedAtMs);
  private readonly seriesLimit: number;
  private readonly series = new Map<string, Map<string, Map<string, Map<string, TaskSeries>>>>();
  private seriesCount = 0;
  private overflowSeries: TaskSeries | undefined;

  // Sum tables (exported by this MetricProducer).
  readonly tasks: CellTable<SumCell>;
  readonly active: CellTable<SumCell>;
  readonly cost: CellTable<SumCell>;
  readonly tokens: CellTable<SumCell>;
  readonly errors: CellTable<SumCell>;
  readonly unpriced: CellTable<SumCell>;
  // Histogram tables (exported by this MetricProducer).
  readonly opDuration: CellTable<HistCell>;
  readonly tokenUsage: CellTable<HistCell>;
  readonly taskDuration: CellTable<HistCell>;
  readonly timeToFirstChunk: CellTable<HistCell>;
  readonly timePerOutputChunk: CellTable<HistCell>;
  readonly jobDuration: CellTable<HistCell>;
  readonly stageDuration: CellTable<HistCell>;

  readonly queues = new Map<string, QueueState>();
  readonly breakers = new Map<string, BreakerCell>();
  budgets: BudgetState[] = [];
  /** aurea.budget.refused by budget; aurea.budget.unknown by policy. */
  readonly budgetRefused = new Map<string, SumCell>();
  readonly budgetUnknown = new Map<string, SumCell>();
  eventStats: () => { published: number; dropped: Map<string, number> } = () => ({ published: 0, dropped: new Map() });
  publisherAttached = false;
  private readonly allowLists = new Map<string, IAttributesProcessor>();

  private readonly httpDuration: OtelHistogram;

  constructor(opts: TelemetryOptions) {
    this.seriesLimit = opts.seriesLimit ?? 2000;
    // A series spans up to 5 cells per table (token types); the series cap is the real guard.
    const limit = this.seriesLimit * 8;
    const sum = () => new CellTable<SumCell>((a) => new SumCell(a), limit);
    this.tasks = sum();
    this.active = sum();
    this.cost = sum();
    this.tokens = sum();
    this.errors = sum();
    this.unpriced = sum();
    this.opDuration = new CellTable<HistCell>((a) => new HistCell(a, METRICS.operationDuration.buckets), limit);
    this.tokenUsage = new CellTable<HistCell>((a) => new HistCell(a, METRICS.tokenUsage.buckets), limit);
    this.taskDuration = new CellTable<HistCell>((a) => new HistCell(a, METRICS.taskDuration.buckets), limit);
    this.timeToFirstChunk = new CellTable<HistCell>((a) => new HistCell(a, METRICS.timeToFirstChunk.buckets), limit);
    this.timePerOutputChunk = new CellTable<HistCell>(
      (a) => new HistCell(a, METRICS.timePerOutputChunk.buckets),
      limit,
    );
    this.jobDuration = new CellTable<HistCell>((a) => new HistCell(a, METRICS.jobDuration.buckets), 16);
    // Stages are declared in code (a handful), error types tens: a generous cap, then overflow.
    this.stageDuration = new CellTable<HistCell>((a) => new HistCell(a, METRICS.stageDuration.buckets), 1024);

    const readers: IMetricReader[] = [];
    const producers = [this];
    if (opts.otlp) {
      const exporter = new OTLPMetricExporter({
        url: opts.otlp.url,
        temporalityPreference: AggregationTemporalityPreference.CUMULATIVE,
        timeoutMillis: opts.otlp.timeoutMs,
      });
      readers.push(
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: opts.otlp.intervalMs,
          exportTimeoutMillis: Math.min(opts.otlp.timeoutMs, opts.otlp.intervalMs),
          metricProducers: producers,
        }),
      );
    }
    for (const e of opts.exporters ?? []) {
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: e.exporter,
          exportIntervalMillis: e.intervalMs ?? 60_000,
          metricProducers: producers,
        }),
      );
    }
    this.prometheusExporter = opts.prometheus
      ? new PrometheusExporter({ preventServerStart: true, metricProducers: producers })
      : null;
    if (this.prometheusExporter) readers.push(this.prometheusExporter);

    const views: ViewOptions[] = Object.values(METRICS as Record<string, MetricSpec>).map((m) => ({
      instrumentName: m.name,
      meterName: SCOPE_NAME,
      attributesProcessors: [createAllowListAttributesProcessor([...m.attributes, A.overflow])],
    }));
    if (opts.serviceName !== SCOPE_NAME) {
      views.push({
        meterName: opts.serviceName,
        attributesProcessors: [createDenyListAttributesProcessor([...ID_ATTRIBUTE_KEYS])],
      });
    }
    this.provider = new MeterProvider({ resource: opts.resource, readers, views });
    this.meter = this.provider.getMeter(opts.serviceName);
    const m = this.provider.getMeter(SCOPE_NAME, SCOPE_VERSION);

    this.httpDuration = m.createHistogram(METRICS.httpDuration.name, {
      unit: METRICS.httpDuration.unit,
      description: METRICS.httpDuration.description,
      advice: { explicitBucketBoundaries: [...METRICS.httpDuration.buckets] },
    });
  }

  /** The cached series for (operation, provider, model, task), created on first use. */
  taskSeries(operation: string, provider: string, model: string, taskName: string): TaskSeries {
    // Nested maps keyed by the caller's (usually interned) strings: no key concatenation per call.
    let byModel = this.series.get(taskName);
    if (byModel === undefined)
      this.series.set(taskName, (byModel = new Map<string, Map<string, Map<string, TaskSeries>>>()));
    let byProvider = byModel.get(model);
    if (byProvider === undefined) byModel.set(model, (byProvider = new Map<string, Map<string, TaskSeries>>()));
    let byOp = byProvider.get(provider);
    if (byOp === undefined) byProvider.set(provider, (byOp = new Map<string, TaskSeries>()));
    let s = byOp.get(operation);
    if (s === undefined) {
      if (this.seriesCount >= this.seriesLimit) {
        return (this.overflowSeries ??= this.makeSeries('_OTHER', '_OTHER', '_OTHER', '_OTHER', true));
      }
      s = this.makeSeries(operation, provider, model, taskName);
      byOp.set(operation, s);
      this.seriesCount++;
    }
    return s;
  }

  private makeSeries(
    operation: string,
    provider: string,
    model: string,
    taskName: string,
    overflow = false,
  ): TaskSeries {
    const ov = (a: () => Attributes) => (overflow ? () => ({ [A.overflow]: true }) : a);
    const key = (k: string) => (overflow ? OVERFLOW_KEY : k);
    return new TaskSeries(
      this,
      operation,
      provider,
      model,
      taskName,
      this.active.get(
        key(taskName),
        ov(() => attrs([[A.taskName, taskName]])),
      ),
      this.cost.get(
        key(`${provider}\u0000${model}\u0000${taskName}`),
        ov(() =>
          attrs([
            [A.provider, provider],
            [A.requestModel, model],
            [A.taskName, taskName],
          ]),
        ),
      ),
      this.unpriced.get(
        key(`${provider}\u0000${model}`),
        ov(() =>
          attrs([
            [A.provider, provider],
            [A.requestModel, model],
          ]),
        ),
      ),
      overflow,
    );
  }

  recordHttp(
    method: string,
    route: string | undefined,
    statusCode: number | undefined,
    scheme: string,
    durationS: number,
    errorType?: string,
  ): void {
    const a: Attributes = { [A.httpMethod]: method, [A.urlScheme]: scheme };
    if (route) a[A.httpRoute] = route;
    if (statusCode !== undefined) a[A.httpStatus] = statusCode;
    if (errorType) a[A.errorType] = errorType;
    this.httpDuration.record(durationS, a);
  }

  /** aurea.stage.duration: one item's time in `stage`; `errorType` when it failed there. */
  recordStage(stage: string, durationS: number, errorType: string | null): void {
    const e = errorType === null || errorType === '' ? null : errorType.slice(0, 128);
    this.stageDuration
      .get(`${stage}\u0000${e ?? ''}`, () =>
        attrs([
          [A.stage, stage],
          [A.errorType, e],
        ]),
      )
      .record(durationS);
  }

  /** aurea.job.duration: one job from admission to its end. */
  recordJob(status: JobStatusName, durationS: number): void {
    this.jobDuration.get(status, () => ({ [A.jobStatus]: status })).record(durationS);
  }

  /** The state cell of breaker `name` (created closed, its transition counters at 0). */
  breaker(name: string, provider: string | undefined): BreakerCell {
    let b = this.breakers.get(name);
    if (b === undefined) {
      const a: Record<string, string> = { [A.breaker]: name };
      if (provider) a[A.provider] = provider;
      const attributes = Object.freeze(a);
      b = { attributes, state: 0, transitions: transitionCells(attributes) };
      this.breakers.set(name, b);
    }
    return b;
  }

  /** Move breaker `b` to `to`, counting the transition when the state changes. */
  setBreaker(b: BreakerCell, to: BreakerStateName): void {
    const next = BREAKER_STATES.indexOf(to);
    if (next < 0 || next === b.state) return;
    b.transitions.get(`${BREAKER_STATES[b.state]}>${to}`)!.add(1);
    b.state = next;
  }

  /** Count a refused call (aurea.budget.refused). */
  refused(name: string, scope: string, period: string): void {
    let c = this.budgetRefused.get(name);
    if (c === undefined) {
      c = new SumCell(Object.freeze({ [A.budgetName]: name, [A.budgetScope]: scope, [A.budgetPeriod]: period }));
      if (this.budgetRefused.size < 1000) this.budgetRefused.set(name, c);
    }
    c.add(1);
  }

  /** Count a budget check made with the spend unknown (aurea.budget.unknown). */
  unknownSpend(policy: 'allow' | 'deny'): void {
    let c = this.budgetUnknown.get(policy);
    if (c === undefined) this.budgetUnknown.set(policy, (c = new SumCell(Object.freeze({ [A.budgetPolicy]: policy }))));
    c.add(1);
  }

  queue(stage: string): QueueState {
    let q = this.queues.get(stage);
    if (q === undefined) {
      const attributes = Object.freeze({ [A.stage]: stage });
      q = {
        depth: 0,
        capacity: undefined,
        admitted: new SumCell(attributes),
        shed: new SumCell(attributes),
        attributes,
      };
      this.queues.set(stage, q);
    }
    return q;
  }

  /**
   * MetricProducer: everything aggregated in cells, as cumulative OTel data with the
   * provider's start time (observable counters would report start = first collection, which
   * Prometheus' OTLP receiver does not ingest for a process that exports only once). Each
   * metric's attributes pass through the same OTel allow-list processor a View would apply.
   */
  collect(): Promise<CollectionResult> {
    const end = hr(Date.now());
    const start = this.startTime;
    const desc = (spec: MetricSpec) => ({
      name: spec.name,
      description: spec.description,
      unit: spec.unit,
      valueType: ValueType.DOUBLE,
    });
    const allow = (spec: MetricSpec) => {
      let p = this.allowLists.get(spec.name);
      if (p === undefined)
        this.allowLists.set(spec.name, (p = createAllowListAttributesProcessor([...spec.attributes, A.overflow])));
      return p;
    };
    const hist = (spec: MetricSpec, table: CellTable<HistCell>): HistogramMetricData => ({
      descriptor: desc(spec),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...table.all()]
        .filter((c) => c.count > 0)
        .map((c) => ({
          attributes: allow(spec).process(c.attributes),
          startTime: start,
          endTime: end,
          value: {
            buckets: { boundaries: [...c.boundaries], counts: Array.from(c.counts) },
            sum: c.sum,
            count: c.count,
            min: c.min,
            max: c.max,
          },
        })),
    });
    const sum = (spec: MetricSpec, points: { attributes: Attributes; value: number }[]): SumMetricData => ({
      descriptor: desc(spec),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: spec.kind === 'Counter',
      dataPoints: points.map((p) => ({
        attributes: allow(spec).process(p.attributes),
        startTime: start,
        endTime: end,
        value: p.value,
      })),
    });
    // Gauges of sets that can change (budgets are replaced by setBudgets): only what is current.
    const gauge = (spec: MetricSpec, points: { attributes: Attributes; value: number }[]): GaugeMetricData => ({
      descriptor: desc(spec),
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints: points.map((p) => ({
        attributes: allow(spec).process(p.attributes),
        startTime: end,
        endTime: end,
        value: p.value,
      })),
    });
    const cells = (t: CellTable<SumCell>) =>
      [...t.all()].filter((c) => c.touched).map((c) => ({ attributes: c.attributes, value: c.value }));
    const queues = [...this.queues.values()];
    // A custom EventPublisher's stats() is user code: if it throws or returns something malformed,
    // only the two event counters go missing, never every other metric of this export.
    let ev: { published: number; dropped: Map<string, number> } = { published: 0, dropped: new Map() };
    try {
      const s = this.eventStats();
      if (typeof s.published === 'number' && s.dropped instanceof Map) ev = s;
    } catch {
      // keep the zero stats
    }
    const metrics: MetricData[] = [
      hist(METRICS.operationDuration, this.opDuration),
      hist(METRICS.tokenUsage, this.tokenUsage),
      hist(METRICS.timeToFirstChunk, this.timeToFirstChunk),
      hist(METRICS.timePerOutputChunk, this.timePerOutputChunk),
      hist(METRICS.taskDuration, this.taskDuration),
      hist(METRICS.jobDuration, this.jobDuration),
      hist(METRICS.stageDuration, this.stageDuration),
      sum(METRICS.tasks, cells(this.tasks)),
      sum(METRICS.cost, cells(this.cost)),
      sum(METRICS.tokens, cells(this.tokens)),
      sum(METRICS.errors, cells(this.errors)),
      sum(METRICS.unpriced, cells(this.unpriced)),
      sum(METRICS.tasksActive, cells(this.active)),
      gauge(
        METRICS.queueDepth,
        queues.map((q) => ({ attributes: q.attributes, value: q.depth })),
      ),
      gauge(
        METRICS.queueCapacity,
        queues.filter((q) => q.capacity !== undefined).map((q) => ({ attributes: q.attributes, value: q.capacity! })),
      ),
      sum(
        METRICS.queueAdmitted,
        queues.map((q) => ({ attributes: q.attributes, value: q.admitted.value })),
      ),
      sum(
        METRICS.queueShed,
        queues.map((q) => ({ attributes: q.attributes, value: q.shed.value })),
      ),
      gauge(
        METRICS.circuitBreaker,
        [...this.breakers.values()].map((b) => ({ attributes: b.attributes, value: b.state })),
      ),
      sum(
        METRICS.circuitBreakerTransitions,
        [...this.breakers.values()].flatMap((b) =>
          [...b.transitions.values()].map((c) => ({ attributes: c.attributes, value: c.value })),
        ),
      ),
      gauge(
        METRICS.budgetLimit,
        this.budgets.map((b) => ({ attributes: b.attributes, value: b.limit })),
      ),
      gauge(
        METRICS.budgetSpend,
        this.budgets.map((b) => ({ attributes: b.attributes, value: b.spend })),
      ),
      gauge(
        METRICS.budgetRemaining,
        this.budgets.map((b) => ({ attributes: b.attributes, value: b.limit - b.spend })),
      ),
      sum(
        METRICS.budgetRefused,
        [...this.budgetRefused.values()].map((c) => ({ attributes: c.attributes, value: c.value })),
      ),
      sum(
        METRICS.budgetUnknown,
        [...this.budgetUnknown.values()].map((c) => ({ attributes: c.attributes, value: c.value })),
      ),
      sum(METRICS.eventsPublished, this.publisherAttached ? [{ attributes: {}, value: ev.published }] : []),
      sum(
        METRICS.eventsDropped,
        [...ev.dropped].map(([reason, value]) => ({ attributes: { [A.dropReason]: reason }, value })),
      ),
    ].filter((m) => m.dataPoints.length > 0);
    return Promise.resolve({
      // The reader keeps the SDK producer's resource; this one is not used.
      resourceMetrics: {
        resource: undefined as unknown as Resource,
        scopeMetrics: metrics.length ? [{ scope: { name: SCOPE_NAME, version: SCOPE_VERSION }, metrics }] : [],
      },
      errors: [],
    });
  }

  get metricsHandler(): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
    const p = this.prometheusExporter;
    return p ? (req, res) => p.getMetricsRequestHandler(req, res) : undefined;
  }

  forceFlush(timeoutMs: number): Promise<void> {
    return this.provider.forceFlush({ timeoutMillis: timeoutMs });
  }

  shutdown(timeoutMs: number): Promise<void> {
    return this.provider.shutdown({ timeoutMillis: timeoutMs });
  }
}

export type { ObservableResult };
