// What every Aurea board shares, on top of @grafana/grafana-foundation-sdk's typed builders:
// datasource references, the ClickHouse plugin's query type (the SDK has none for this plugin:
// docs/dashboards.md), Prometheus queries, variables, thresholds, overrides, links, and the
// final pass that numbers panels and queries.
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type AnnotationQuery,
  type Dashboard,
  type DynamicConfigValue,
  type MatcherConfig,
  type Panel,
  type RowPanel,
  type ValueMap,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PromQueryBuilder, QueryEditorMode } from '@grafana/grafana-foundation-sdk/prometheus';
import type { NamedQuery } from '@aurea/clickhouse/queries';

export type { AnnotationQuery, Dashboard, Panel, RowPanel, VariableModel };

/** Stable datasource UIDs; grafana/provisioning/datasources/aurea.yaml provisions exactly these. */
export const DS = {
  prometheus: { type: 'prometheus', uid: 'aurea-prometheus' },
  clickhouse: { type: 'grafana-clickhouse-datasource', uid: 'aurea-clickhouse' },
} as const;

export const COLORS = { green: 'green', yellow: '#EAB839', orange: 'orange', red: 'red', blue: 'blue' } as const;

// ---------------------------------------------------------------------------------------------
// Queries

/** A Prometheus target: a range query (time series) or an instant query (stat, bar gauge). */
export function prom(expr: string, legendFormat = '__auto', opts: { instant?: boolean } = {}): PromQueryBuilder {
  const q = new PromQueryBuilder()
    .datasource(DS.prometheus)
    .editorMode(QueryEditorMode.Code)
    .expr(expr)
    .legendFormat(legendFormat);
  return opts.instant ? q.instant() : q.range();
}

/**
 * The exact total of a counter over a window (docs/metrics.md, "Spend: the exact query"), summed by
 * `by`: the anchored increase (no extrapolation, resets added) plus, for a series born inside the
 * window, its first value. `series` is a selector (`name{labels}`); `w` the window (`$__range` on a
 * board). prometheus/tests/spend.test.yml pins the form's values; rates stay `rate()`.
 */
export function exactIncrease(series: string, by: readonly string[] = [], w = '$__range'): string {
  const agg = by.length ? `sum by (${by.join(', ')})` : 'sum';
  const inc = `increase(${series}[${w}] anchored)`;
  return `${agg} (${inc} + (first_over_time(${series}[${w}]) unless ${series} offset ${w}) or ${inc})`;
}

/** Plugin version the targets are written for (the plugin migrates older targets itself). */
export const CLICKHOUSE_PLUGIN_VERSION = '4.11.0';

/** A grafana-clickhouse-datasource SQL target (its CHQuery in SQL editor mode). */
export interface ClickHouseQuery {
  refId?: string;
  hide?: boolean;
  datasource: typeof DS.clickhouse;
  editorType: 'sql';
  rawSql: string;
  /** sqlds format: 0 time series (long → wide, string columns become labels), 1 table. */
  format: 0 | 1;
  queryType: 'timeseries' | 'table';
  pluginVersion: string;
  _implementsDataqueryVariant(): void;
}

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseQuery;

  /** The SQL of a named query whose inputs a board renders (board-inputs.ts): it has no parameters. */
  constructor(q: NamedQuery, kind: 'table' | 'timeseries') {
    if (Object.keys(q.params).length > 0)
      throw new Error(`${q.name}: a board query cannot carry parameters (${Object.keys(q.params).join(', ')})`);
    this.internal = {
      datasource: DS.clickhouse,
      editorType: 'sql',
      rawSql: q.sql,
      format: kind === 'table' ? 1 : 0,
      queryType: kind,
      pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }
}

export const chTable = (q: NamedQuery) => new ClickHouseQueryBuilder(q, 'table');
export const chSeries = (q: NamedQuery) => new ClickHouseQueryBuilder(q, 'timeseries');

export function isClickHouseQuery(t: unknown): t is ClickHouseQuery {
  return typeof t === 'object' && t !== null && 'rawSql' in t;
}

