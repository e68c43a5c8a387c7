// Runs a dashboard the way Grafana would: resolves its variables by running their queries
// (in order, each seeing the ones before it), picks a selection, then expands and runs every
// panel target against Prometheus's HTTP API or a ClickHouse client. Used by the integration
// test (every target must succeed and return data) and by the renderer (the pictures).
import type { AureaClickHouse } from '@aurea/clickhouse';
import {
  annotationQuery,
  isClickHouseQuery,
  variableQuery,
  type ClickHouseQuery,
  type Dashboard,
  type Panel,
  type PromQuery,
  type RowPanel,
} from './builders.js';
import {
  interpolateClickHouse,
  interpolatePrometheus,
  panelIntervalMs,
  type TimeRange,
  type Vars,
} from './interpolate.js';

export interface Backends {
  prometheusUrl?: string;
  clickhouse?: AureaClickHouse;
  /** The Prometheus datasource's timeInterval, in seconds (provisioning: 15s). */
  scrapeIntervalS: number;
}

export type Selection = Record<string, string[] | '$__all'>;

export interface PromSeries {
  labels: Record<string, string>;
  name: string;
  points: [number, number][];
}

export interface TargetResult {
  board: string;
  panelId: number;
  panel: string;
  panelType: string;
  refId: string;
  kind: 'prometheus' | 'clickhouse';
  query: string;
  /** Prometheus: one entry per series; instant queries have one point each. */
  series?: PromSeries[];
  /** ClickHouse: column names/types and rows. */
  columns?: { name: string; type: string }[];
  rows?: unknown[][];
}

interface PromResponse {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
  };
}

async function promGet(base: string, path: string, params: Record<string, string | string[]>): Promise<unknown> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  // Queries are POSTed (the datasource's httpMethod); the label-values endpoint is GET only.
  const res = path.startsWith('/api/v1/label/')
    ? await fetch(`${base}${path}?${qs.toString()}`)
    : await fetch(`${base}${path}`, {
        method: 'POST',
        body: qs,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
  const body = (await res.json()) as { status: string; error?: string; data?: unknown };
  if (body.status !== 'success')
    throw new Error(`Prometheus ${path} failed: ${body.error ?? res.status} (${JSON.stringify(params)})`);
  return body.data;
}

/** Grafana's label_values(selector, label) → /api/v1/label/<label>/values?match[]=selector. */
async function promVariableValues(base: string, query: string, range: TimeRange): Promise<string[]> {
  const m = /^label_values\((?:(.*),\s*)?(\w+)\)$/s.exec(query.trim());
  if (!m) throw new Error(`unsupported Prometheus variable query: ${query}`);
  const params: Record<string, string | string[]> = {
    start: String(range.from.getTime() / 1000),
    end: String(range.to.getTime() / 1000),
  };
  if (m[1]) params['match[]'] = [m[1]];
  const data = (await promGet(base, `/api/v1/label/${m[2]}/values`, params)) as string[];
  return data;
}

async function chRows(
  ch: AureaClickHouse,
  sql: string,
): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
  const rs = await ch.client.query({ query: sql, format: 'JSONCompact' });
  const body = await rs.json<unknown[]>();
  return { columns: body.meta ?? [], rows: body.data };
}

/** Resolve every variable of a board in order, like Grafana on load (refresh: on time range change). */
export async function resolveVariables(
  board: Dashboard,
  b: Backends,
  range: TimeRange,
  selection: Selection = {},
): Promise<Vars> {
  const vars: Vars = {};
  // Later variables start as All/empty so earlier queries that reference them still expand.
  const defs = board.templating.list ?? [];
  for (const def of defs) vars[def.name] = { def, options: [], selected: def.includeAll ? '$__all' : [] };
  for (const def of defs) {
    let options: string[];
    if (def.datasource?.type === 'prometheus') {
      if (!b.prometheusUrl) throw new Error('no Prometheus backend');
      const plan = interpolatePrometheus(variableQuery(def), vars, range, { scrapeIntervalS: b.scrapeIntervalS });
      options = await promVariableValues(b.prometheusUrl, plan.expr, range);
    } else {
      if (!b.clickhouse) throw new Error('no ClickHouse backend');
      const sql = interpolateClickHouse(variableQuery(def), vars, range, panelIntervalMs(range));
      const { rows } = await chRows(b.clickhouse, sql);
      options = rows.map((r) => String(r[0]));
    }
    const want = selection[def.name];
    let selected: string[] | '$__all';
    if (want === undefined) selected = def.includeAll ? '$__all' : options.slice(0, 1);
    else if (want === '$__all') selected = want;
    else {
      const missing = want.filter((w) => !options.includes(w));
      if (missing.length > 0)
        throw new Error(
          `variable ${def.name}: ${JSON.stringify(missing)} not among its values ${JSON.stringify(options.slice(0, 20))}`,
        );
      selected = want;
    }
    vars[def.name] = { def, options, selected };
  }
  return vars;
}

/** Every panel that shows data (rows are not; a collapsed row's panels are). */
export function dataPanels(board: Dashboard): Panel[] {
  return (board.panels ?? []).flatMap((p) => (p.type === 'row' ? (p as RowPanel).panels : [p as Panel]));
}

/** A panel's targets: Prometheus or ClickHouse queries. */
export function panelTargets(panel: Panel): (PromQuery | ClickHouseQuery)[] {
  return (panel.targets ?? []) as unknown as (PromQuery | ClickHouseQuery)[];
}

