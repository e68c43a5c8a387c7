// `aurea jobs`, `aurea job <id>`, `aurea costs --by <dims>`: tables over the analytics API;
// `aurea reprice`: repricing a time range through it.
import type { AnalyticsClient, AttributionRow, JobListItem, JobSummary, RepriceReport } from './api.js';
import { int, ms, renderTable, shortTime, usd } from './table.js';

export interface Filters {
  from?: string;
  to?: string;
  tenant?: string;
  user?: string;
  repository?: string;
  model?: string;
  provider?: string;
  service?: string;
}

export async function jobsCommand(
  api: AnalyticsClient,
  o: Filters & { limit: number; sort: string; order: string; status?: string; json: boolean },
): Promise<string> {
  const page = await api.jobs({
    ...o,
    json: undefined,
    limit: o.limit,
    sort: o.sort,
    order: o.order,
    status: o.status,
  });
  if (o.json) return JSON.stringify(page, null, 2);
  if (page.jobs.length === 0) return 'no jobs in range';
  return renderTable<JobListItem>(page.jobs, [
    { header: 'JOB', value: (j) => j.job_id },
    { header: 'STATUS', value: (j) => j.status },
    { header: 'TASKS', value: (j) => int(j.tasks), align: 'right' },
    { header: 'FAILED', value: (j) => int(j.failed_tasks), align: 'right' },
    { header: 'TOKENS', value: (j) => int(j.tokens.total), align: 'right' },
    { header: 'COST', value: (j) => usd(j.cost_usd), align: 'right' },
    { header: 'AVG LATENCY', value: (j) => ms(j.latency_avg_ms), align: 'right' },
    { header: 'LAST SEEN (UTC)', value: (j) => shortTime(j.last_seen) },
  ]);
}

export async function jobCommand(api: AnalyticsClient, id: string, json: boolean): Promise<string> {
  const j: JobSummary = await api.job(id);
  if (json) return JSON.stringify(j, null, 2);
  const statuses = Object.entries(j.tasks_by_status)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const head = [
    `job         ${j.job_id}`,
    `cost        ${usd(j.cost_usd)}${j.unpriced_tasks ? `  (${j.unpriced_tasks} unpriced tasks not included)` : ''}`,
    `tasks       ${j.tasks} (${statuses || 'none'})`,
    `tokens      ${int(j.tokens.total)} (input ${int(j.tokens.input)}, output ${int(j.tokens.output)}, cache read ${int(j.tokens.cache_read)}, cache write ${int(j.tokens.cache_write)}, reasoning ${int(j.tokens.reasoning)})`,
    `time        ${shortTime(j.first_seen)} → ${shortTime(j.last_seen)} UTC (${ms(j.duration_ms)})`,
    `tenant      ${j.tenants.join(', ') || '-'}    repository ${j.repositories.join(', ') || '-'}    user ${j.users.join(', ') || '-'}`,
    `services    ${j.services.join(', ')}`,
  ].join('\n');
  const tasks = renderTable(j.task_breakdown, [
    { header: 'TASK', value: (t) => t.task_name },
    { header: 'CALLS', value: (t) => int(t.tasks), align: 'right' },
    { header: 'FAILED', value: (t) => int(t.failed_tasks), align: 'right' },
    { header: 'TOKENS', value: (t) => int(t.tokens.total), align: 'right' },
    { header: 'COST', value: (t) => usd(t.cost_usd), align: 'right' },
    { header: 'P50', value: (t) => ms(t.latency_ms.p50), align: 'right' },
    { header: 'MAX', value: (t) => ms(t.latency_ms.max), align: 'right' },
  ]);
  const models = renderTable(j.model_usage, [
    { header: 'PROVIDER', value: (m) => m.provider },
    { header: 'MODEL', value: (m) => m.model },
    { header: 'CALLS', value: (m) => int(m.tasks), align: 'right' },
    { header: 'INPUT', value: (m) => int(m.tokens.input), align: 'right' },
    { header: 'OUTPUT', value: (m) => int(m.tokens.output), align: 'right' },
    { header: 'CACHED', value: (m) => int(m.tokens.cache_read), align: 'right' },
    { header: 'REASONING', value: (m) => int(m.tokens.reasoning), align: 'right' },
    { header: 'COST', value: (m) => usd(m.cost_usd), align: 'right' },
  ]);
  return `${head}\n\nby task\n${tasks}\n\nby model\n${models}`;
}

