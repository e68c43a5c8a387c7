// The two ClickHouse boards: per-job cost analytics and cost attribution. Every query is a named
// query of @aurea/clickhouse (clickhouse/src/queries.ts) — the analytics API's own builders —
// with its inputs rendered as Grafana variables and plugin macros (board-inputs.ts), and
// projected to the columns a panel shows (renamed, never recomputed). docs/dashboards.md says
// which builder each panel uses.
import * as common from '@grafana/grafana-foundation-sdk/common';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HistogramPanel } from '@grafana/grafana-foundation-sdk/histogram';
import { PanelBuilder as PiePanel, PieChartType } from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  attribution,
  dailyCostTrend,
  dimensionValues,
  jobCostOverTime,
  jobEvents,
  jobModelUsage,
  jobSummary,
  jobTaskBreakdown,
  listJobs,
  project,
  type DailyDimension,
  type GroupByDimension,
  type NamedQuery,
} from '@aurea/clickhouse/queries';
import { boardInputs, type BoardFilters } from '../board-inputs.js';
import {
  badAbove,
  boardLink,
  byName,
  chSeries,
  chTable,
  chVariable,
  COLORS,
  dashboardBuilder,
  finish,
  lastValue,
  legendList,
  legendTable,
  panel,
  stacked,
  thresholdOverride,
  tooltipAll,
  unitOverride,
  type Dashboard,
  type Override,
} from '../builders.js';
import { pieLegend, pieTooltip } from '../panels.js';
import { boardAnnotations } from './annotations.js';
import { UID } from './uids.js';

const FILTERS = {
  environment: 'multi',
  service: 'multi',
  provider: 'multi',
  model: 'multi',
  tenant: 'multi',
} as const;
const JOB = boardInputs({ job: 'single' });
/** '' stores "none recorded" for environment, tenant, user and repository. */
const none = (col: string) => `if(${col} = '', '(none)', ${col})`;
const MS = 'ms';

// ---------------------------------------------------------------------------------------------
// Variables

function commonVariables() {
  const values = (d: 'environment' | 'service' | 'provider' | 'model' | 'tenant', f: BoardFilters) =>
    dimensionValues(d, boardInputs(f));
  return [
    chVariable(
      'environment',
      'Environment',
      project(values('environment', {}), ['environment', `${none('environment')}`]),
      // All is `.*` in the Prometheus annotations (any environment, also one the events lack);
      // the ClickHouse queries drop the condition on All ($__conditionalAll).
      { description: 'deployment.environment.name of the producer; (none) for events without one', allValue: '.*' },
    ),
    chVariable('service', 'Service', values('service', { environment: 'multi' }), {
      description: 'service.name of the producer',
      allValue: '.*',
    }),
    chVariable('provider', 'Provider', values('provider', { service: 'multi' }), {
      description: 'gen_ai.provider.name',
    }),
    chVariable('model', 'Model', values('model', { service: 'multi', provider: 'multi' }), {
      description: 'gen_ai.request.model',
    }),
    chVariable('tenant', 'Tenant', project(values('tenant', { service: 'multi' }), ['tenant', `${none('tenant')}`]), {
      description: 'Tenant / team; (none) for events without one',
    }),
  ];
}

const jobVariable = (multi: boolean) =>
  chVariable(
    'job',
    'Job',
    project(jobs(boardInputs(FILTERS), 500), [
      'job_id',
      "concat(job_id, ' (', toString(round(cost_usd_sum, 4)), ' USD)')",
    ]),
    { multi, description: 'Jobs that ran in the time range, most expensive first (cost in USD shown)' },
  );

/** The API's job list (GET /v1/jobs, most expensive first) over the board's range and filters. */
const jobs = (inputs: ReturnType<typeof boardInputs>, limit: number): NamedQuery =>
  listJobs({ inputs, filters: {}, sort: 'cost', order: 'desc', limit, people: true });

// ---------------------------------------------------------------------------------------------
// Field overrides

const jobLinkUrl = `/d/${UID.jobCost}?var-job=\${__value.raw}&\${__url_time_range}`;
const jobLink = (field = 'job_id'): Override =>
  byName(field, { id: 'links', value: [{ title: 'Open this job', url: jobLinkUrl }] });