export async function runTarget(
  board: Dashboard,
  panel: Panel,
  target: PromQuery | ClickHouseQuery,
  vars: Vars,
  b: Backends,
  range: TimeRange,
): Promise<TargetResult> {
  const base = {
    board: board.uid ?? '',
    panelId: panel.id ?? 0,
    panel: panel.title ?? '',
    panelType: panel.type,
    refId: target.refId ?? '',
  };
  if (!isClickHouseQuery(target)) {
    if (!b.prometheusUrl) throw new Error('no Prometheus backend');
    const plan = interpolatePrometheus(target.expr, vars, range, {
      scrapeIntervalS: b.scrapeIntervalS,
      minInterval: panel.interval,
    });
    const format = target.legendFormat ?? '__auto';
    const legend = (labels: Record<string, string>) =>
      format === '__auto'
        ? JSON.stringify(labels)
        : format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, l: string) => labels[l] ?? '');
    if (target.instant) {
      const data = (await promGet(b.prometheusUrl, '/api/v1/query', {
        query: plan.expr,
        time: String(range.to.getTime() / 1000),
      })) as NonNullable<PromResponse['data']>;
      const series = data.result.map((s) => ({
        labels: s.metric,
        name: legend(s.metric),
        points: [[Number(s.value![0]), Number(s.value![1])]] as [number, number][],
      }));
      return { ...base, kind: 'prometheus', query: plan.expr, series };
    }
    const data = (await promGet(b.prometheusUrl, '/api/v1/query_range', {
      query: plan.expr,
      start: String(Math.floor(range.from.getTime() / 1000 / plan.stepS) * plan.stepS),
      end: String(range.to.getTime() / 1000),
      step: String(plan.stepS),
    })) as NonNullable<PromResponse['data']>;
    const series = data.result.map((s) => ({
      labels: s.metric,
      name: legend(s.metric),
      points: (s.values ?? []).map(([t, v]) => [Number(t), Number(v)] as [number, number]),
    }));
    return { ...base, kind: 'prometheus', query: plan.expr, series };
  }
  if (!b.clickhouse) throw new Error('no ClickHouse backend');
  const intervalMs = panelIntervalMs(range, { maxDataPoints: panel.maxDataPoints, minInterval: panel.interval });
  const sql = interpolateClickHouse(target.rawSql, vars, range, intervalMs);
  const { columns, rows } = await chRows(b.clickhouse, sql);
  return { ...base, kind: 'clickhouse', query: sql, columns, rows };
}

export interface AnnotationEvent {
  labels: Record<string, string>;
  /** The event's first and last step with a non-zero value (seconds); equal for a point event. */
  from: number;
  to: number;
}

export interface AnnotationResult {
  name: string;
  query: string;
  events: AnnotationEvent[];
}

/**
 * A board's Prometheus annotations, the way Grafana's Prometheus datasource turns a query into
 * events: a range query over the board's range at the annotation's step; per series, each run of
 * consecutive non-zero steps is one event (a region from its first to its last step).
 */
export async function runAnnotations(
  board: Dashboard,
  b: Backends,
  range: TimeRange,
  vars: Vars,
): Promise<AnnotationResult[]> {
  if (!b.prometheusUrl) throw new Error('no Prometheus backend');
  const out: AnnotationResult[] = [];
  for (const a of board.annotations?.list ?? []) {
    if (a.datasource?.type !== 'prometheus') throw new Error(`annotation ${a.name}: not a Prometheus annotation`);
    const { expr, stepS } = annotationQuery(a);
    const plan = interpolatePrometheus(expr, vars, range, { scrapeIntervalS: b.scrapeIntervalS });
    const data = (await promGet(b.prometheusUrl, '/api/v1/query_range', {
      query: plan.expr,
      start: String(Math.floor(range.from.getTime() / 1000 / stepS) * stepS),
      end: String(range.to.getTime() / 1000),
      step: String(stepS),
    })) as NonNullable<PromResponse['data']>;
    const events: AnnotationEvent[] = [];
    for (const s of data.result) {
      let open: AnnotationEvent | undefined;
      for (const [t, v] of s.values ?? []) {
        const on = Number(v) !== 0 && !Number.isNaN(Number(v));
        if (on && open && Number(t) - open.to <= stepS) open.to = Number(t);
        else if (on) events.push((open = { labels: s.metric, from: Number(t), to: Number(t) }));
        else open = undefined;
      }
    }
    out.push({ name: a.name, query: plan.expr, events });
  }
  return out;
}

export async function runBoard(
  board: Dashboard,
  b: Backends,
  range: TimeRange,
  selection: Selection = {},
): Promise<{ vars: Vars; results: TargetResult[] }> {
  const vars = await resolveVariables(board, b, range, selection);
  const results: TargetResult[] = [];
  for (const panel of dataPanels(board)) {
    for (const t of panelTargets(panel)) results.push(await runTarget(board, panel, t, vars, b, range));
  }
  return { vars, results };
}

/** Does a result hold data a panel can draw: a finite number in some series or row? */
export function hasData(r: TargetResult): boolean {
  if (r.series) return r.series.some((s) => s.points.some(([, v]) => Number.isFinite(v)));
  return (r.rows?.length ?? 0) > 0;
}