export async function costsCommand(
  api: AnalyticsClient,
  o: Filters & { by: string[]; bucket: string; limit: number; json: boolean },
): Promise<string> {
  const res = await api.attribution({
    ...o,
    json: undefined,
    by: undefined,
    group_by: o.by.join(','),
    bucket: o.bucket,
    limit: o.limit,
  });
  if (o.json) return JSON.stringify(res, null, 2);
  if (res.rows.length === 0) return 'no costs in range';
  const rows = [...res.rows].sort(
    (a, b) => Number(b.cost_usd) - Number(a.cost_usd) || (a.bucket ?? '').localeCompare(b.bucket ?? ''),
  );
  const total = rows.reduce((s, r) => s + Number(r.cost_usd), 0);
  const table = renderTable<AttributionRow>(rows, [
    ...(o.bucket !== 'none' ? [{ header: 'BUCKET (UTC)', value: (r: AttributionRow) => shortTime(r.bucket) }] : []),
    ...res.group_by.map((d) => ({ header: d.toUpperCase(), value: (r: AttributionRow) => r.group[d] ?? '(none)' })),
    { header: 'JOBS', value: (r) => int(r.jobs), align: 'right' },
    { header: 'TASKS', value: (r) => int(r.tasks), align: 'right' },
    { header: 'FAILED', value: (r) => int(r.failed_tasks), align: 'right' },
    { header: 'TOKENS', value: (r) => int(r.tokens.total), align: 'right' },
    { header: 'COST', value: (r) => usd(r.cost_usd), align: 'right' },
    {
      header: 'SHARE',
      value: (r) => (total > 0 ? `${((Number(r.cost_usd) / total) * 100).toFixed(1)}%` : '-'),
      align: 'right',
    },
  ]);
  return `${table}\n\ntotal ${usd(total)} from ${shortTime(res.from)} to ${shortTime(res.to)} UTC${res.truncated ? ' (truncated: raise --limit)' : ''}`;
}

export interface RepriceOptions {
  from: string;
  to: string;
  tenant?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  /** Write the new prices after the dry run (default: dry run only). */
  apply: boolean;
  json: boolean;
  timeoutMs: number;
}

/**
 * `aurea reprice`: a dry run of POST /v1/reprice first (what would change), then — with --apply
 * and only when something changes — the run that writes. Totals are the API's decimal strings,
 * printed as they are (exact, 9 decimals).
 */
export async function repriceCommand(api: AnalyticsClient, o: RepriceOptions): Promise<string> {
  const range = { from: o.from, to: o.to, tenant: o.tenant, provider: o.provider, model: o.model };
  const dry = await api.reprice({ ...range, dry_run: true }, o.timeoutMs);
  const applied =
    o.apply && dry.events_changed > 0 ? await api.reprice({ ...range, dry_run: false }, o.timeoutMs) : null;
  if (o.json) return JSON.stringify({ dry_run: dry, applied }, null, 2);
  const scope = [
    o.tenant !== undefined ? `tenant ${o.tenant}` : '',
    o.provider !== undefined ? `provider ${o.provider}` : '',
    o.model !== undefined ? `model ${o.model}` : '',
  ].filter(Boolean);
  const lines = [`events that ended in [${o.from}, ${o.to})${scope.length ? `, ${scope.join(', ')}` : ''}`];
  const block = (title: string, r: RepriceReport) =>
    lines.push(
      '',
      title,
      `  price table      ${r.price_version}`,
      `  events scanned   ${r.events_scanned}`,
      `  events changed   ${r.events_changed}`,
      `  old total        ${r.old_total_usd} ${r.currency}`,
      `  new total        ${r.new_total_usd} ${r.currency}`,
      `  unpriced after   ${r.unpriced_after}`,
    );
  block('dry run (nothing written)', dry);
  if (applied) block('applied', applied);
  lines.push(
    '',
    dry.events_changed === 0
      ? 'nothing to change: every event already has these prices'
      : applied
        ? `wrote ${applied.events_changed} repriced events (their original cost is kept)`
        : 'run again with --apply to write these prices',
  );
  return lines.join('\n');
}
