// The two Prometheus boards: real-time operations, and LLM cost & tokens.
// Metric and label names are those of docs/metrics.md after Prometheus 3's OTLP translation
// (UnderscoreEscapingWithSuffixes): dots become underscores, units and _total are suffixed,
// service.name becomes `job`, deployment.environment.name is promoted to a label.
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardLinkBuilder,
  FieldColorBuilder,
  FieldColorModeId,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import type { DataqueryBuilder as PromQueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  badAbove,
  badBelow,
  boardLink,
  byName,
  COLORS,
  dashboardBuilder,
  dashedThresholds,
  exactIncrease,
  finish,
  lastValue,
  legendList,
  legendTable,
  panel,
  prom,
  promVariable,
  stacked,
  thresholds,
  tooltipAll,
  valueColors,
  type Dashboard,
  type PanelSpec,
} from '../builders.js';
import { UID } from './uids.js';

/** Label names, in one place so a rename in the SDK is a one-line change here. */
export const L = {
  env: 'deployment_environment_name',
  service: 'job',
  provider: 'gen_ai_provider_name',
  model: 'gen_ai_request_model',
  responseModel: 'gen_ai_response_model',
  operation: 'gen_ai_operation_name',
  task: 'aurea_task_name',
  status: 'aurea_task_status',
  tokenType: 'aurea_token_type',
  genAiTokenType: 'gen_ai_token_type',
  errorType: 'error_type',
  stage: 'aurea_stage',
  breaker: 'aurea_circuit_breaker_name',
  budget: 'aurea_budget_name',
  budgetScope: 'aurea_budget_scope',
  budgetPeriod: 'aurea_budget_period',
  route: 'http_route',
  httpStatus: 'http_response_status_code',
  method: 'http_request_method',
} as const;

/** Selectors every query carries: environment and service, optionally provider and model. */
const ENV_SVC = `${L.env}=~"$environment", ${L.service}=~"$service"`;
const ENV_SVC_LLM = `${ENV_SVC}, ${L.provider}=~"$provider", ${L.model}=~"$model"`;
const RI = '$__rate_interval';

// Provider and model come from aurea_tasks_total, which every task has (unpriced models have no
// cost series but must still be selectable).
function variables(anchorMetric: string) {
  return [
    promVariable('environment', 'Environment', `label_values(${anchorMetric}, ${L.env})`, {
      description: 'deployment.environment.name of the emitting services',
    }),
    promVariable('service', 'Service', `label_values(${anchorMetric}{${L.env}=~"$environment"}, ${L.service})`, {
      description: 'service.name (the Prometheus job label)',
    }),
    promVariable('provider', 'Provider', `label_values(aurea_tasks_total{${ENV_SVC}}, ${L.provider})`, {
      description: 'gen_ai.provider.name',
    }),
    promVariable(
      'model',
      'Model',
      `label_values(aurea_tasks_total{${ENV_SVC}, ${L.provider}=~"$provider"}, ${L.model})`,
      {
        description: 'gen_ai.request.model',
      },
    ),
  ];
}

const BREAKER_STATES = valueColors([
  ['0', 'closed', COLORS.green],
  ['1', 'half-open', COLORS.yellow],
  ['2', 'open', COLORS.red],
]);

interface PromPanel extends PanelSpec {
  targets: PromQueryBuilder[];
  /** Panel links (shown in the panel header) and links on every value. */
  links?: DashboardLinkBuilder[];
  fieldLinks?: DashboardLinkBuilder[];
}

/** One value per series, now: the last value of an instant query. */
function stat(s: PromPanel) {
  return panel(new StatPanel(), s, s.targets)
    .links(s.links ?? [])
    .reduceOptions(lastValue())
    .colorMode(s.thresholdColors ? common.BigValueColorMode.Background : common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.Area)
    .justifyMode(common.BigValueJustifyMode.Auto)
    .textMode(common.BigValueTextMode.Auto)
    .orientation(common.VizOrientation.Auto);
}

