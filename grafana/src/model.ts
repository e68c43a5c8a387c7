// A small typed model of the Grafana dashboard JSON that Aurea's boards use, and builders
// for it. The boards are code (grafana/src/boards/*.ts) so that queries, units and thresholds
// are reviewed as code; `npm run grafana:generate` (grafana/src/generate.ts) writes the JSON
// that Grafana provisions (grafana/dashboards/*.json), and a unit test fails when they drift.
// Only the fields Aurea uses are modelled; Grafana fills the rest with its defaults.

/** Grafana dashboard schema version the JSON is written for (Grafana 11.x/12.x read it as is). */
export const SCHEMA_VERSION = 41;

/** Stable datasource UIDs; grafana/provisioning/datasources/aurea.yaml provisions exactly these. */
export const DS = {
  prometheus: { type: 'prometheus', uid: 'aurea-prometheus' },
  clickhouse: { type: 'grafana-clickhouse-datasource', uid: 'aurea-clickhouse' },
} as const;
export type DataSourceRef = (typeof DS)[keyof typeof DS];

export interface PromTarget {
  refId: string;
  datasource: DataSourceRef;
  expr: string;
  legendFormat: string;
  /** Instant query (stat, bar gauge, table) or range query (time series). */
  instant: boolean;
  range: boolean;
  editorMode: 'code';
}

export interface ClickHouseTarget {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  rawSql: string;
  /** sqlds format: 0 time series (long → wide, string columns become labels), 1 table. */
  format: 0 | 1;
  queryType: 'timeseries' | 'table';
  pluginVersion: string;
}

export type Target = PromTarget | ClickHouseTarget;

export interface Threshold {
  color: string;
  value: number | null;
}

export interface ValueMapping {
  type: 'value';
  options: Record<string, { text: string; color: string; index: number }>;
}

export interface Override {
  matcher: { id: string; options: string };
  properties: { id: string; value: unknown }[];
}

export interface DataLink {
  title: string;
  url: string;
  targetBlank?: boolean;
}

export interface FieldConfig {
  defaults: {
    unit?: string;
    decimals?: number;
    min?: number;
    max?: number;
    displayName?: string;
    color: { mode: string };
    thresholds: { mode: 'absolute' | 'percentage'; steps: Threshold[] };
    mappings: ValueMapping[];
    links?: DataLink[];
    custom?: Record<string, unknown>;
  };
  overrides: Override[];
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: DataSourceRef;
  targets?: Target[];
  fieldConfig?: FieldConfig;
  options?: Record<string, unknown>;
  interval?: string;
  maxDataPoints?: number;
  links?: DataLink[];
  transformations?: { id: string; options: Record<string, unknown> }[];
  collapsed?: boolean;
  panels?: Panel[];
}

export interface VariableOption {
  text: string | string[];
  value: string | string[];
  selected?: boolean;
}

export interface QueryVariable {
  type: 'query';
  name: string;
  label: string;
  description?: string;
  datasource: DataSourceRef;
  /** Prometheus: { query, refId, qryType }; ClickHouse: a CH variable query with rawSql. */
  query:
    | { query: string; refId: string; qryType: number }
    | { refId: string; queryType: 'sql'; editorType: 'sql'; rawSql: string };
  definition: string;
  refresh: 1 | 2;
  multi: boolean;
  includeAll: boolean;
  allValue?: string;
  current: VariableOption;
  options: VariableOption[];
  sort: number;
  hide: 0 | 1 | 2;
  regex: string;
}

export interface DashboardLink {
  title: string;
  type: 'link' | 'dashboards';
  url?: string;
  tags?: string[];
  icon?: string;
  asDropdown?: boolean;
  includeVars: boolean;
  keepTime: boolean;
  targetBlank: boolean;
  tooltip?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  graphTooltip: number;
  refresh: string;
  time: { from: string; to: string };
  timepicker: Record<string, unknown>;
  timezone: string;
  fiscalYearStartMonth: number;
  liveNow: boolean;
  weekStart: string;
  templating: { list: QueryVariable[] };
  annotations: { list: Record<string, unknown>[] };
  links: DashboardLink[];
  panels: Panel[];
}

// ---------------------------------------------------------------------------------------------
// Builders

export const COLORS = { green: 'green', yellow: '#EAB839', orange: 'orange', red: 'red', blue: 'blue' } as const;

export function thresholds(...steps: [string, number | null][]): { mode: 'absolute'; steps: Threshold[] } {
  return { mode: 'absolute', steps: steps.map(([color, value]) => ({ color, value })) };
}

