// The two ClickHouse boards: per-job cost analytics and cost attribution. They read the
// task_events table (clickhouse/migrations/0001_task_events.sql), one row per task event.
//
// Conventions in the SQL below:
// - FINAL: task_events is a ReplacingMergeTree keyed by event_id; FINAL collapses a redelivered
//   event that has not been merged yet, so costs are exact (the same rule as the analytics
//   API's clickhouse/src/queries.ts, which measured FINAL as cheap at 1M events and the
//   do_not_merge_across_partitions_select_final setting as slower). Per-job reads are a
//   primary-key range.
//   The rollups (0002_rollups.sql: job_costs, daily_costs) are day-grained and lack the
//   service/provider/model filters these boards offer, so the boards read task_events.
// - Filters use the plugin's $__conditionalAll(cond, $var): the whole condition becomes 1=1
//   when "All" is selected, so no giant IN list is sent. ${var:singlequote} quotes and escapes.
// - '' means "none" for tenant/user/repository; it is shown as "(none)".
// - cost_usd is NULL when the model had no price: sums skip it, and the unpriced count is shown.
import {
  Layout,
  badAbove,
  boardLink,
  chSeries,
  chTable,
  chVariable,
  dashboard,
  dedent,
  type Dashboard,
  type Override,
  type QueryVariable,
} from '../model.js';
import { UID } from './uids.js';

const COST = 'toFloat64(sum(ifNull(cost_usd, 0)))';
const table = (sql: string) => chTable(dedent(sql));
const series = (sql: string) => chSeries(dedent(sql));
const none = (col: string) => `if(${col} = '', '(none)', ${col})`;

const F = {
  service: '$__conditionalAll(service IN (${service:singlequote}), $service)',
  provider: '$__conditionalAll(provider IN (${provider:singlequote}), $provider)',
  model: '$__conditionalAll(request_model IN (${model:singlequote}), $model)',
  tenant: '$__conditionalAll(tenant IN (${tenant:singlequote}), $tenant)',
};
const ALL_FILTERS = `${F.service}\n  AND ${F.provider}\n  AND ${F.model}\n  AND ${F.tenant}`;
const JOB = 'job_id = ${job:singlequote}';

function commonVariables(): QueryVariable[] {
  return [
    chVariable(
      'service',
      'Service',
      'SELECT DISTINCT service FROM task_events WHERE $__timeFilter(ended_at) ORDER BY service',
      {
        description: 'service.name of the producer',
      },
    ),
    chVariable(
      'provider',
      'Provider',
      `SELECT DISTINCT provider FROM task_events WHERE $__timeFilter(ended_at) AND ${F.service} ORDER BY provider`,
      {
        description: 'gen_ai.provider.name',
      },
    ),
    chVariable(
      'model',
      'Model',
      `SELECT DISTINCT request_model FROM task_events WHERE $__timeFilter(ended_at) AND ${F.service} AND ${F.provider} ORDER BY request_model`,
      { description: 'gen_ai.request.model' },
    ),
    chVariable(
      'tenant',
      'Tenant',
      `SELECT DISTINCT tenant, ${none('tenant')} FROM task_events WHERE $__timeFilter(ended_at) AND ${F.service} ORDER BY tenant`,
      {
        description: 'Tenant / team; (none) for events without one',
      },
    ),
  ];
}

const jobVariable = (multi: boolean) =>
  chVariable(
    'job',
    'Job',
    `
    SELECT job_id, concat(job_id, ' (', toString(round(${COST}, 4)), ' USD)')
    FROM task_events FINAL
    WHERE $__timeFilter(ended_at)
      AND ${ALL_FILTERS.replaceAll('\n  ', '\n      ')}
    GROUP BY job_id
    ORDER BY ${COST} DESC, job_id
    LIMIT 500`,
    { multi, description: 'Jobs that ran in the time range, most expensive first (cost in USD shown)' },
  );

const jobLinkUrl = `/d/${UID.jobCost}?var-job=\${__value.raw}&\${__url_time_range}`;

function unitOverride(field: string, unit: string, decimals?: number): Override {
  const properties: Override['properties'] = [{ id: 'unit', value: unit }];
  if (decimals !== undefined) properties.push({ id: 'decimals', value: decimals });
  return { matcher: { id: 'byName', options: field }, properties };
}