export interface PromQuery {
  refId?: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Variables

interface VariableOptions {
  multi?: boolean;
  description?: string;
  /** What "All" stands for in a query that is not wrapped in $__conditionalAll (a Prometheus one). */
  allValue?: string;
}

function variable(name: string, label: string, o: VariableOptions): QueryVariableBuilder {
  const multi = o.multi ?? true;
  const v = new QueryVariableBuilder(name)
    .label(label)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(multi)
    .includeAll(multi)
    .allowCustomValue(false)
    .current(multi ? { text: ['All'], value: ['$__all'], selected: true } : { text: '', value: '' })
    .options([]);
  return o.description ? v.description(o.description) : v;
}

/** A Prometheus label_values() variable; "All" is `.*`, which keeps selectors short. */
export function promVariable(name: string, label: string, definition: string, o: VariableOptions = {}) {
  const v = variable(name, label, o)
    .datasource(DS.prometheus)
    .query({ query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 })
    .definition(definition)
    .sort(VariableSort.AlphabeticalAsc);
  return (o.multi ?? true) ? v.allValue('.*') : v;
}

/** A ClickHouse variable: first column the value, second (if any) the text shown. */
export function chVariable(name: string, label: string, q: NamedQuery, o: VariableOptions = {}) {
  const sql = new ClickHouseQueryBuilder(q, 'table').build().rawSql;
  const v = variable(name, label, o)
    .datasource(DS.clickhouse)
    .query({ refId: 'ClickHouseVariableQuery', queryType: 'sql', editorType: 'sql', rawSql: sql })
    .definition(sql)
    .sort(VariableSort.Disabled);
  return o.allValue !== undefined ? v.allValue(o.allValue) : v;
}

/** The query text a variable runs (Prometheus or ClickHouse). */
export function variableQuery(v: VariableModel): string {
  const q = v.query as { query?: string; rawSql?: string } | string | undefined;
  if (typeof q === 'string') return q;
  const text = q?.rawSql ?? q?.query;
  if (text === undefined) throw new Error(`variable ${v.name} has no query`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Field config

export type Steps = [string, number | null][];

export function thresholds(...steps: Steps): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps.map(([color, value]) => ({ color, value })));
}

/** "More is worse": green below warn, yellow to crit, red above. */
export const badAbove = (warn: number, crit: number) =>
  thresholds([COLORS.green, null], [COLORS.yellow, warn], [COLORS.red, crit]);

/** "Less is worse" (budget remaining): red below crit, yellow to warn, green above. */
export const badBelow = (crit: number, warn: number) =>
  thresholds([COLORS.red, null], [COLORS.yellow, crit], [COLORS.green, warn]);

export interface Override {
  matcher: MatcherConfig;
  properties: DynamicConfigValue[];
}

export function byName(field: string, ...properties: DynamicConfigValue[]): Override {
  return { matcher: { id: 'byName', options: field }, properties };
}

export function unitOverride(field: string, unit: string, decimals?: number): Override {
  return byName(
    field,
    { id: 'unit', value: unit },
    ...(decimals === undefined ? [] : [{ id: 'decimals', value: decimals }]),
  );
}

/** Colour a field by thresholds (a count that should be zero, a ratio with limits). */
export function thresholdOverride(field: string, steps: ThresholdsConfigBuilder): Override {
  return byName(field, { id: 'thresholds', value: steps.build() }, { id: 'color', value: { mode: 'thresholds' } });
}

/** Value → text and colour (status names, circuit-breaker states). */
export function valueColors(entries: [value: string, text: string, color: string][]): ValueMap {
  return {
    type: MappingType.ValueToText,
    options: Object.fromEntries(entries.map(([v, text, color], index) => [v, { text, color, index }])),
  };
}

// ---------------------------------------------------------------------------------------------
// Panels

/** What every typed PanelBuilder of the SDK offers (timeseries, stat, table, bargauge, …). */
interface AnyPanel<T> extends Builder<Panel> {
  title(t: string): T;
  description(d: string): T;
  span(w: number): T;
  height(h: number): T;
  datasource(d: { type: string; uid: string }): T;
  withTarget(q: Builder<Dataquery>): T;
  unit(u: string): T;
  decimals(n: number): T;
  min(n: number): T;
  max(n: number): T;
  thresholds(t: ThresholdsConfigBuilder): T;
  colorScheme(c: FieldColorBuilder): T;
  mappings(m: ValueMap[]): T;
  overrides(o: Override[]): T;
}

export interface PanelSpec {
  title: string;
  description: string;
  w: number;
  h: number;
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: ThresholdsConfigBuilder;
  /** Colour by thresholds instead of the palette. */
  thresholdColors?: boolean;
  mappings?: ValueMap[];
  overrides?: Override[];
}

/** Title, description, size, datasource, targets and field defaults of any typed panel builder. */
export function panel<T extends AnyPanel<T>>(b: T, s: PanelSpec, targets: Builder<Dataquery>[]): T {
  const first = targets[0]?.build() as { datasource?: { type: string; uid: string } } | undefined;
  if (!first?.datasource) throw new Error(`${s.title}: a panel needs a target with a datasource`);
  let p = b.title(s.title).description(s.description).span(s.w).height(s.h).datasource(first.datasource);
  for (const t of targets) p = p.withTarget(t);
  if (s.unit !== undefined) p = p.unit(s.unit);
  if (s.decimals !== undefined) p = p.decimals(s.decimals);
  if (s.min !== undefined) p = p.min(s.min);
  if (s.max !== undefined) p = p.max(s.max);
  if (s.thresholds) p = p.thresholds(s.thresholds);
  if (s.thresholdColors) p = p.colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds));
  if (s.mappings) p = p.mappings(s.mappings);
  return p.overrides(s.overrides ?? []);
}

