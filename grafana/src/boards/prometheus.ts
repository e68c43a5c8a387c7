// The Prometheus boards: real-time operations (HTTP, tasks, stages and jobs, backpressure,
// breakers), LLM cost & tokens, and SLOs. Metric names come from the SDK's spec (names.ts), label
// names are those of docs/metrics.md after Prometheus 3's OTLP translation.
import { DashboardLinkBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  badAbove,
  badBelow,
  boardLink,
  byName,
  COLORS,
  dashboardBuilder,
  exactIncrease,
  finish,
  prom,
  promVariable,
  thresholds,
  valueColors,
  type Dashboard,
} from '../builders.js';
import { bars, pie, series, stat, timeline } from '../panels.js';
import { boardAnnotations } from './annotations.js';
import { L, M, OTHER } from './names.js';
import { UID } from './uids.js';

/**
 * Selectors every query carries: environment and service; provider and model on the metrics that
 * have them; the task (agent) on those that have it; the route on HTTP metrics.
 */
const ENV_SVC = `${L.env}=~"$environment", ${L.service}=~"$service"`;
const ENV_SVC_LLM = `${ENV_SVC}, ${L.provider}=~"$provider", ${L.model}=~"$model"`;
const TASK = `${L.task}=~"$task"`;
/** aurea.tasks and aurea.llm.cost: provider, model and task. */
const ENV_SVC_LLM_TASK = `${ENV_SVC_LLM}, ${TASK}`;
/** aurea.task.duration, aurea.tasks.active, aurea.errors: the task, no provider or model. */
const ENV_SVC_TASK = `${ENV_SVC}, ${TASK}`;
const ENV_SVC_ROUTE = `${ENV_SVC}, ${L.route}=~"$route"`;
const RI = '$__rate_interval';

// Provider, model and task come from aurea_tasks_total, which every task has (unpriced models have
// no cost series but must still be selectable).
function variables(anchorMetric: string, o: { route?: boolean } = {}) {
  return [
    promVariable('environment', 'Environment', `label_values(${anchorMetric}, ${L.env})`, {
      description: 'deployment.environment.name of the emitting services',
    }),
    promVariable('service', 'Service', `label_values(${anchorMetric}{${L.env}=~"$environment"}, ${L.service})`, {
      description: 'service.name (the Prometheus job label)',
    }),
    promVariable('provider', 'Provider', `label_values(${M.tasks}{${ENV_SVC}}, ${L.provider})`, {
      description: 'gen_ai.provider.name',
    }),
    promVariable('model', 'Model', `label_values(${M.tasks}{${ENV_SVC}, ${L.provider}=~"$provider"}, ${L.model})`, {
      description: 'gen_ai.request.model',
    }),
    promVariable('task', 'Task (agent)', `label_values(${M.tasks}{${ENV_SVC_LLM}}, ${L.task})`, {
      description:
        'aurea.task.name: the kind of task — the agent (agent_type) or task type (task_type) of the seed systems. Filters the panels of metrics that carry it (tasks, task duration, errors, cost).',
    }),
    ...(o.route
      ? [
          promVariable('route', 'Route', `label_values(${M.httpDuration}_count{${ENV_SVC}}, ${L.route})`, {
            description: 'http.route: the route template of HTTP requests (the endpoint). Filters the HTTP panels.',
          }),
        ]
      : []),
  ];
}

/** The state of each circuit breaker over time (operations and agents boards). */
export function breakerStates(title: string, w: number, h: number) {
  return timeline({
    title,
    description:
      'State of each circuit breaker over time: closed (0), half-open (1), open (2) — docs/metrics.md gives the mapping to the seed\u2019s 0 closed, 1 open, 2 half-open.',
    w,
    h,
    thresholds: thresholds([COLORS.green, null], [COLORS.yellow, 1], [COLORS.red, 2]),
    thresholdColors: true,
    mappings: [BREAKER_STATES],
    targets: [
      prom(
        `max by (${L.breaker}, ${L.provider}) (${M.circuitBreaker}{${ENV_SVC}, ${L.provider}=~"$provider"})`,
        `{{${L.breaker}}} ({{${L.provider}}})`,
      ),
    ],
  });
}

const BREAKER_STATES = valueColors([
  ['0', 'closed', COLORS.green],
  ['1', 'half-open', COLORS.yellow],
  ['2', 'open', COLORS.red],
]);

/** A ratio (0 and up, as percent), a third of a row wide. */
const RATIO_THIRD = { w: 8, h: 8, unit: 'percentunit', min: 0 };

/** Token counts as bars, a quarter of a row wide. */
const TOKEN_BARS = { w: 6, h: 8, unit: 'suffix: tokens', decimals: 0 };

const link = (title: string, url: string) => new DashboardLinkBuilder(title).url(url);

function quantile(q: number, bucket: string, selector: string, by: string[] = []): string {
  return `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${bucket}{${selector}}[${RI}])))`;
}