const COST_CELL = byName(
  'cost',
  { id: 'unit', value: 'currencyUSD' },
  { id: 'decimals', value: 4 },
  { id: 'custom.cellOptions', value: { type: 'gradient-gauge' } },
);
const TOKENS_CELL = unitOverride('tokens', 'suffix: tokens', 0);
const SHARE_CELL = unitOverride('share', 'percentunit', 1);
const STATUS_COLORS = {
  type: 'value' as const,
  options: {
    ok: { text: 'ok', color: COLORS.green, index: 0 },
    error: { text: 'error', color: COLORS.red, index: 1 },
    timeout: { text: 'timeout', color: COLORS.orange, index: 2 },
    cancelled: { text: 'cancelled', color: COLORS.blue, index: 3 },
  },
};
const statusCell = (field: string) =>
  byName(
    field,
    { id: 'mappings', value: [STATUS_COLORS] },
    { id: 'custom.cellOptions', value: { type: 'color-text' } },
  );

const size = (title: string, description: string, w: number, h: number) => ({ title, description, w, h });

function table(title: string, description: string, w: number, h: number, q: NamedQuery, overrides: Override[]) {
  return panel(new TablePanel(), { ...size(title, description, w, h), overrides }, [chTable(q)])
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm);
}

function summaryStat(title: string, description: string, q: NamedQuery, overrides: Override[]) {
  return panel(new StatPanel(), { ...size(title, description, 24, 5), overrides }, [chTable(q)])
    .reduceOptions(lastValue({ fields: '/.*/' }))
    .textMode(common.BigValueTextMode.ValueAndName)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value);
}

function costSeries(title: string, description: string, q: NamedQuery, label: string, maxDataPoints?: number, w = 12) {
  const p = panel(new TimeseriesPanel(), { ...size(title, description, w, 8), unit: 'currencyUSD', decimals: 4 }, [
    chSeries(q),
  ])
    .interval('1m')
    .displayName(`\${__field.labels.${label}}`)
    .fillOpacity(40)
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .stacking(stacked())
    .legend(legendTable(['sum']))
    .tooltip(tooltipAll());
  return maxDataPoints ? p.maxDataPoints(maxDataPoints) : p;
}

/** A donut of one job's model usage: one slice per provider/model, `value` the figure shown. */
function modelPie(title: string, description: string, value: string, unit: string, decimals: number) {
  return new PiePanel()
    .title(title)
    .description(description)
    .span(12)
    .height(9)
    .datasource(chTable(jobModelUsage(JOB)).build().datasource)
    .withTarget(chTable(project(jobModelUsage(JOB), ["concat(provider, ' / ', model) AS label", value])))
    .unit(unit)
    .decimals(decimals)
    .reduceOptions(lastValue({ values: true, fields: `/^${value.split(' AS ')[1]}$/` }))
    .pieType(PieChartType.Donut)
    .legend(pieLegend())
    .tooltip(pieTooltip());
}

// ---------------------------------------------------------------------------------------------
// Per-job cost analytics

