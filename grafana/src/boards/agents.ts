// The agents and breakers board (seed 003's agent-performance and circuit-breakers boards, one
// board): per-agent latency live from Prometheus (the task name is the agent: aurea.task.name),
// exact p50/p95/p99 per agent, repository and user from ClickHouse (repository and user are ids,
// never metric labels: docs/metrics.md) through the analytics API's own builder (latencyPercentiles,
// GET /v1/latency), and the circuit breakers (state, transitions). Both datasources read the same
// variables: environment, service, provider, model and task from Prometheus, repository and user
// from ClickHouse; a ClickHouse query drops a filter whose variable is All ($__conditionalAll).
import * as common from '@grafana/grafana-foundation-sdk/common';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { dimensionValues, latencyPercentiles, project, type GroupByDimension } from '@aurea/clickhouse/queries';
import { boardInputs, type BoardFilters } from '../board-inputs.js';
import {
  badAbove,
  boardLink,
  chSeries,
  chTable,
  chVariable,
  dashboardBuilder,
  exactIncrease,
  finish,
  legendTable,
  panel,
  prom,
  promVariable,
  tooltipAll,
  unitOverride,
  type Dashboard,
} from '../builders.js';
import { bars, series } from '../panels.js';
import { boardAnnotations } from './annotations.js';
import { L, M } from './names.js';
import { breakerStates } from './prometheus.js';
import { UID } from './uids.js';

const ENV_SVC = `${L.env}=~"$environment", ${L.service}=~"$service"`;
const ENV_SVC_TASK = `${ENV_SVC}, ${L.task}=~"$task"`;
const RI = '$__rate_interval';
/** Every variable of the board filters the ClickHouse panels. */
const CH_FILTERS: BoardFilters = {
  environment: 'multi',
  service: 'multi',
  provider: 'multi',
  model: 'multi',
  task: 'multi',
  repository: 'multi',
  user: 'multi',
};
const MS = 'ms';
/** '' stores "none recorded" for repository and user. */
const none = (col: string) => `if(${col} = '', '(none)', ${col})`;

function variables() {
  return [
    promVariable('environment', 'Environment', `label_values(${M.tasks}, ${L.env})`, {
      description: 'deployment.environment.name of the emitting services',
    }),
    promVariable('service', 'Service', `label_values(${M.tasks}{${L.env}=~"$environment"}, ${L.service})`, {
      description: 'service.name (the Prometheus job label; the service column of task events)',
    }),
    promVariable('provider', 'Provider', `label_values(${M.tasks}{${ENV_SVC}}, ${L.provider})`, {
      description: 'gen_ai.provider.name',
    }),
    promVariable('model', 'Model', `label_values(${M.tasks}{${ENV_SVC}, ${L.provider}=~"$provider"}, ${L.model})`, {
      description: 'gen_ai.request.model',
    }),
    promVariable(
      'task',
      'Agent (task)',
      `label_values(${M.tasks}{${ENV_SVC}, ${L.provider}=~"$provider", ${L.model}=~"$model"}, ${L.task})`,
      { description: 'aurea.task.name: the agent (agent_type in seed 003)' },
    ),
    chVariable(
      'repository',
      'Repository',
      project(dimensionValues('repository', boardInputs({ ...CH_FILTERS, repository: undefined, user: undefined })), [
        'repository',
        `${none('repository')}`,
      ]),
      { description: 'Repository of the task events ((none) for events without one); from ClickHouse' },
    ),
    chVariable(
      'user',
      'User',
      project(dimensionValues('user', boardInputs({ ...CH_FILTERS, user: undefined })), ['user', `${none('user')}`]),
      { description: 'User of the task events ((none) for events without one); from ClickHouse' },
    ),
  ];
}

const LABELS: Partial<Record<GroupByDimension, string>> = { task: 'agent', repository: 'repository', user: 'user' };