/** Thresholds for "more is worse" values: green below warn, yellow to crit, red above. */
export function badAbove(warn: number, crit: number): ReturnType<typeof thresholds> {
  return thresholds([COLORS.green, null], [COLORS.yellow, warn], [COLORS.red, crit]);
}

/** Thresholds for "less is worse" values (budget remaining): red below crit, yellow to warn. */
export function badBelow(crit: number, warn: number): ReturnType<typeof thresholds> {
  return thresholds([COLORS.red, null], [COLORS.yellow, crit], [COLORS.green, warn]);
}

export const NEUTRAL = thresholds([COLORS.green, null]);

export function prom(
  expr: string,
  legendFormat = '__auto',
  opts: { instant?: boolean } = {},
): Omit<PromTarget, 'refId'> {
  const instant = opts.instant ?? false;
  return { datasource: DS.prometheus, expr, legendFormat, instant, range: !instant, editorMode: 'code' };
}

/** Plugin version the targets were written against (the plugin migrates older ones itself). */
export const CLICKHOUSE_PLUGIN_VERSION = '4.11.0';

export function chTable(rawSql: string): Omit<ClickHouseTarget, 'refId'> {
  return {
    datasource: DS.clickhouse,
    editorType: 'sql',
    rawSql: dedent(rawSql),
    format: 1,
    queryType: 'table',
    pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
  };
}

export function chSeries(rawSql: string): Omit<ClickHouseTarget, 'refId'> {
  return {
    datasource: DS.clickhouse,
    editorType: 'sql',
    rawSql: dedent(rawSql),
    format: 0,
    queryType: 'timeseries',
    pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
  };
}

export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export interface PanelSpec {
  type:
    'timeseries' | 'stat' | 'gauge' | 'bargauge' | 'table' | 'piechart' | 'state-timeline' | 'histogram' | 'barchart';
  title: string;
  description: string;
  w: number;
  h: number;
  targets: Omit<Target, 'refId'>[];
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: ReturnType<typeof thresholds>;
  /** Colour by thresholds (stat/gauge) instead of the palette. */
  thresholdColors?: boolean;
  mappings?: ValueMapping[];
  displayName?: string;
  stack?: boolean;
  /** Draw the threshold steps as dashed lines on time series. */
  showThresholds?: boolean;
  legendCalcs?: string[];
  options?: Record<string, unknown>;
  overrides?: Override[];
  fieldLinks?: DataLink[];
  links?: DataLink[];
  interval?: string;
  transformations?: { id: string; options: Record<string, unknown> }[];
}

/** Lay panels out left to right in rows of 24 grid units, assigning unique ids. */
export class Layout {
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowH = 0;
  readonly panels: Panel[] = [];

  row(title: string): this {
    this.newLine();
    this.panels.push({
      id: this.nextId++,
      type: 'row',
      title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y: this.y },
      panels: [],
    });
    this.y += 1;
    return this;
  }

  add(spec: PanelSpec): this {
    if (this.x + spec.w > 24) this.newLine();
    const datasource = spec.targets[0]!.datasource;
    const refIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const targets = spec.targets.map((t, i) => ({ ...t, refId: refIds[i]! }) as Target);
    const defaults: FieldConfig['defaults'] = {
      color: {
        mode: spec.thresholdColors ? 'thresholds' : spec.type === 'bargauge' ? 'continuous-GrYlRd' : 'palette-classic',
      },
      thresholds: spec.thresholds ?? NEUTRAL,
      mappings: spec.mappings ?? [],
    };
    if (spec.unit !== undefined) defaults.unit = spec.unit;
    if (spec.decimals !== undefined) defaults.decimals = spec.decimals;
    if (spec.min !== undefined) defaults.min = spec.min;
    if (spec.max !== undefined) defaults.max = spec.max;
    if (spec.displayName !== undefined) defaults.displayName = spec.displayName;
    if (spec.fieldLinks) defaults.links = spec.fieldLinks;
    if (spec.type === 'timeseries') {
      defaults.custom = {
        drawStyle: 'line',
        lineWidth: 1,
        fillOpacity: spec.stack ? 40 : 10,
        showPoints: 'never',
        spanNulls: false,
        stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' },
        thresholdsStyle: { mode: spec.showThresholds ? 'dashed' : 'off' },
      };
    }
    const panel: Panel = {
      id: this.nextId++,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      gridPos: { h: spec.h, w: spec.w, x: this.x, y: this.y },
      datasource,
      targets,
      fieldConfig: { defaults, overrides: spec.overrides ?? [] },
      options: { ...defaultOptions(spec), ...(spec.options ?? {}) },
    };
    if (spec.interval) panel.interval = spec.interval;
    if (spec.links) panel.links = spec.links;
    if (spec.transformations) panel.transformations = spec.transformations;
    this.panels.push(panel);
    this.x += spec.w;
    this.rowH = Math.max(this.rowH, spec.h);
    return this;
  }

  private newLine(): void {
    this.y += this.rowH;
    this.x = 0;
    this.rowH = 0;
  }
}