export function jobCostBoard(): Dashboard {
  const b = dashboardBuilder({
    uid: UID.jobCost,
    title: 'Aurea / Per-job cost analytics',
    description:
      'Per-job cost from task events in ClickHouse, computed by the analytics API\u2019s own queries: the most expensive jobs in the time range and their cost over time, and for the selected job its summary (status, cost, tasks, tokens, exact p50/p95 latency), task breakdown, cost and tokens by model, model usage, cost over time, latency distribution and the timeline of its tasks. Costs are exact Decimal sums over the deduplicated events (FINAL); unpriced calls are counted, never guessed.',
    tags: ['cost', 'jobs', 'clickhouse'],
    refresh: '1m',
    from: 'now-24h',
  })
    .variables([...commonVariables(), jobVariable(false)])
    .annotations(boardAnnotations())
    .links([
      boardLink('Cost attribution', UID.attribution, 'Cost by tenant, user, repository and service'),
      boardLink('LLM cost & tokens', UID.llmCost, 'Real-time cost (Prometheus)'),
    ]);

  b.withRow(new RowBuilder('Jobs in range')).withPanel(
    table(
      'Top jobs by cost',
      'The 20 most expensive jobs with tasks that ended in the time range, and their totals over the range (GET /v1/jobs). The filters select jobs that involve the chosen services, providers, models or tenants. Click a job id to inspect it.',
      24,
      9,
      project(jobs(boardInputs(FILTERS), 20), [
        'job_id',
        `if(empty(tenants), '(none)', arrayStringConcat(tenants, ', ')) AS Tenants`,
        "arrayStringConcat(services, ', ') AS Services",
        'job_status AS status',
        'tasks',
        'failed_tasks AS failed',
        'total_tokens_sum AS tokens',
        'cost_usd_sum AS cost',
        'unpriced_tasks AS unpriced',
        'first_seen AS started',
        "dateDiff('millisecond', first_seen, last_seen) AS duration",
      ]),
      [
        jobLink(),
        COST_CELL,
        TOKENS_CELL,
        statusCell('status'),
        unitOverride('duration', MS),
        unitOverride('started', 'dateTimeAsLocal'),
      ],
    ),
  );
  b.withPanel(
    costSeries(
      'Cost by job over time',
      'Cost per time bucket (by end time) of the 10 most expensive jobs in the time range, the rest summed as (other), stacked; the filters apply to each task. A job\u2019s buckets add up to its cost in the range.',
      project(jobCostOverTime({ inputs: boardInputs(FILTERS), bucket: 'interval', top: 10, limit: 10_000 }), [
        'bucket AS time',
        'job',
        'cost_usd_sum AS cost',
      ]),
      'job',
      500,
      24,
    ),
  );

  b.withRow(new RowBuilder('Selected job: $job'))
    .withPanel(
      summaryStat(
        'Job summary',
        'The selected job as a whole (all its tasks, whatever the time range), as GET /v1/jobs/{job_id} reports it: status (error if any task errored or timed out, else cancelled if any was cancelled, else ok), cost, tasks, tokens, wall-clock span, exact p50/p95 task latency, failed and unpriced tasks.',
        project(jobSummary(JOB), [
          'job_status AS status',
          'cost_usd_sum AS cost',
          'tasks',
          'total_tokens_sum AS tokens',
          "dateDiff('millisecond', first_seen, last_seen) AS span",
          'latency_quantiles_ms[1] AS p50_latency',
          'latency_quantiles_ms[2] AS p95_latency',
          'failed_tasks',
          'unpriced_tasks',
        ]),
        [
          byName('status', { id: 'mappings', value: [STATUS_COLORS] }),
          unitOverride('cost', 'currencyUSD', 4),
          unitOverride('tokens', 'suffix: tokens', 0),
          unitOverride('span', MS),
          unitOverride('p50_latency', MS),
          unitOverride('p95_latency', MS),
          thresholdOverride('failed_tasks', badAbove(1, 5)),
          thresholdOverride('unpriced_tasks', badAbove(1, 1)),
        ],
      ),
    )
    .withPanel(
      table(
        'Task breakdown',
        'The selected job by task name: tasks, failures, mean and exact p95 latency, tokens, cost and share of the job\u2019s cost, unpriced tasks.',
        24,
        9,
        project(jobTaskBreakdown(JOB), [
          'task_name',
          'tasks',
          'failed_tasks AS failed',
          'latency_avg_ms AS mean_latency',
          'latency_quantiles_ms[2] AS p95_latency',
          'total_tokens_sum AS tokens',
          'cost_usd_sum AS cost',
          'cost / nullIf(sum(cost) OVER (), 0) AS share',
          'unpriced_tasks AS unpriced',
        ]),
        [COST_CELL, TOKENS_CELL, unitOverride('mean_latency', MS, 0), unitOverride('p95_latency', MS, 0), SHARE_CELL],
      ),
    )
    .withPanel(
      modelPie(
        'Cost by model',
        'Share of the selected job\u2019s cost per provider/model.',
        'cost_usd_sum AS cost',
        'currencyUSD',
        4,
      ),
    )
    .withPanel(
      modelPie(
        'Tokens by model',
        'Share of the selected job\u2019s tokens (all types) per provider/model.',
        'total_tokens_sum AS tokens',
        'short',
        0,
      ),
    )
    .withPanel(
      table(
        'Model usage',
        'The selected job per provider/model: calls, tokens by type, cost, exact p95 latency, and how many calls had no price.',
        24,
        7,
        project(jobModelUsage(JOB), [
          'provider',
          'model',
          'tasks AS calls',
          'input_tokens_sum AS input',
          'output_tokens_sum AS output',
          'cache_read_tokens_sum AS cache_read',
          'cache_write_tokens_sum AS cache_write',
          'reasoning_tokens_sum AS reasoning',
          'total_tokens_sum AS tokens',
          'cost_usd_sum AS cost',
          'latency_quantiles_ms[2] AS p95_latency',
          'unpriced_tasks AS unpriced',
        ]),
        [COST_CELL, TOKENS_CELL, unitOverride('p95_latency', MS, 0)],
      ),
    )
    .withPanel(
      costSeries(
        'Job cost over time by task',
        'Cost of the selected job\u2019s tasks per time bucket (by end time) in the time range, stacked by task name.',
        project(attribution({ inputs: JOB, bucket: 'interval', groupBy: ['task'], limit: 10_000 }), [
          'bucket AS time',
          'task',
          'cost_usd_sum AS cost',
        ]),
        'task',
        500,
      ),
    )
    .withPanel(
      panel(
        new HistogramPanel(),
        {
          ...size(
            'Task latency distribution',
            'Distribution of the selected job\u2019s task latencies (first 10,000 tasks in start order).',
            12,
            8,
          ),
          unit: MS,
        },
        [chTable(project(jobEvents(JOB, 10_000, undefined, 10_000), ['latency_ms AS latency']))],
      )
        .bucketCount(20)
        .combine(false)
        .legend(legendList()),
    )
    .withPanel(
      table(
        'Task timeline',
        'Every task of the selected job in start order (first 1000, as GET /v1/jobs/{job_id}/events pages them): when, what, which model, outcome, latency, tokens and cost (empty when unpriced).',
        24,
        10,
        project(jobEvents(JOB, 1000), [
          'started_at_s AS started_at',
          'ended_at_s AS ended_at',
          'task_name',
          'task_id',
          'parent_task_id AS parent',
          "concat(provider, ' / ', request_model) AS model",
          'status',
          'error_type',
          'latency_ms AS latency',
          'total_tokens AS tokens',
          'cost_usd_s AS cost',
          'pricing_status',
        ]),
        [
          unitOverride('latency', MS, 0),
          unitOverride('tokens', 'suffix: tokens', 0),
          unitOverride('cost', 'currencyUSD', 6),
          unitOverride('started_at', 'dateTimeAsIso'),
          unitOverride('ended_at', 'dateTimeAsIso'),
          statusCell('status'),
        ],
      ),
    );
  return finish(b);
}