/** Lines over time; stacked areas for parts of a whole; thresholds drawn as dashed lines. */
function series(s: PromPanel & { stack?: boolean; showThresholds?: boolean; legendCalcs?: string[] }) {
  const p = panel(new TimeseriesPanel(), s, s.targets)
    .drawStyle(common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(s.stack ? 40 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(legendTable(s.legendCalcs))
    .tooltip(tooltipAll());
  const q = s.stack ? p.stacking(stacked()) : p;
  return s.showThresholds ? q.thresholdsStyle(dashedThresholds()) : q;
}

/** Horizontal bars, one per series (instant queries). */
function bars(s: PromPanel) {
  const p = panel(new BarGaugePanel(), s, s.targets)
    .reduceOptions(lastValue())
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .orientation(common.VizOrientation.Horizontal)
    .showUnfilled(true)
    .dataLinks(s.fieldLinks ?? []);
  return s.thresholdColors ? p : p.colorScheme(new FieldColorBuilder().mode(FieldColorModeId.ContinuousGrYlRd));
}

/** A state per series over time (value mappings name the states). */
function timeline(s: PromPanel) {
  return panel(new StateTimelinePanel(), s, s.targets)
    .showValue(common.VisibilityMode.Auto)
    .mergeValues(true)
    .alignValue(common.TimelineValueAlignment.Left)
    .rowHeight(0.9)
    .legend(legendList());
}

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
      'Real-time health of services instrumented with @aurea/sdk: HTTP traffic and latency, tasks by status, active tasks, error ratio, admission queues and shedding, circuit breakers, consumer lag. Source: Prometheus (OTLP via the Collector).',
    tags: ['operations', 'prometheus'],
    refresh: '10s',
    from: 'now-15m',
  })
    .variables(variables('aurea_tasks_total'))
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
          prom(`sum(rate(http_server_request_duration_seconds_count{${ENV_SVC}}[${RI}]))`, 'requests/s', {
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
        targets: [
          prom(quantile(0.95, 'http_server_request_duration_seconds_bucket', ENV_SVC), 'p95', { instant: true }),
        ],
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
            `(sum(rate(http_server_request_duration_seconds_count{${ENV_SVC}, ${L.httpStatus}=~"5.."}[${RI}])) or vector(0)) / sum(rate(http_server_request_duration_seconds_count{${ENV_SVC}}[${RI}]))`,
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
            `sum by (${L.route}, ${L.httpStatus}) (rate(http_server_request_duration_seconds_count{${ENV_SVC}}[${RI}]))`,
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
          prom(quantile(0.5, 'http_server_request_duration_seconds_bucket', ENV_SVC), 'p50'),
          prom(quantile(0.95, 'http_server_request_duration_seconds_bucket', ENV_SVC), 'p95'),
          prom(quantile(0.99, 'http_server_request_duration_seconds_bucket', ENV_SVC), 'p99'),
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
            `sum by (${L.route}, ${L.errorType}) (rate(http_server_request_duration_seconds_count{${ENV_SVC}, ${L.httpStatus}=~"5.."}[${RI}]))`,
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
        w: 4,
        h: 5,
        unit: 'short',
        thresholds: badAbove(50, 200),
        thresholdColors: true,
        targets: [prom(`sum(aurea_tasks_active{${ENV_SVC}})`, 'active', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'Task error ratio',
        description: 'Share of finished tasks whose status is not ok. Yellow above 2 %, red above 10 %.',
        w: 4,
        h: 5,
        unit: 'percentunit',
        decimals: 2,
        thresholds: badAbove(0.02, 0.1),
        thresholdColors: true,
        targets: [
          prom(
            `(sum(rate(aurea_tasks_total{${ENV_SVC_LLM}, ${L.status}!="ok"}[${RI}])) or vector(0)) / sum(rate(aurea_tasks_total{${ENV_SVC_LLM}}[${RI}]))`,
            'error ratio',
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Tasks in range',
        description: 'Tasks finished in the dashboard time range, by status.',
        w: 4,
        h: 5,
        unit: 'short',
        decimals: 0,
        targets: [
          prom(exactIncrease(`aurea_tasks_total{${ENV_SVC_LLM}}`, [L.status]), `{{${L.status}}}`, {
            instant: true,
          }),
        ],
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
        targets: [prom(`sum by (${L.status}) (rate(aurea_tasks_total{${ENV_SVC_LLM}}[${RI}]))`, `{{${L.status}}}`)],
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
        title: 'Active tasks',
        description: 'Running tasks per service over time.',
        w: 12,
        h: 8,
        unit: 'short',
        targets: [prom(`sum by (${L.service}) (aurea_tasks_active{${ENV_SVC}})`, `{{${L.service}}}`)],
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
            `(sum by (${L.task}) (rate(aurea_tasks_total{${ENV_SVC_LLM}, ${L.status}!="ok"}[${RI}])) or (0 * sum by (${L.task}) (rate(aurea_tasks_total{${ENV_SVC_LLM}}[${RI}])))) / sum by (${L.task}) (rate(aurea_tasks_total{${ENV_SVC_LLM}}[${RI}]))`,
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
        targets: [prom(`sum by (${L.errorType}) (rate(aurea_errors_total{${ENV_SVC}}[${RI}]))`, `{{${L.errorType}}}`)],
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
        targets: [prom(quantile(0.95, 'aurea_task_duration_seconds_bucket', ENV_SVC, [L.task]), `{{${L.task}}}`)],
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
          prom(`sum by (${L.stage}) (aurea_queue_depth{${ENV_SVC}})`, `{{${L.stage}}} depth`),
          prom(`sum by (${L.stage}) (aurea_queue_capacity{${ENV_SVC}})`, `{{${L.stage}}} capacity`),
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
            `sum by (${L.stage}) (rate(aurea_queue_shed_total{${ENV_SVC}}[${RI}])) / (sum by (${L.stage}) (rate(aurea_queue_admitted_total{${ENV_SVC}}[${RI}])) + sum by (${L.stage}) (rate(aurea_queue_shed_total{${ENV_SVC}}[${RI}])))`,
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
            `sum by (${L.stage}) (aurea_queue_depth{${ENV_SVC}}) / sum by (${L.stage}) (aurea_queue_capacity{${ENV_SVC}})`,
            `{{${L.stage}}}`,
            {
              instant: true,
            },
          ),
        ],
      }),
    )
    .withPanel(
      timeline({
        title: 'Circuit breakers',
        description: 'State of each circuit breaker over time: closed (0), half-open (1), open (2).',
        w: 16,
        h: 8,
        thresholds: thresholds([COLORS.green, null], [COLORS.yellow, 1], [COLORS.red, 2]),
        thresholdColors: true,
        mappings: [BREAKER_STATES],
        targets: [
          prom(
            `max by (${L.breaker}, ${L.provider}) (aurea_circuit_breaker_state{${ENV_SVC}, ${L.provider}=~"$provider"})`,
            `{{${L.breaker}}} ({{${L.provider}}})`,
          ),
        ],
      }),
    )
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
        targets: [prom(`sum(aurea_consumer_lag{${L.env}=~"$environment"})`, 'lag', { instant: true })],
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
      'What LLM calls cost and how fast they are, in real time: cost per minute by model and provider, token rates by type, totals for the time range, budgets (remaining, used, burn rate) and call latency by model. Source: Prometheus. For one job\u2019s cost, follow the link to the per-job board (ClickHouse).',
    tags: ['cost', 'llm', 'prometheus'],
    refresh: '30s',
    from: 'now-1h',
  })
    .variables(variables('aurea_llm_cost_USD_total'))
    .links([
      boardLink('Per-job cost', UID.jobCost, 'Top jobs by cost and one job\u2019s breakdown (ClickHouse)'),
      boardLink('Cost attribution', UID.attribution, 'Cost by tenant, user, repository and service (ClickHouse)'),
      boardLink('Operations', UID.operations, 'Real-time operations'),
    ]);
  b.withRow(new RowBuilder('Totals'))
    .withPanel(
      stat({
        title: 'Cost in range',
        description:
          'LLM cost in USD over the dashboard time range (aurea.llm.cost, computed from the price table at emit time).',
        w: 6,
        h: 5,
        unit: 'currencyUSD',
        decimals: 2,
        targets: [prom(exactIncrease(`aurea_llm_cost_USD_total{${ENV_SVC_LLM}}`), 'USD', { instant: true })],
        links: [link('Per-job cost analytics', jobUrl)],
      }),
    )
    .withPanel(
      stat({
        title: 'Cost per minute',
        description: 'Current spend rate in USD per minute. Yellow above 1 USD/min, red above 5 USD/min.',
        w: 6,
        h: 5,
        unit: 'currencyUSD',
        decimals: 4,
        thresholds: badAbove(1, 5),
        thresholdColors: true,
        targets: [
          prom(`sum(rate(aurea_llm_cost_USD_total{${ENV_SVC_LLM}}[${RI}])) * 60`, 'USD/min', { instant: true }),
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Tokens in range',
        description: 'Tokens of all types over the dashboard time range (aurea.llm.tokens).',
        w: 6,
        h: 5,
        unit: 'short',
        decimals: 0,
        targets: [prom(exactIncrease(`aurea_llm_tokens_total{${ENV_SVC_LLM}}`), 'tokens', { instant: true })],
      }),
    )
    .withPanel(
      stat({
        title: 'LLM call p95 latency',
        description:
          '95th percentile of gen_ai.client.operation.duration over all models. Yellow above 10 s, red above 30 s.',
        w: 6,
        h: 5,
        unit: 's',
        thresholds: badAbove(10, 30),
        thresholdColors: true,
        targets: [
          prom(quantile(0.95, 'gen_ai_client_operation_duration_seconds_bucket', ENV_SVC_LLM), 'p95', {
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
            `sum by (${L.provider}, ${L.model}) (rate(aurea_llm_cost_USD_total{${ENV_SVC_LLM}}[${RI}])) * 60`,
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
          prom(
            `sum by (${L.provider}) (rate(aurea_llm_cost_USD_total{${ENV_SVC_LLM}}[${RI}])) * 60`,
            `{{${L.provider}}}`,
          ),
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
            `sort_desc(${exactIncrease(`aurea_llm_cost_USD_total{${ENV_SVC_LLM}}`, [L.provider, L.model])})`,
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
          prom(`topk(10, ${exactIncrease(`aurea_llm_cost_USD_total{${ENV_SVC_LLM}}`, [L.task])})`, `{{${L.task}}}`, {
            instant: true,
          }),
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
        targets: [
          prom(`sum by (${L.tokenType}) (rate(aurea_llm_tokens_total{${ENV_SVC_LLM}}[${RI}]))`, `{{${L.tokenType}}}`),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Tokens by type in range',
        description: 'Token totals by type over the dashboard time range.',
        ...TOKEN_BARS,
        targets: [
          prom(
            `sort_desc(${exactIncrease(`aurea_llm_tokens_total{${ENV_SVC_LLM}}`, [L.tokenType])})`,
            `{{${L.tokenType}}}`,
            { instant: true },
          ),
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
            `${exactIncrease(`gen_ai_client_token_usage_sum{${ENV_SVC_LLM}}`, [L.genAiTokenType])} / ${exactIncrease(`gen_ai_client_token_usage_count{${ENV_SVC_LLM}}`, [L.genAiTokenType])}`,
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
        w: 24,
        h: 6,
        unit: 'ops',
        thresholds: thresholds([COLORS.green, null], [COLORS.red, 0.001]),
        showThresholds: true,
        targets: [
          prom(
            `sum by (${L.provider}, ${L.model}) (rate(aurea_cost_unpriced_total{${ENV_SVC_LLM}}[${RI}]))`,
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
            `min by (${L.budget}, ${L.budgetPeriod}) (aurea_budget_remaining_USD{${ENV_SVC}})`,
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
            `max by (${L.budget}) (aurea_budget_spend_USD{${ENV_SVC}}) / max by (${L.budget}) (aurea_budget_limit_USD{${ENV_SVC}})`,
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
          prom(`max by (${L.budget}) (deriv(aurea_budget_spend_USD{${ENV_SVC}}[10m])) * 3600`, `{{${L.budget}}} USD/h`),
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
        targets: [
          prom(
            quantile(0.95, 'gen_ai_client_operation_duration_seconds_bucket', ENV_SVC_LLM, [L.model]),
            `{{${L.model}}}`,
          ),
        ],
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
            `sum by (${L.provider}, ${L.model}, ${L.errorType}) (rate(gen_ai_client_operation_duration_seconds_count{${ENV_SVC_LLM}}[${RI}]))`,
            `{{${L.provider}}} / {{${L.model}}} {{${L.errorType}}}`,
          ),
        ],
      }),
    );

  return finish(b);
}