/** Exact latency percentiles per agent, repository or user in the time range (GET /v1/latency). */
function latencyTable(dim: 'task' | 'repository' | 'user', title: string, what: string) {
  const q = latencyPercentiles({ inputs: boardInputs(CH_FILTERS), groupBy: [dim], limit: 50 });
  return panel(
    new TablePanel(),
    {
      title,
      description: `Exact task latency percentiles (quantilesExactInclusive over task events) per ${what} in the time range, busiest first (the 50 with most tasks); GET /v1/latency?group_by=${dim} gives the same figures.`,
      w: 8,
      h: 10,
      overrides: [
        unitOverride('p50', MS, 0),
        unitOverride('p95', MS, 0),
        unitOverride('p99', MS, 0),
        unitOverride('ttft_p95', MS, 0),
      ],
    },
    [
      chTable(
        project(q, [
          `${none(`\`${dim}\``)} AS ${LABELS[dim]}`,
          'tasks',
          'latency_quantiles_ms[1] AS p50',
          'latency_quantiles_ms[2] AS p95',
          'latency_quantiles_ms[3] AS p99',
          'ttft_quantiles_ms[2] AS ttft_p95',
        ]),
      ),
    ],
  )
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm);
}

export function agentsBoard(): Dashboard {
  const b = dashboardBuilder({
    uid: UID.agents,
    title: 'Aurea / Agents and breakers',
    description:
      'How each agent (task kind) performs: live latency percentiles, executions and errors per agent from Prometheus; exact p50/p95/p99 per agent, repository and user from the task events in ClickHouse (the analytics API\u2019s GET /v1/latency); circuit breakers: state over time and transitions. Deployments and firing alerts as annotations.',
    tags: ['agents', 'breakers', 'prometheus', 'clickhouse'],
    refresh: '30s',
    from: 'now-1h',
  })
    .variables(variables())
    .annotations(boardAnnotations())
    .links([
      boardLink('Operations', UID.operations, 'Real-time operations'),
      boardLink('SLOs', UID.slo, 'Task success and latency SLOs'),
      boardLink('Cost attribution', UID.attribution, 'Cost by tenant, user, repository and service'),
    ]);

  b.withRow(new RowBuilder('Agents (live)'))
    .withPanel(
      series({
        title: 'Agent latency p50 / p95 / p99',
        description:
          'Wall time per task name (the agent) from the recording rules aurea:aurea_task_duration_seconds:p50_5m / p95_5m / p99_5m (5-minute windows).',
        w: 12,
        h: 8,
        unit: 's',
        targets: (['p50', 'p95', 'p99'] as const).map((q) =>
          prom(
            `aurea:aurea_task_duration_seconds:${q}_5m{${L.service}=~"$service", ${L.task}=~"$task"}`,
            `{{${L.task}}} ${q}`,
          ),
        ),
      }),
    )
    .withPanel(
      bars({
        title: 'Agent p95 now',
        description:
          'p95 wall time per agent and service, now (5-minute window). Yellow above 10 s, red above 30 s (AureaTaskLatencyP95High).',
        w: 12,
        h: 8,
        unit: 's',
        thresholds: badAbove(10, 30),
        thresholdColors: true,
        targets: [
          prom(
            `aurea:aurea_task_duration_seconds:p95_5m{${L.service}=~"$service", ${L.task}=~"$task"}`,
            `{{${L.service}}} / {{${L.task}}}`,
            { instant: true },
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Agent executions by status',
        description: 'Tasks finished per second by agent and status.',
        w: 12,
        h: 8,
        unit: 'ops',
        stack: true,
        targets: [
          prom(
            `sum by (${L.task}, ${L.status}) (rate(${M.tasks}{${ENV_SVC_TASK}, ${L.provider}=~"$provider", ${L.model}=~"$model"}[${RI}]))`,
            `{{${L.task}}} {{${L.status}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      series({
        title: 'Agent errors by type',
        description: 'Failed tasks per second by agent and error.type (aurea.errors).',
        w: 12,
        h: 8,
        unit: 'ops',
        targets: [
          prom(
            `sum by (${L.task}, ${L.errorType}) (rate(${M.errors}{${ENV_SVC_TASK}}[${RI}]))`,
            `{{${L.task}}} {{${L.errorType}}}`,
          ),
        ],
      }),
    );

  b.withRow(new RowBuilder('Agents, repositories and users (exact, from task events)'))
    .withPanel(latencyTable('task', 'Latency by agent', 'agent (task name)'))
    .withPanel(latencyTable('repository', 'Latency by repository', 'repository'))
    .withPanel(latencyTable('user', 'Latency by user', 'user'))
    .withPanel(
      panel(
        new TimeseriesPanel(),
        {
          title: 'Agent p95 over time',
          description:
            'Exact p95 task latency per agent per time bucket (the panel\u2019s interval), from task events (GET /v1/latency?group_by=task&bucket=…).',
          w: 24,
          h: 8,
          unit: MS,
        },
        [
          chSeries(
            project(
              latencyPercentiles({
                inputs: boardInputs(CH_FILTERS),
                bucket: 'interval',
                groupBy: ['task'],
                limit: 10_000,
              }),
              ['bucket AS time', 'task AS agent', 'latency_quantiles_ms[2] AS p95'],
            ),
          ),
        ],
      )
        .interval('1m')
        .maxDataPoints(500)
        .displayName('${__field.labels.agent}')
        .lineWidth(1)
        .showPoints(common.VisibilityMode.Never)
        .legend(legendTable(['mean', 'max']))
        .tooltip(tooltipAll()),
    );

  b.withRow(new RowBuilder('Circuit breakers'))
    .withPanel(breakerStates('Breaker state', 24, 7))
    .withPanel(
      series({
        title: 'Breaker transitions',
        description:
          'State changes per second by breaker, state left and state entered (aurea.circuit_breaker.transitions): openings, probes, closings, resets.',
        w: 12,
        h: 8,
        unit: 'ops',
        targets: [
          prom(
            `sum by (${L.breaker}, ${L.breakerFrom}, ${L.breakerTo}) (rate(${M.circuitBreakerTransitions}{${ENV_SVC}, ${L.provider}=~"$provider"}[${RI}])) > 0`,
            `{{${L.breaker}}}: {{${L.breakerFrom}}} → {{${L.breakerTo}}}`,
          ),
        ],
      }),
    )
    .withPanel(
      bars({
        title: 'Breaker openings in range',
        description: 'Times each breaker opened (closed → open, half-open → open) in the time range, exact.',
        w: 12,
        h: 8,
        unit: 'short',
        decimals: 0,
        thresholds: badAbove(1, 10),
        thresholdColors: true,
        targets: [
          prom(
            `sort_desc(${exactIncrease(`${M.circuitBreakerTransitions}{${ENV_SVC}, ${L.provider}=~"$provider", ${L.breakerTo}="open"}`, [L.breaker, L.provider])})`,
            `{{${L.breaker}}} ({{${L.provider}}})`,
            { instant: true },
          ),
        ],
      }),
    );
  return finish(b);
}