function defaultOptions(spec: PanelSpec): Record<string, unknown> {
  const legend = {
    showLegend: true,
    displayMode: 'table',
    placement: 'bottom',
    calcs: spec.legendCalcs ?? ['mean', 'max', 'lastNotNull'],
  };
  const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (spec.type) {
    case 'timeseries':
      return { legend, tooltip: { mode: 'multi', sort: 'desc' } };
    case 'stat':
      return {
        reduceOptions: reduce,
        colorMode: spec.thresholdColors ? 'background' : 'value',
        graphMode: 'area',
        justifyMode: 'auto',
        textMode: 'auto',
        orientation: 'auto',
      };
    case 'gauge':
      return { reduceOptions: reduce, showThresholdMarkers: true, showThresholdLabels: false };
    case 'bargauge':
      return { reduceOptions: reduce, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true };
    case 'piechart':
      return {
        reduceOptions: { ...reduce, values: true },
        pieType: 'donut',
        legend: { showLegend: true, displayMode: 'table', placement: 'right', values: ['value', 'percent'] },
        tooltip: { mode: 'single' },
      };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    case 'state-timeline':
      return {
        showValue: 'auto',
        mergeValues: true,
        alignValue: 'left',
        rowHeight: 0.9,
        legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
      };
    case 'histogram':
      return {
        bucketCount: 20,
        combine: false,
        legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
      };
    case 'barchart':
      return {
        orientation: 'horizontal',
        xTickLabelMaxLength: 24,
        showValue: 'auto',
        legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
      };
  }
}

export function promVariable(
  name: string,
  label: string,
  definition: string,
  opts: { multi?: boolean; description?: string } = {},
): QueryVariable {
  const multi = opts.multi ?? true;
  const v: QueryVariable = {
    type: 'query',
    name,
    label,
    datasource: DS.prometheus,
    query: { query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    definition,
    refresh: 2,
    multi,
    includeAll: multi,
    current: multi ? { text: ['All'], value: ['$__all'], selected: true } : { text: '', value: '' },
    options: [],
    sort: 1,
    hide: 0,
    regex: '',
  };
  // A custom "all" value keeps the selector short and matches series without the label too.
  if (multi) v.allValue = '.*';
  if (opts.description) v.description = opts.description;
  return v;
}

export function chVariable(
  name: string,
  label: string,
  rawSql: string,
  opts: { multi?: boolean; description?: string } = {},
): QueryVariable {
  const multi = opts.multi ?? true;
  const sql = dedent(rawSql);
  const v: QueryVariable = {
    type: 'query',
    name,
    label,
    datasource: DS.clickhouse,
    query: { refId: 'ClickHouseVariableQuery', queryType: 'sql', editorType: 'sql', rawSql: sql },
    definition: sql,
    refresh: 2,
    multi,
    includeAll: multi,
    current: multi ? { text: ['All'], value: ['$__all'], selected: true } : { text: '', value: '' },
    options: [],
    sort: 0,
    hide: 0,
    regex: '',
  };
  if (opts.description) v.description = opts.description;
  return v;
}

export function dashboard(d: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  refresh: string;
  from: string;
  variables: QueryVariable[];
  links: DashboardLink[];
  panels: Panel[];
}): Dashboard {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['aurea', ...d.tags],
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: d.refresh,
    time: { from: d.from, to: 'now' },
    timepicker: { refresh_intervals: ['5s', '10s', '30s', '1m', '5m', '15m'] },
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    templating: { list: d.variables },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: d.links,
    panels: d.panels,
  };
}

export function boardLink(title: string, uid: string, tooltip: string): DashboardLink {
  return {
    title,
    type: 'link',
    url: `/d/${uid}`,
    icon: 'dashboard',
    includeVars: true,
    keepTime: true,
    targetBlank: false,
    tooltip,
  };
}