// ---------------------------------------------------------------------------------------------
// Options

export const legendTable = (calcs = ['mean', 'max', 'lastNotNull']) =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(calcs);

export const legendList = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .calcs([]);

export const tooltipAll = () =>
  new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);

/** Reduce each field to its last non-null value (`values`: one value per row instead). */
export const lastValue = (o: { values?: boolean; fields?: string } = {}) =>
  new common.ReduceDataOptionsBuilder()
    .calcs(['lastNotNull'])
    .values(o.values ?? false)
    .fields(o.fields ?? '');

export const stacked = () => new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('A');

export const dashedThresholds = () =>
  new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed);

// ---------------------------------------------------------------------------------------------
// Annotations

export interface PromAnnotationSpec {
  name: string;
  /** An event per series over the steps where this is non-zero (Grafana's Prometheus annotations). */
  expr: string;
  /** Label templates ({{label}}) for the event's title and text; labels listed as its tags. */
  title: string;
  text: string;
  tags: readonly string[];
  color: string;
  /** Resolution of the annotation query (Grafana's default: 60s). */
  step?: string;
}

/** A Prometheus annotation query, in the form Grafana 12 stores it (the query as `target`). */
export function promAnnotation(a: PromAnnotationSpec): AnnotationQueryBuilder {
  const step = a.step ?? '60s';
  return new AnnotationQueryBuilder()
    .name(a.name)
    .datasource(DS.prometheus)
    .enable(true)
    .hide(false)
    .iconColor(a.color)
    .target(
      new PromQueryBuilder()
        .datasource(DS.prometheus)
        .editorMode(QueryEditorMode.Code)
        .expr(a.expr)
        .interval(step)
        .range()
        .refId('Anno'),
    )
    .titleFormat(a.title)
    .textFormat(a.text)
    .tagKeys(a.tags.join(','))
    .step(step)
    .useValueForTime(false);
}

/** The query of a Prometheus annotation (its target's expr) and its step in seconds. */
export function annotationQuery(a: AnnotationQuery): { expr: string; stepS: number } {
  const expr = (a.target as { expr?: string } | undefined)?.expr;
  if (expr === undefined) throw new Error(`annotation ${a.name} has no Prometheus query`);
  const m = /^(\d+)s$/.exec(a.step ?? '60s');
  if (!m) throw new Error(`annotation ${a.name}: step ${a.step} is not in seconds`);
  return { expr, stepS: Number(m[1]) };
}

// ---------------------------------------------------------------------------------------------
// Dashboards

export function boardLink(title: string, uid: string, tooltip: string): DashboardLinkBuilder {
  return new DashboardLinkBuilder(title)
    .type(DashboardLinkType.Link)
    .url(`/d/${uid}`)
    .icon('dashboard')
    .includeVars(true)
    .keepTime(true)
    .targetBlank(false)
    .tooltip(tooltip);
}

export function dashboardBuilder(d: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  refresh: string;
  from: string;
}): DashboardBuilder {
  return new DashboardBuilder(d.title)
    .uid(d.uid)
    .description(d.description)
    .tags(['aurea', ...d.tags])
    .refresh(d.refresh)
    .time({ from: d.from, to: 'now' })
    .timezone('browser')
    .tooltip(1)
    .editable()
    .version(1);
}

/**
 * The dashboard as provisioned: panels numbered 1… in layout order and queries A, B, … per panel
 * (stable ids: panel links and the tests rely on them); dashboard links without the SDK's
 * `placement` default, so Grafana shows them in the top bar as before.
 */
export function finish(b: DashboardBuilder): Dashboard {
  const d = b.build();
  let id = 0;
  for (const p of d.panels ?? []) {
    p.id = ++id;
    for (const [i, t] of ((p as Panel).targets ?? []).entries()) (t as { refId?: string }).refId ??= 'ABCDEFGHIJ'[i];
  }
  for (const l of d.links ?? []) delete l.placement;
  return d;
}

/** A panel builder of any visualisation (every typed PanelBuilder of the SDK fits). */
export type PanelBuilder = Builder<Panel>;
export type Query = Builder<Dataquery>;