export function operationsBoard(): Dashboard {
  const b = dashboardBuilder({
    uid: UID.operations,
    title: 'Aurea / Real-time operations',
    description:
      'Real-time health of services instrumented with @aurea/sdk: HTTP traffic and latency by route, tasks by model and status, active tasks, error ratio and totals, per-stage requests, latency percentiles and errors, jobs end to end, admission queues and shedding, circuit breakers and their transitions, consumer lag. Deployments and firing alerts as annotations. Source: Prometheus (OTLP via the Collector).',
    tags: ['operations', 'prometheus'],
    refresh: '10s',
    from: 'now-15m',
  })
    .variables(variables(M.tasks, { route: true }))
    .annotations(boardAnnotations())
    .links([
      boardLink('LLM cost & tokens', UID.llmCost, 'Cost, tokens, budgets and model latency'),
      boardLink('Per-job cost', UID.jobCost, 'Per-job cost analytics (ClickHouse)'),
    ]);
  b.withRow(new RowBuilder('Requests'))
    .withPanel(
      stat({
        title: 'Request rate',
        description: 'HTTP requests per second served by the selected services (http.server.request.duration count).',
        w: 4,
        h: 5,
        unit: 'reqps',
        targets: [
          prom(`sum(rate(${M.httpDuration}_count{${ENV_SVC_ROUTE}}[${RI}]))`, 'requests/s', {
            instant: true,
          }),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Request p95 latency',
        description: '95th percentile of HTTP server request duration. Yellow above 1 s, red above 5 s.',
        w: 4,
        h: 5,
        unit: 's',
        thresholds: badAbove(1, 5),
        thresholdColors: true,
        targets: [prom(quantile(0.95, `${M.httpDuration}_bucket`, ENV_SVC_ROUTE), 'p95', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'HTTP 5xx ratio',
        description: 'Share of HTTP responses with a 5xx status. Yellow above 1 %, red above 5 %.',
        w: 4,
        h: 5,
        unit: 'percentunit',
        decimals: 2,
        thresholds: badAbove(0.01, 0.05),
        thresholdColors: true,
        targets: [
          prom(
            `(sum(rate(${M.httpDuration}_count{${ENV_SVC_ROUTE}, ${L.httpStatus}=~"5.."}[${RI}])) or vector(0)) / sum(rate(${M.httpDuration}_count{${ENV_SVC_ROUTE}}[${RI}]))`,
            '5xx ratio',
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Request rate by route and status',
        description: 'HTTP requests per second by route and response status code.',
        w: 12,
        h: 8,
        unit: 'reqps',
        targets: [
          prom(
            `sum by (${L.route}, ${L.httpStatus}) (rate(${M.httpDuration}_count{${ENV_SVC_ROUTE}}[${RI}]))`,
            `{{${L.route}}} {{${L.httpStatus}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Request latency p50 / p95 / p99',
        description:
          'HTTP server request duration quantiles over all routes of the selected services. Dashed lines: 1 s and 5 s.',
        w: 12,
        h: 8,
        unit: 's',
        thresholds: badAbove(1, 5),
        showThresholds: true,
        targets: [
          prom(quantile(0.5, `${M.httpDuration}_bucket`, ENV_SVC_ROUTE), 'p50'),
          prom(quantile(0.95, `${M.httpDuration}_bucket`, ENV_SVC_ROUTE), 'p95'),
          prom(quantile(0.99, `${M.httpDuration}_bucket`, ENV_SVC_ROUTE), 'p99'),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Server errors by route',
        description: 'HTTP 5xx responses per second by route and error.type.',
        w: 12,
        h: 8,
        unit: 'reqps',
        targets: [
          prom(
            `sum by (${L.route}, ${L.errorType}) (rate(${M.httpDuration}_count{${ENV_SVC_ROUTE}, ${L.httpStatus}=~"5.."}[${RI}]))`,
            `{{${L.route}}} {{${L.errorType}}}`,
          ),
        ],
      }),
    );

  b.withRow(new RowBuilder('Tasks'))
    .withPanel(
      stat({
        title: 'Active tasks',
        description:
          'Tasks currently running (aurea.tasks.active, an up-down counter), summed over the selected services.',
        w: 6,
        h: 5,
        unit: 'short',
        thresholds: badAbove(50, 200),
        thresholdColors: true,
        targets: [prom(`sum(${M.tasksActive}{${ENV_SVC_TASK}})`, 'active', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'Task error ratio',
        description: 'Share of finished tasks whose status is not ok. Yellow above 2 %, red above 10 %.',
        w: 6,
        h: 5,
        unit: 'percentunit',
        decimals: 2,
        thresholds: badAbove(0.02, 0.1),
        thresholdColors: true,
        targets: [
          prom(
            `(sum(rate(${M.tasks}{${ENV_SVC_LLM_TASK}, ${L.status}!="ok"}[${RI}])) or vector(0)) / sum(rate(${M.tasks}{${ENV_SVC_LLM_TASK}}[${RI}]))`,
            'error ratio',
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Tasks in range',
        description:
          'Tasks finished in the dashboard time range, by status (exact: docs/metrics.md, "Spend: the exact query").',
        w: 6,
        h: 5,
        unit: 'short',
        decimals: 0,
        targets: [
          prom(exactIncrease(`${M.tasks}{${ENV_SVC_LLM_TASK}}`, [L.status]), `{{${L.status}}}`, {
            instant: true,
          }),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Errors in range',
        description: 'Failed tasks in the dashboard time range (aurea.errors), exact. Yellow from 1, red from 10.',
        w: 6,
        h: 5,
        unit: 'short',
        decimals: 0,
        thresholds: badAbove(1, 10),
        thresholdColors: true,
        targets: [prom(exactIncrease(`${M.errors}{${ENV_SVC_TASK}}`), 'errors', { instant: true })],
      }),
    )
    .withPanel(
      series({
        title: 'Tasks by status',
        description: 'Tasks finished per second, stacked by status (ok, error, timeout, cancelled).',
        w: 12,
        h: 8,
        unit: 'ops',
        stack: true,
        targets: [prom(`sum by (${L.status}) (rate(${M.tasks}{${ENV_SVC_LLM_TASK}}[${RI}]))`, `{{${L.status}}}`)],
        overrides: [
          statusColor('ok', COLORS.green),
          statusColor('error', COLORS.red),
          statusColor('timeout', COLORS.orange),
          statusColor('cancelled', COLORS.blue),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Tasks by model and status',
        description: 'Tasks finished per second by request model and status, stacked.',
        w: 12,
        h: 8,
        unit: 'ops',
        stack: true,
        targets: [
          prom(
            `sum by (${L.model}, ${L.status}) (rate(${M.tasks}{${ENV_SVC_LLM_TASK}}[${RI}]))`,
            `{{${L.model}}} {{${L.status}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Active tasks',
        description: 'Running tasks per service over time.',
        w: 12,
        h: 8,
        unit: 'short',
        targets: [prom(`sum by (${L.service}) (${M.tasksActive}{${ENV_SVC_TASK}})`, `{{${L.service}}}`)],
      }),
    )
    .withPanel(
      series({
        title: 'Task error ratio',
        description: 'Share of tasks not ok per task name. Dashed lines: 2 % and 10 %.',
        w: 12,
        h: 8,
        unit: 'percentunit',
        min: 0,
        thresholds: badAbove(0.02, 0.1),
        showThresholds: true,
        targets: [
          prom(
            `(sum by (${L.task}) (rate(${M.tasks}{${ENV_SVC_LLM_TASK}, ${L.status}!="ok"}[${RI}])) or (0 * sum by (${L.task}) (rate(${M.tasks}{${ENV_SVC_LLM_TASK}}[${RI}])))) / sum by (${L.task}) (rate(${M.tasks}{${ENV_SVC_LLM_TASK}}[${RI}]))`,
            `{{${L.task}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Errors by type',
        description: 'Failed tasks per second by error.type (aurea.errors).',
        w: 12,
        h: 8,
        unit: 'ops',
        targets: [prom(`sum by (${L.errorType}) (rate(${M.errors}{${ENV_SVC_TASK}}[${RI}]))`, `{{${L.errorType}}}`)],
      }),
    )
    .withPanel(
      series({
        title: 'Task duration p95 by task',
        description:
          '95th percentile task wall time (aurea.task.duration) per task name (all providers and models: the metric has no model label).',
        w: 12,
        h: 8,
        unit: 's',
        targets: [prom(quantile(0.95, `${M.taskDuration}_bucket`, ENV_SVC_TASK, [L.task]), `{{${L.task}}}`)],
      }),
    );

  b.withRow(new RowBuilder('Stages and jobs'))
    .withPanel(
      stat({
        title: 'Stage requests in range',
        description:
          'Items that passed through the stages (aurea.stage.duration count: admission, queue wait, dispatch) in the time range, exact.',
        w: 6,
        h: 5,
        unit: 'short',
        decimals: 0,
        targets: [prom(exactIncrease(`${M.stageDuration}_count{${ENV_SVC}}`), 'requests', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'Stage errors in range',
        description:
          'Items that failed in a stage (aurea.stage.duration with an error.type: a shed job, an open breaker) in the time range, exact.',
        w: 6,
        h: 5,
        unit: 'short',
        decimals: 0,
        thresholds: badAbove(1, 100),
        thresholdColors: true,
        targets: [
          prom(exactIncrease(`${M.stageDuration}_count{${ENV_SVC}, ${L.errorType}!=""}`), 'errors', {
            instant: true,
          }),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Shed in range',
        description:
          'Requests shed by admission queues under backpressure (aurea.queue.shed) in the time range, exact.',
        w: 6,
        h: 5,
        unit: 'short',
        decimals: 0,
        thresholds: badAbove(1, 100),
        thresholdColors: true,
        targets: [prom(exactIncrease(`${M.queueShed}{${ENV_SVC}}`), 'shed', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'Job p95 (end to end)',
        description:
          '95th percentile of aurea.job.duration: a job from admission to its last task. Yellow above 60 s, red above 5 min.',
        w: 6,
        h: 5,
        unit: 's',
        thresholds: badAbove(60, 300),
        thresholdColors: true,
        targets: [prom(quantile(0.95, `${M.jobDuration}_bucket`, ENV_SVC), 'p95', { instant: true })],
      }),
    )
    .withPanel(
      series({
        title: 'Requests by stage',
        description: 'Items per second through each stage (aurea.stage.duration count).',
        w: 12,
        h: 8,
        unit: 'ops',
        targets: [prom(`sum by (${L.stage}) (rate(${M.stageDuration}_count{${ENV_SVC}}[${RI}]))`, `{{${L.stage}}}`)],
      }),
    )
    .withPanel(
      series({
        title: 'Stage latency p50 / p95 / p99',
        description:
          'Time per item in each stage, from the recording rules aurea:aurea_stage_duration_seconds:p50_5m / p95_5m / p99_5m (5-minute windows; 1 ms to 10 s buckets).',
        w: 12,
        h: 8,
        unit: 's',
        targets: (['p50', 'p95', 'p99'] as const).map((q) =>
          prom(`aurea:aurea_stage_duration_seconds:${q}_5m{${ENV_SVC}}`, `{{${L.service}}} {{${L.stage}}} ${q}`),
        ),
      }),
    )
    .withPanel(
      bars({
        title: 'Stage p95 now',
        description:
          '95th percentile time per item in each stage, now (5-minute window). Yellow above 100 ms, red above 1 s.',
        w: 8,
        h: 8,
        unit: 's',
        thresholds: badAbove(0.1, 1),
        thresholdColors: true,
        targets: [
          prom(`aurea:aurea_stage_duration_seconds:p95_5m{${ENV_SVC}}`, `{{${L.service}}} / {{${L.stage}}}`, {
            instant: true,
          }),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Stage errors by type',
        description: 'Items failing per second in each stage, by error.type (queue_full, circuit_open, …).',
        w: 8,
        h: 8,
        unit: 'ops',
        targets: [
          prom(
            `sum by (${L.stage}, ${L.errorType}) (rate(${M.stageDuration}_count{${ENV_SVC}, ${L.errorType}!=""}[${RI}]))`,
            `{{${L.stage}}} {{${L.errorType}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Shed rate by stage',
        description: 'Requests shed per second by each admission stage (backpressure), as bars.',
        w: 8,
        h: 8,
        unit: 'ops',
        bars: true,
        targets: [prom(`sum by (${L.stage}) (rate(${M.queueShed}{${ENV_SVC}}[${RI}]))`, `{{${L.stage}}}`)],
      }),
    )
    .withPanel(
      series({
        title: 'Job duration p50 / p95 / p99',
        description:
          'End-to-end job duration per service, from the recording rules aurea:aurea_job_duration_seconds:p50_5m / p95_5m / p99_5m.',
        w: 12,
        h: 8,
        unit: 's',
        targets: (['p50', 'p95', 'p99'] as const).map((q) =>
          prom(`aurea:aurea_job_duration_seconds:${q}_5m{${ENV_SVC}}`, `{{${L.service}}} ${q}`),
        ),
      }),
    )
    .withPanel(
      series({
        title: 'Jobs by status',
        description: 'Jobs finished per second by status (aurea.job.duration count).',
        w: 12,
        h: 8,
        unit: 'ops',
        stack: true,
        targets: [
          prom(`sum by (${L.jobStatus}) (rate(${M.jobDuration}_count{${ENV_SVC}}[${RI}]))`, `{{${L.jobStatus}}}`),
        ],
      }),
    );

  b.withRow(new RowBuilder('Backpressure and resilience'))
    .withPanel(
      series({
        title: 'Queue depth',
        description: 'Items waiting per admission stage (aurea.queue.depth); capacity dashed.',
        w: 8,
        h: 8,
        unit: 'short',
        targets: [
          prom(`sum by (${L.stage}) (${M.queueDepth}{${ENV_SVC}})`, `{{${L.stage}}} depth`),
          prom(`sum by (${L.stage}) (${M.queueCapacity}{${ENV_SVC}})`, `{{${L.stage}}} capacity`),
        ],
        overrides: [
          {
            matcher: { id: 'byRegexp', options: '.* capacity' },
            properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
          },
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Shed ratio',
        description:
          'Share of arrivals rejected by each admission stage: shed / (admitted + shed). Dashed lines: 1 % and 10 %.',
        ...RATIO_THIRD,
        thresholds: badAbove(0.01, 0.1),
        showThresholds: true,
        targets: [
          prom(
            `sum by (${L.stage}) (rate(${M.queueShed}{${ENV_SVC}}[${RI}])) / (sum by (${L.stage}) (rate(${M.queueAdmitted}{${ENV_SVC}}[${RI}])) + sum by (${L.stage}) (rate(${M.queueShed}{${ENV_SVC}}[${RI}])))`,
            `{{${L.stage}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Queue utilisation',
        description: 'Depth over capacity per stage, now. Yellow above 70 %, red above 90 %.',
        ...RATIO_THIRD,
        max: 1,
        thresholds: badAbove(0.7, 0.9),
        thresholdColors: true,
        targets: [
          prom(
            `sum by (${L.stage}) (${M.queueDepth}{${ENV_SVC}}) / sum by (${L.stage}) (${M.queueCapacity}{${ENV_SVC}})`,
            `{{${L.stage}}}`,
            {
              instant: true,
            },
          ),
        ],
      }),
    )
    .withPanel(breakerStates('Circuit breakers', 16, 8))
    .withPanel(
      stat({
        title: 'Consumer lag',
        description:
          'Kafka messages the task-event consumer has not yet stored (aurea.consumer.lag), all consumers of the environment.',
        w: 8,
        h: 8,
        unit: 'short',
        thresholds: badAbove(1000, 10000),
        thresholdColors: true,
        targets: [prom(`sum(${OTHER.consumerLag}{${L.env}=~"$environment"})`, 'lag', { instant: true })],
      }),
    )
    .withPanel(
      bars({
        title: 'Breaker transitions in range',
        description:
          'Circuit-breaker state changes in the time range by breaker, state left and state entered (aurea.circuit_breaker.transitions), exact.',
        w: 24,
        h: 7,
        unit: 'short',
        decimals: 0,
        targets: [
          prom(
            `sort_desc(${exactIncrease(`${M.circuitBreakerTransitions}{${ENV_SVC}, ${L.provider}=~"$provider"}`, [L.breaker, L.breakerFrom, L.breakerTo])} > 0)`,
            `{{${L.breaker}}}: {{${L.breakerFrom}}} → {{${L.breakerTo}}}`,
            { instant: true },
          ),
        ],
      }),
    );

  return finish(b);
}

function statusColor(status: string, color: string) {
  return byName(status, { id: 'color', value: { mode: 'fixed', fixedColor: color } });
}

export function llmCostBoard(): Dashboard {
  const jobUrl = `/d/${UID.jobCost}?\${__url_time_range}&\${service:queryparam}&\${provider:queryparam}&\${model:queryparam}`;
  const jobLink = link(`Per-job cost for \${__field.labels.${L.task}}`, jobUrl);
  const b = dashboardBuilder({
    uid: UID.llmCost,
    title: 'Aurea / LLM cost and tokens',
    description:
      'What LLM calls cost and how fast they are, in real time: calls, cost and tokens for the time range, cost per minute by model and provider, cost and token shares by provider and model, token rates by type and by model, budgets (remaining, used, burn rate) and call latency by model. Deployments and firing alerts as annotations. Source: Prometheus. For one job\u2019s cost, follow the link to the per-job board (ClickHouse).',
    tags: ['cost', 'llm', 'prometheus'],
    refresh: '30s',
    from: 'now-1h',
  })
    .variables(variables(M.cost))
    .annotations(boardAnnotations())
    .links([
      boardLink('Per-job cost', UID.jobCost, 'Top jobs by cost and one job\u2019s breakdown (ClickHouse)'),
      boardLink('Cost attribution', UID.attribution, 'Cost by tenant, user, repository and service (ClickHouse)'),
      boardLink('Operations', UID.operations, 'Real-time operations'),
    ]);
  b.withRow(new RowBuilder('Totals'))
    .withPanel(
      stat({
        title: 'LLM calls in range',
        description:
          'LLM calls in the dashboard time range (gen_ai.client.operation.duration count: every call, priced or not, failed or not), exact.',
        w: 4,
        h: 5,
        unit: 'short',
        decimals: 0,
        targets: [prom(exactIncrease(`${M.operationDuration}_count{${ENV_SVC_LLM}}`), 'calls', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'Cost in range',
        description:
          'LLM cost in USD over the dashboard time range (aurea.llm.cost, computed from the price table at emit time).',
        w: 4,
        h: 5,
        unit: 'currencyUSD',
        decimals: 2,
        targets: [prom(exactIncrease(`${M.cost}{${ENV_SVC_LLM_TASK}}`), 'USD', { instant: true })],
        links: [link('Per-job cost analytics', jobUrl)],
      }),
    )
    .withPanel(
      stat({
        title: 'Cost per call',
        description:
          'Mean cost per task in the time range, over the tasks whose model has a price (aurea.llm.cost over aurea.tasks less aurea.cost.unpriced, exact totals): the seed\u2019s cost per request.',
        w: 4,
        h: 5,
        unit: 'currencyUSD',
        decimals: 4,
        targets: [
          prom(
            `${exactIncrease(`${M.cost}{${ENV_SVC_LLM_TASK}}`)} / (${exactIncrease(`${M.tasks}{${ENV_SVC_LLM_TASK}}`)} - (${exactIncrease(`${M.unpriced}{${ENV_SVC_LLM}}`)} or vector(0)))`,
            'USD/call',
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Cost per minute',
        description: 'Current spend rate in USD per minute. Yellow above 1 USD/min, red above 5 USD/min.',
        w: 4,
        h: 5,
        unit: 'currencyUSD',
        decimals: 4,
        thresholds: badAbove(1, 5),
        thresholdColors: true,
        targets: [prom(`sum(rate(${M.cost}{${ENV_SVC_LLM_TASK}}[${RI}])) * 60`, 'USD/min', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'Tokens in range',
        description: 'Tokens of all types over the dashboard time range (aurea.llm.tokens).',
        w: 4,
        h: 5,
        unit: 'short',
        decimals: 0,
        targets: [prom(exactIncrease(`${M.tokens}{${ENV_SVC_LLM}}`), 'tokens', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'LLM call p95 latency',
        description:
          '95th percentile of gen_ai.client.operation.duration over all models. Yellow above 10 s, red above 30 s.',
        w: 4,
        h: 5,
        unit: 's',
        thresholds: badAbove(10, 30),
        thresholdColors: true,
        targets: [
          prom(quantile(0.95, `${M.operationDuration}_bucket`, ENV_SVC_LLM), 'p95', {
            instant: true,
          }),
        ],
      }),
    );

  b.withRow(new RowBuilder('Cost'))
    .withPanel(
      series({
        title: 'Cost per minute by model',
        description: 'USD per minute by provider and model, stacked.',
        w: 12,
        h: 9,
        unit: 'currencyUSD',
        decimals: 4,
        stack: true,
        legendCalcs: ['mean', 'max', 'sum'],
        targets: [
          prom(
            `sum by (${L.provider}, ${L.model}) (rate(${M.cost}{${ENV_SVC_LLM_TASK}}[${RI}])) * 60`,
            `{{${L.provider}}} / {{${L.model}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Cost per minute by provider',
        description: 'USD per minute by provider, stacked.',
        w: 12,
        h: 9,
        unit: 'currencyUSD',
        decimals: 4,
        stack: true,
        targets: [
          prom(`sum by (${L.provider}) (rate(${M.cost}{${ENV_SVC_LLM_TASK}}[${RI}])) * 60`, `{{${L.provider}}}`),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Cost by model in range',
        description: 'USD per provider/model over the dashboard time range.',
        w: 12,
        h: 8,
        unit: 'currencyUSD',
        decimals: 2,
        targets: [
          prom(
            `sort_desc(${exactIncrease(`${M.cost}{${ENV_SVC_LLM_TASK}}`, [L.provider, L.model])})`,
            `{{${L.provider}}} / {{${L.model}}}`,
            {
              instant: true,
            },
          ),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Cost by task in range',
        description:
          'USD per task name over the dashboard time range (top 10). Click through to per-job cost analytics.',
        w: 12,
        h: 8,
        unit: 'currencyUSD',
        decimals: 2,
        fieldLinks: [jobLink],
        targets: [
          prom(`topk(10, ${exactIncrease(`${M.cost}{${ENV_SVC_LLM_TASK}}`, [L.task])})`, `{{${L.task}}}`, {
            instant: true,
          }),
        ],
      }),
    );

  b.withRow(new RowBuilder('Shares in range'))
    .withPanel(
      pie({
        title: 'Cost by provider',
        description: 'Share of the LLM cost in the time range per provider (exact totals).',
        w: 8,
        h: 8,
        unit: 'currencyUSD',
        decimals: 2,
        targets: [
          prom(exactIncrease(`${M.cost}{${ENV_SVC_LLM_TASK}}`, [L.provider]), `{{${L.provider}}}`, { instant: true }),
        ],
      }),
    )
    .withPanel(
      pie({
        title: 'Cost by model',
        description: 'Share of the LLM cost in the time range per provider/model (exact totals).',
        w: 8,
        h: 8,
        unit: 'currencyUSD',
        decimals: 2,
        targets: [
          prom(
            exactIncrease(`${M.cost}{${ENV_SVC_LLM_TASK}}`, [L.provider, L.model]),
            `{{${L.provider}}} / {{${L.model}}}`,
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      pie({
        title: 'Tokens by model',
        description: 'Share of the tokens (all types) in the time range per provider/model (exact totals).',
        w: 8,
        h: 8,
        unit: 'short',
        decimals: 0,
        targets: [
          prom(
            exactIncrease(`${M.tokens}{${ENV_SVC_LLM}}`, [L.provider, L.model]),
            `{{${L.provider}}} / {{${L.model}}}`,
            { instant: true },
          ),
        ],
      }),
    );

  b.withRow(new RowBuilder('Tokens'))
    .withPanel(
      series({
        title: 'Token rate by type',
        description: 'Tokens per second by token type (input, output, cache_read, cache_write, reasoning).',
        w: 12,
        h: 8,
        unit: 'suffix: tokens/s',
        stack: true,
        targets: [prom(`sum by (${L.tokenType}) (rate(${M.tokens}{${ENV_SVC_LLM}}[${RI}]))`, `{{${L.tokenType}}}`)],
      }),
    )
    .withPanel(
      series({
        title: 'Token rate by model',
        description: 'Tokens per second (all types) by provider/model.',
        w: 12,
        h: 8,
        unit: 'suffix: tokens/s',
        stack: true,
        targets: [
          prom(
            `sum by (${L.provider}, ${L.model}) (rate(${M.tokens}{${ENV_SVC_LLM}}[${RI}]))`,
            `{{${L.provider}}} / {{${L.model}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Tokens by type in range',
        description: 'Token totals by type over the dashboard time range.',
        ...TOKEN_BARS,
        targets: [
          prom(`sort_desc(${exactIncrease(`${M.tokens}{${ENV_SVC_LLM}}`, [L.tokenType])})`, `{{${L.tokenType}}}`, {
            instant: true,
          }),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Mean tokens per call',
        description: 'Mean tokens per LLM call by type (gen_ai.client.token.usage sum / count).',
        ...TOKEN_BARS,
        targets: [
          prom(
            `${exactIncrease(`${M.tokenUsage}_sum{${ENV_SVC_LLM}}`, [L.genAiTokenType])} / ${exactIncrease(`${M.tokenUsage}_count{${ENV_SVC_LLM}}`, [L.genAiTokenType])}`,
            `{{${L.genAiTokenType}}}`,
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Unpriced LLM calls',
        description:
          'Calls whose model is not in the price table (aurea.cost.unpriced): their cost is unknown and not in the cost panels. Add the model to the price table.',
        w: 12,
        h: 6,
        unit: 'ops',
        thresholds: thresholds([COLORS.green, null], [COLORS.red, 0.001]),
        showThresholds: true,
        targets: [
          prom(
            `sum by (${L.provider}, ${L.model}) (rate(${M.unpriced}{${ENV_SVC_LLM}}[${RI}]))`,
            `{{${L.provider}}} / {{${L.model}}}`,
          ),
        ],
      }),
    );

  b.withRow(new RowBuilder('Budgets and latency'))
    .withPanel(
      bars({
        title: 'Budget remaining',
        description:
          'USD left in each budget for its current period (aurea.budget.remaining). Red below 10 USD, yellow below 50 USD.',
        w: 8,
        h: 8,
        unit: 'currencyUSD',
        decimals: 2,
        min: 0,
        thresholds: badBelow(10, 50),
        thresholdColors: true,
        targets: [
          prom(
            `min by (${L.budget}, ${L.budgetPeriod}) (${M.budgetRemaining}{${ENV_SVC}})`,
            `{{${L.budget}}} ({{${L.budgetPeriod}}})`,
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Budget used',
        description: 'Spend over limit per budget. Dashed lines: 80 % and 100 %.',
        ...RATIO_THIRD,
        thresholds: badAbove(0.8, 1),
        showThresholds: true,
        targets: [
          prom(
            `max by (${L.budget}) (${M.budgetSpend}{${ENV_SVC}}) / max by (${L.budget}) (${M.budgetLimit}{${ENV_SVC}})`,
            `{{${L.budget}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Budget burn rate',
        description:
          'How fast each budget is being spent, in USD per hour (slope of aurea.budget.spend over 10 minutes).',
        w: 8,
        h: 8,
        unit: 'currencyUSD',
        decimals: 2,
        targets: [
          prom(`max by (${L.budget}) (deriv(${M.budgetSpend}{${ENV_SVC}}[10m])) * 3600`, `{{${L.budget}}} USD/h`),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'LLM call p95 latency by model',
        description:
          '95th percentile of gen_ai.client.operation.duration by request model. Dashed lines: 10 s and 30 s.',
        w: 12,
        h: 8,
        unit: 's',
        thresholds: badAbove(10, 30),
        showThresholds: true,
        targets: [prom(quantile(0.95, `${M.operationDuration}_bucket`, ENV_SVC_LLM, [L.model]), `{{${L.model}}}`)],
      }),
    )
    .withPanel(
      series({
        title: 'LLM calls by model',
        description: 'LLM calls per second by provider/model and error.type (empty when ok).',
        w: 12,
        h: 8,
        unit: 'ops',
        targets: [
          prom(
            `sum by (${L.provider}, ${L.model}, ${L.errorType}) (rate(${M.operationDuration}_count{${ENV_SVC_LLM}}[${RI}]))`,
            `{{${L.provider}}} / {{${L.model}}} {{${L.errorType}}}`,
          ),
        ],
      }),
    );

  return finish(b);
}

// ---------------------------------------------------------------------------------------------
// SLOs

/** The two SLOs of prometheus/rules (docs/alerts.md, "SLOs"): indicator series and objective. */
const SLOS = [
  {
    key: 'success',
    title: 'Task success',
    bad: 'aurea:slo_task_errors',
    objective: 'aurea:threshold:slo_task_success_objective',
    what: 'share of tasks ending in error or timeout',
    good: 'Share of tasks that did not end in error or timeout',
    /** Indicator colours: red below, yellow below (the default objective). */
    colors: [0.98, 0.99],
  },
  {
    key: 'latency',
    title: 'Task latency',
    bad: 'aurea:slo_task_slow',
    objective: 'aurea:threshold:slo_task_latency_objective',
    what: 'share of tasks slower than 10.24 s',
    good: 'Share of tasks that finished within 10.24 s',
    colors: [0.9, 0.95],
  },
] as const;
const SLO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
/** Burn rate: the window's bad share over the error budget (1 − objective). */
const burn = (slo: (typeof SLOS)[number], w: string) =>
  `${slo.bad}:ratio_rate${w}{${L.service}=~"$service"} / scalar(1 - ${slo.objective})`;

export function sloBoard(): Dashboard {
  const b = dashboardBuilder({
    uid: UID.slo,
    title: 'Aurea / SLOs',
    description:
      'The task success and task latency SLOs of each service (objectives 99 % and 95 % within 10.24 s, over a 30-day error budget): the indicators, the burn rate over each window the multi-window multi-burn-rate alerts read (page at 14.4 over 1h and 6 over 6h, ticket at 3 over 1d and 1 over 3d), and the budget spent in the last three days. From the recording rules aurea:slo_task_errors:* and aurea:slo_task_slow:* (docs/alerts.md, "SLOs"). Source: Prometheus.',
    tags: ['slo', 'prometheus'],
    refresh: '1m',
    from: 'now-6h',
  })
    .variables([
      promVariable('environment', 'Environment', `label_values(${M.tasks}, ${L.env})`, {
        description: 'deployment.environment.name of the emitting services',
      }),
      promVariable('service', 'Service', `label_values(${M.tasks}{${L.env}=~"$environment"}, ${L.service})`, {
        description: 'service.name (the Prometheus job label): each service has its own SLOs',
      }),
    ])
    .annotations(boardAnnotations())
    .links([
      boardLink('Operations', UID.operations, 'Real-time operations'),
      boardLink('Agents and breakers', UID.agents, 'Latency per agent, repository and user; circuit breakers'),
    ]);
  const burnSteps = thresholds([COLORS.green, null], [COLORS.yellow, 1], [COLORS.orange, 6], [COLORS.red, 14.4]);
  for (const slo of SLOS) {
    b.withRow(new RowBuilder(`${slo.title} (objective: ${slo.objective})`))
      .withPanel(
        stat({
          title: `${slo.title}: indicator (1h)`,
          description: `${slo.good} over the last hour, per service. Yellow below the default objective (${slo.colors[1] * 100} %), red below ${slo.colors[0] * 100} %.`,
          w: 6,
          h: 8,
          unit: 'percentunit',
          decimals: 2,
          min: 0,
          max: 1,
          thresholds: badBelow(slo.colors[0], slo.colors[1]),
          thresholdColors: true,
          targets: [
            prom(`1 - ${slo.bad}:ratio_rate1h{${L.service}=~"$service"}`, `{{${L.service}}}`, { instant: true }),
          ],
        }),
      )
      .withPanel(
        bars({
          title: `${slo.title}: burn rate by window`,
          description: `How many times faster than the 30-day budget allows the ${slo.what} burns, per window, now. 1 spends the budget in exactly 30 days; the alerts page at 14.4 (1h and 5m) or 6 (6h and 30m) and ticket at 3 (1d and 2h) or 1 (3d and 6h).`,
          w: 12,
          h: 8,
          unit: 'x',
          decimals: 2,
          min: 0,
          thresholds: burnSteps,
          thresholdColors: true,
          targets: SLO_WINDOWS.map((w) => prom(burn(slo, w), `{{${L.service}}} ${w}`, { instant: true })),
        }),
      )
      .withPanel(
        stat({
          title: `${slo.title}: budget spent, last 3 days`,
          description:
            'Share of the 30-day error budget spent in the last three days (3-day burn rate × 3/30). Yellow from 10 % (the slow-burn ticket), red from 30 %.',
          w: 6,
          h: 8,
          unit: 'percentunit',
          decimals: 1,
          min: 0,
          thresholds: badAbove(0.1, 0.3),
          thresholdColors: true,
          targets: [prom(`(${burn(slo, '3d')}) * 3 / 30`, `{{${L.service}}}`, { instant: true })],
        }),
      )
      .withPanel(
        series({
          title: `${slo.title}: burn rate over time`,
          description: `Burn rate of the ${slo.what} over 5m, 1h and 6h. Dashed lines: 6 and 14.4, where the page fires (with its short window).`,
          w: 24,
          h: 8,
          unit: 'x',
          min: 0,
          thresholds: thresholds([COLORS.green, null], [COLORS.orange, 6], [COLORS.red, 14.4]),
          showThresholds: true,
          targets: (['5m', '1h', '6h'] as const).map((w) => prom(burn(slo, w), `{{${L.service}}} ${w}`)),
        }),
      );
  }
  return finish(b);
}