// ---------------------------------------------------------------------------------------------
// Cost attribution

const ATTRIBUTION = boardInputs({ ...FILTERS, job: 'multi' });
/** Series per bucket: at most 500 buckets × 11 groups stays inside the attribution limit. */
const SERIES_POINTS = 500;

const LABELS: Record<GroupByDimension, string> = {
  environment: 'Environment',
  tenant: 'Tenant',
  service: 'Service',
  user: 'User',
  repository: 'Repository',
  model: 'Model',
  provider: 'Provider',
  task: 'Task',
};

function costOverTime(dim: GroupByDimension, what: string) {
  const q = attribution({ inputs: ATTRIBUTION, bucket: 'interval', groupBy: [dim], top: 10, limit: 10_000 });
  return costSeries(
    `Cost by ${dim}`,
    `USD per time bucket by ${what} (the 10 most expensive in the range; the rest as (other)), stacked.`,
    project(q, ['bucket AS time', `${none(`\`${dim}\``)} AS ${LABELS[dim]}`, 'cost_usd_sum AS cost']),
    LABELS[dim],
    SERIES_POINTS,
  );
}

function dailyTrend(dim: DailyDimension) {
  const q = dailyCostTrend({ inputs: boardInputs(FILTERS), groupBy: [dim], limit: 10_000 });
  return costSeries(
    `Daily cost by ${dim}`,
    `USD per UTC day by ${dim}, from the daily_costs rollup (recomputed from the deduplicated events every 30 s): whole days that overlap the time range; the job filter does not apply.`,
    project(q, ['bucket AS time', `${none(`\`${dim}\``)} AS ${LABELS[dim]}`, 'cost_usd_sum AS cost']),
    LABELS[dim],
  ).interval('1d');
}

function costTable(title: string, description: string, dims: GroupByDimension[], limit: number) {
  const q = attribution({ inputs: ATTRIBUTION, groupBy: dims, limit, share: true });
  return table(
    title,
    description,
    12,
    9,
    project(q, [
      ...dims.map((d) => `${none(`\`${d}\``)} AS ${LABELS[d]}`),
      'tasks',
      'jobs',
      'total_tokens_sum AS tokens',
      'cost_usd_sum AS cost',
      'cost_share AS share',
    ]),
    [COST_CELL, TOKENS_CELL, SHARE_CELL],
  );
}

export function attributionBoard(): Dashboard {
  const b = dashboardBuilder({
    uid: UID.attribution,
    title: 'Aurea / Cost attribution',
    description:
      'Who spends what: LLM cost from task events in ClickHouse attributed to tenant, user, repository and service, over time and as totals for the range, with daily trends by model and service and the top jobs (linked to the per-job board). Computed by the analytics API\u2019s own queries (exact Decimal sums). Events without a tenant/user/repository are shown as (none).',
    tags: ['cost', 'attribution', 'clickhouse'],
    refresh: '5m',
    from: 'now-7d',
  })
    .variables([...commonVariables(), jobVariable(true)])
    .annotations(boardAnnotations())
    .links([
      boardLink('Per-job cost', UID.jobCost, 'Top jobs and one job\u2019s breakdown'),
      boardLink('LLM cost & tokens', UID.llmCost, 'Real-time cost (Prometheus)'),
    ]);

  b.withRow(new RowBuilder('Totals')).withPanel(
    summaryStat(
      'Totals in range',
      'Cost, tasks, jobs, tokens and the share of unpriced tasks in the time range for the current filters (GET /v1/attribution?bucket=none).',
      project(attribution({ inputs: ATTRIBUTION, groupBy: [], limit: 1 }), [
        'cost_usd_sum AS cost',
        'tasks',
        'jobs',
        'total_tokens_sum AS tokens',
        'unpriced_tasks / tasks AS unpriced_share',
      ]),
      [
        unitOverride('cost', 'currencyUSD', 2),
        unitOverride('tokens', 'suffix: tokens', 0),
        byName(
          'unpriced_share',
          { id: 'unit', value: 'percentunit' },
          { id: 'decimals', value: 1 },
          { id: 'thresholds', value: badAbove(0.001, 0.05).build() },
          { id: 'color', value: { mode: 'thresholds' } },
        ),
      ],
    ),
  );
  b.withRow(new RowBuilder('Cost over time'))
    .withPanel(costOverTime('tenant', 'tenant'))
    .withPanel(costOverTime('service', 'producing service'))
    .withPanel(costOverTime('user', 'user'))
    .withPanel(costOverTime('repository', 'repository'))
    .withPanel(dailyTrend('model'))
    .withPanel(dailyTrend('service'));
  b.withRow(new RowBuilder('Breakdown'))
    .withPanel(
      costTable('By tenant', 'Cost per tenant in the time range, with its share of the total.', ['tenant'], 50),
    )
    .withPanel(costTable('By service', 'Cost per producing service in the time range.', ['service'], 50))
    .withPanel(
      costTable(
        'By user',
        'The 25 users with the highest cost in the time range (per tenant), with their share of the total.',
        ['user', 'tenant'],
        25,
      ),
    )
    .withPanel(
      costTable('By repository', 'The 25 repositories with the highest cost in the time range.', ['repository'], 25),
    )
    .withPanel(
      table(
        'Top jobs',
        'The 15 most expensive jobs in the time range for the current filters (GET /v1/jobs). Click a job id to open it on the per-job board.',
        24,
        8,
        project(jobs(ATTRIBUTION, 15), [
          'job_id',
          `if(empty(tenants), '(none)', arrayStringConcat(tenants, ', ')) AS Tenants`,
          `if(empty(users), '(none)', arrayStringConcat(users, ', ')) AS Users`,
          `if(empty(repositories), '(none)', arrayStringConcat(repositories, ', ')) AS Repositories`,
          'job_status AS status',
          'tasks',
          'total_tokens_sum AS tokens',
          'cost_usd_sum AS cost',
        ]),
        [jobLink(), COST_CELL, TOKENS_CELL, statusCell('status')],
      ),
    );
  return finish(b);
}