function jobLinkOverride(field = 'job_id'): Override {
  return {
    matcher: { id: 'byName', options: field },
    properties: [{ id: 'links', value: [{ title: 'Open this job', url: jobLinkUrl }] }],
  };
}

const COST_CELL: Override = {
  matcher: { id: 'byName', options: 'cost' },
  properties: [
    { id: 'unit', value: 'currencyUSD' },
    { id: 'decimals', value: 4 },
    { id: 'custom.cellOptions', value: { type: 'gradient-gauge' } },
  ],
};

const TOKENS_CELL = unitOverride('tokens', 'suffix: tokens', 0);

export function jobCostBoard(): Dashboard {
  const l = new Layout();
  l.row('Jobs in range').add({
    type: 'table',
    title: 'Top jobs by cost',
    description:
      'The 20 most expensive jobs that finished tasks in the time range (filters apply). Click a job id to inspect it.',
    w: 24,
    h: 9,
    targets: [
      table(`
          SELECT
            job_id,
            ${none('any(tenant)')} AS Tenant,
            arrayStringConcat(groupUniqArray(service), ', ') AS services,
            count() AS tasks,
            countIf(status != 'ok') AS failed,
            sum(total_tokens) AS tokens,
            ${COST} AS cost,
            countIf(cost_usd IS NULL) AS unpriced,
            min(started_at) AS started,
            dateDiff('millisecond', min(started_at), max(ended_at)) / 1000 AS duration_s
          FROM task_events FINAL
          WHERE $__timeFilter(ended_at)
            AND ${ALL_FILTERS.replaceAll('\n  ', '\n            ')}
          GROUP BY job_id
          ORDER BY cost DESC, job_id
          LIMIT 20`),
    ],
    overrides: [
      jobLinkOverride(),
      COST_CELL,
      TOKENS_CELL,
      unitOverride('duration_s', 's', 1),
      unitOverride('started', 'dateTimeAsLocal'),
    ],
  });

  l.row('Selected job: $job')
    .add({
      type: 'stat',
      title: 'Job summary',
      description:
        'The selected job as a whole (all its tasks, whatever the time range): cost, tasks, tokens, wall-clock span, p95 task latency, failed and unpriced tasks.',
      w: 24,
      h: 5,
      targets: [
        table(`
          SELECT
            ${COST} AS cost,
            count() AS tasks,
            sum(total_tokens) AS tokens,
            dateDiff('millisecond', min(started_at), max(ended_at)) / 1000 AS span_s,
            quantile(0.95)(latency_ms) / 1000 AS p95_latency_s,
            countIf(status != 'ok') AS failed_tasks,
            countIf(cost_usd IS NULL) AS unpriced_tasks
          FROM task_events FINAL
          WHERE ${JOB}`),
      ],
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        textMode: 'value_and_name',
        graphMode: 'none',
        colorMode: 'value',
        justifyMode: 'auto',
        orientation: 'auto',
      },
      overrides: [
        unitOverride('cost', 'currencyUSD', 4),
        unitOverride('tokens', 'suffix: tokens', 0),
        unitOverride('span_s', 's', 1),
        unitOverride('p95_latency_s', 's', 2),
        {
          matcher: { id: 'byName', options: 'failed_tasks' },
          properties: [
            { id: 'thresholds', value: badAbove(1, 5) },
            { id: 'color', value: { mode: 'thresholds' } },
          ],
        },
        {
          matcher: { id: 'byName', options: 'unpriced_tasks' },
          properties: [
            { id: 'thresholds', value: badAbove(1, 1) },
            { id: 'color', value: { mode: 'thresholds' } },
          ],
        },
      ],
    })
    .add({
      type: 'table',
      title: 'Task breakdown',
      description:
        'The selected job by task name: count, failures, latency (mean and p95), tokens, cost and share of the job\u2019s cost.',
      w: 14,
      h: 9,
      targets: [
        table(`
          SELECT
            task_name,
            count() AS tasks,
            countIf(status != 'ok') AS failed,
            avg(latency_ms) / 1000 AS mean_latency_s,
            quantile(0.95)(latency_ms) / 1000 AS p95_latency_s,
            sum(total_tokens) AS tokens,
            ${COST} AS cost,
            cost / nullIf(sum(cost) OVER (), 0) AS share
          FROM task_events FINAL
          WHERE ${JOB}
          GROUP BY task_name
          ORDER BY cost DESC, task_name`),
      ],
      overrides: [
        COST_CELL,
        TOKENS_CELL,
        unitOverride('mean_latency_s', 's', 2),
        unitOverride('p95_latency_s', 's', 2),
        unitOverride('share', 'percentunit', 1),
      ],
    })
    .add({
      type: 'piechart',
      title: 'Cost by model',
      description: 'Share of the selected job\u2019s cost per provider/model.',
      w: 10,
      h: 9,
      unit: 'currencyUSD',
      decimals: 4,
      targets: [
        table(`
          SELECT concat(provider, ' / ', request_model) AS model, ${COST} AS cost
          FROM task_events FINAL
          WHERE ${JOB}
          GROUP BY model
          ORDER BY cost DESC`),
      ],
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '/^cost$/', values: true },
        pieType: 'donut',
        legend: { showLegend: true, displayMode: 'table', placement: 'right', values: ['value', 'percent'] },
        tooltip: { mode: 'single' },
      },
    })
    .add({
      type: 'table',
      title: 'Model usage',
      description: 'The selected job per provider/model: calls, tokens by type, cost, and how many calls had no price.',
      w: 24,
      h: 7,
      targets: [
        table(`
          SELECT
            provider,
            request_model AS model,
            count() AS calls,
            sum(input_tokens) AS input,
            sum(output_tokens) AS output,
            sum(cache_read_tokens) AS cache_read,
            sum(cache_write_tokens) AS cache_write,
            sum(reasoning_tokens) AS reasoning,
            sum(total_tokens) AS tokens,
            ${COST} AS cost,
            countIf(cost_usd IS NULL) AS unpriced
          FROM task_events FINAL
          WHERE ${JOB}
          GROUP BY provider, model
          ORDER BY cost DESC, provider, model`),
      ],
      overrides: [COST_CELL, TOKENS_CELL],
    })
    .add({
      type: 'timeseries',
      title: 'Job cost over time by task',
      description: 'Cost of the selected job\u2019s tasks per time bucket (by end time), stacked by task name.',
      w: 12,
      h: 8,
      unit: 'currencyUSD',
      decimals: 4,
      stack: true,
      interval: '1m',
      displayName: '${__field.labels.task_name}',
      legendCalcs: ['sum'],
      options: {
        legend: { showLegend: true, displayMode: 'table', placement: 'bottom', calcs: ['sum'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
      targets: [
        series(`
          SELECT $__timeInterval(ended_at) AS time, task_name, ${COST} AS cost
          FROM task_events FINAL
          WHERE ${JOB} AND $__timeFilter(ended_at)
          GROUP BY time, task_name
          ORDER BY time`),
      ],
    })
    .add({
      type: 'histogram',
      title: 'Task latency distribution',
      description: 'Distribution of the selected job\u2019s task latencies (seconds).',
      w: 12,
      h: 8,
      unit: 's',
      targets: [
        table(`
          SELECT latency_ms / 1000 AS latency_s
          FROM task_events FINAL
          WHERE ${JOB}
          ORDER BY started_at
          LIMIT 10000`),
      ],
    })
    .add({
      type: 'table',
      title: 'Task timeline',
      description:
        'Every task of the selected job in start order (first 1000): when, what, which model, outcome, latency, tokens and cost.',
      w: 24,
      h: 10,
      targets: [
        table(`
          SELECT
            started_at,
            ended_at,
            task_name,
            task_id,
            parent_task_id AS parent,
            concat(provider, ' / ', request_model) AS model,
            status,
            error_type,
            latency_ms / 1000 AS latency_s,
            total_tokens AS tokens,
            toFloat64(cost_usd) AS cost,
            pricing_status
          FROM task_events FINAL
          WHERE ${JOB}
          ORDER BY started_at, event_id
          LIMIT 1000`),
      ],
      overrides: [
        unitOverride('latency_s', 's', 2),
        unitOverride('tokens', 'suffix: tokens', 0),
        unitOverride('cost', 'currencyUSD', 6),
        unitOverride('started_at', 'dateTimeAsIso'),
        unitOverride('ended_at', 'dateTimeAsIso'),
        {
          matcher: { id: 'byName', options: 'status' },
          properties: [
            {
              id: 'mappings',
              value: [
                {
                  type: 'value',
                  options: {
                    ok: { text: 'ok', color: 'green', index: 0 },
                    error: { text: 'error', color: 'red', index: 1 },
                    timeout: { text: 'timeout', color: 'orange', index: 2 },
                    cancelled: { text: 'cancelled', color: 'blue', index: 3 },
                  },
                },
              ],
            },
            { id: 'custom.cellOptions', value: { type: 'color-text' } },
          ],
        },
      ],
    });

  return dashboard({
    uid: UID.jobCost,
    title: 'Aurea / Per-job cost analytics',
    description:
      'Per-job cost from task events in ClickHouse: the most expensive jobs in the time range, and for the selected job its cost summary, task breakdown, model usage, cost over time, latency distribution and the timeline of its tasks. Costs are exact (FINAL over the deduplicated events table); unpriced calls are counted, never guessed.',
    tags: ['cost', 'jobs', 'clickhouse'],
    refresh: '1m',
    from: 'now-24h',
    variables: [...commonVariables(), jobVariable(false)],
    links: [
      boardLink('Cost attribution', UID.attribution, 'Cost by tenant, user, repository and service'),
      boardLink('LLM cost & tokens', UID.llmCost, 'Real-time cost (Prometheus)'),
    ],
    panels: l.panels,
  });
}

function costOverTime(title: string, dim: string, label: string, description: string, topN?: number) {
  // Top-N dimensions by cost in range keep the legend readable; the rest are summed as "other".
  const key = topN
    ? `if(${dim} IN (SELECT ${dim} FROM task_events FINAL WHERE $__timeFilter(ended_at) AND ${ALL_FILTERS.replaceAll('\n  ', ' ')} AND $__conditionalAll(job_id IN (\${job:singlequote}), $job) GROUP BY ${dim} ORDER BY ${COST} DESC LIMIT ${topN}), ${none(dim)}, 'other')`
    : none(dim);
  return {
    type: 'timeseries' as const,
    title,
    description,
    w: 12,
    h: 8,
    unit: 'currencyUSD',
    decimals: 4,
    stack: true,
    interval: '1m',
    displayName: `\${__field.labels.${label}}`,
    legendCalcs: ['sum'],
    targets: [
      series(`
        SELECT $__timeInterval(ended_at) AS time, ${key} AS ${label}, ${COST} AS cost
        FROM task_events FINAL
        WHERE $__timeFilter(ended_at)
          AND ${ALL_FILTERS.replaceAll('\n  ', '\n          ')}
          AND $__conditionalAll(job_id IN (\${job:singlequote}), $job)
        GROUP BY time, ${label}
        ORDER BY time`),
    ],
  };
}

function costTable(title: string, description: string, dims: [string, string][], limit: number) {
  const select = dims.map(([expr, alias]) => `${none(expr)} AS ${alias}`).join(',\n            ');
  return {
    type: 'table' as const,
    title,
    description,
    w: 12,
    h: 9,
    targets: [
      table(`
          SELECT
            ${select},
            count() AS tasks,
            uniqExact(job_id) AS jobs,
            sum(total_tokens) AS tokens,
            ${COST} AS cost,
            cost / nullIf(sum(cost) OVER (), 0) AS share
          FROM task_events FINAL
          WHERE $__timeFilter(ended_at)
            AND ${ALL_FILTERS.replaceAll('\n  ', '\n            ')}
            AND $__conditionalAll(job_id IN (\${job:singlequote}), $job)
          GROUP BY ${dims.map(([, a]) => a).join(', ')}
          ORDER BY cost DESC, ${dims.map(([, a]) => a).join(', ')}
          LIMIT ${limit}`),
    ],
    overrides: [COST_CELL, TOKENS_CELL, unitOverride('share', 'percentunit', 1)],
  };
}

export function attributionBoard(): Dashboard {
  const JOBS = '$__conditionalAll(job_id IN (${job:singlequote}), $job)';
  const l = new Layout();
  l.row('Totals').add({
    type: 'stat',
    title: 'Totals in range',
    description: 'Cost, tasks, jobs, tokens and unpriced tasks in the time range for the current filters.',
    w: 24,
    h: 5,
    targets: [
      table(`
          SELECT
            ${COST} AS cost,
            count() AS tasks,
            uniqExact(job_id) AS jobs,
            sum(total_tokens) AS tokens,
            countIf(cost_usd IS NULL) / count() AS unpriced_share
          FROM task_events FINAL
          WHERE $__timeFilter(ended_at)
            AND ${ALL_FILTERS.replaceAll('\n  ', '\n            ')}
            AND ${JOBS}`),
    ],
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      textMode: 'value_and_name',
      graphMode: 'none',
      colorMode: 'value',
      justifyMode: 'auto',
      orientation: 'auto',
    },
    overrides: [
      unitOverride('cost', 'currencyUSD', 2),
      unitOverride('tokens', 'suffix: tokens', 0),
      {
        matcher: { id: 'byName', options: 'unpriced_share' },
        properties: [
          { id: 'unit', value: 'percentunit' },
          { id: 'decimals', value: 1 },
          { id: 'thresholds', value: badAbove(0.001, 0.05) },
          { id: 'color', value: { mode: 'thresholds' } },
        ],
      },
    ],
  });
  l.row('Cost over time')
    .add(
      costOverTime(
        'Cost by tenant',
        'tenant',
        'Tenant',
        'USD per time bucket by tenant (top 10, rest as other), stacked.',
        10,
      ),
    )
    .add(costOverTime('Cost by service', 'service', 'Service', 'USD per time bucket by producing service, stacked.'))
    .add(
      costOverTime('Cost by user', 'user', 'User', 'USD per time bucket by user (top 10, rest as other), stacked.', 10),
    )
    .add(
      costOverTime(
        'Cost by repository',
        'repository',
        'Repository',
        'USD per time bucket by repository (top 10, rest as other), stacked.',
        10,
      ),
    );
  l.row('Breakdown')
    .add(
      costTable(
        'By tenant',
        'Cost per tenant in the time range, with its share of the total.',
        [['tenant', 'Tenant']],
        50,
      ),
    )
    .add(costTable('By service', 'Cost per producing service in the time range.', [['service', 'Service']], 50))
    .add(
      costTable(
        'By user',
        'The 25 users with the highest cost in the time range (with their tenant).',
        [
          ['user', 'User'],
          ['tenant', 'Tenant'],
        ],
        25,
      ),
    )
    .add(
      costTable(
        'By repository',
        'The 25 repositories with the highest cost in the time range.',
        [['repository', 'Repository']],
        25,
      ),
    )
    .add({
      type: 'table',
      title: 'Top jobs',
      description:
        'The 15 most expensive jobs in the time range for the current filters. Click a job id to open it on the per-job board.',
      w: 24,
      h: 8,
      targets: [
        table(`
          SELECT
            job_id,
            ${none('any(tenant)')} AS Tenant,
            ${none('any(user)')} AS User,
            ${none('any(repository)')} AS Repository,
            count() AS tasks,
            sum(total_tokens) AS tokens,
            ${COST} AS cost
          FROM task_events FINAL
          WHERE $__timeFilter(ended_at)
            AND ${ALL_FILTERS.replaceAll('\n  ', '\n            ')}
            AND ${JOBS}
          GROUP BY job_id
          ORDER BY cost DESC, job_id
          LIMIT 15`),
      ],
      overrides: [jobLinkOverride(), COST_CELL, TOKENS_CELL],
    });

  return dashboard({
    uid: UID.attribution,
    title: 'Aurea / Cost attribution',
    description:
      'Who spends what: LLM cost from task events in ClickHouse attributed to tenant, user, repository and service, over time and as totals for the range, with the top jobs (linked to the per-job board). Events without a tenant/user/repository are shown as (none).',
    tags: ['cost', 'attribution', 'clickhouse'],
    refresh: '5m',
    from: 'now-7d',
    variables: [...commonVariables(), jobVariable(true)],
    links: [
      boardLink('Per-job cost', UID.jobCost, 'Top jobs and one job\u2019s breakdown'),
      boardLink('LLM cost & tokens', UID.llmCost, 'Real-time cost (Prometheus)'),
    ],
    panels: l.panels,
  });
}
