// What Grafana does to a panel's query before the datasource runs it, re-implemented so tests
// and the renderer can run the exact query text against Prometheus and ClickHouse:
//  1. template variables ($var, ${var}, ${var:format}, [[var]]) with the datasource's default
//     formatter: Prometheus escapes regex characters and joins multi-values as (a|b);
//     grafana-clickhouse-datasource quotes multi-values as 'a','b' and leaves single values raw;
//     a custom "All" value is inserted unformatted, as Grafana's template service does;
//  2. ClickHouse: $__conditionalAll(cond, $var) → 1=1 when All is selected (plugin frontend),
//     then the backend macros ($__timeFilter, $__fromTime, $__toTime, $__timeInterval,
//     $__interval_s, … as in pkg/macros/macros.go of grafana/clickhouse-datasource);
//  3. Prometheus: $__interval, $__rate_interval, $__range (Grafana's query runner).
// Anything not recognised throws, so a typo in a board fails its test instead of a panel.
import type { VariableModel } from './builders.js';

export interface TimeRange {
  from: Date;
  to: Date;
}

/** A variable's definition with the values currently selected ('$__all' = All). */
export interface VariableState {
  def: VariableModel;
  /** Every option the variable query returned (values). */
  options: string[];
  /** Selected values, or the string '$__all'. */
  selected: string[] | '$__all';
}

export type Vars = Record<string, VariableState>;

// ---------------------------------------------------------------------------------------------
// Intervals (Grafana's rangeutil.calculateInterval / roundInterval)

const ROUND_STEPS: [number, number][] = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12500, 10000],
  [17500, 15000],
  [25000, 20000],
  [45000, 30000],
  [90000, 60000],
  [210000, 120000],
  [450000, 300000],
  [750000, 600000],
  [1050000, 900000],
  [1500000, 1200000],
  [2700000, 1800000],
  [5400000, 3600000],
  [9000000, 7200000],
  [16200000, 10800000],
  [32400000, 21600000],
  [86400000, 43200000],
  [604800000, 86400000],
  [1814400000, 604800000],
  [3628800000, 2592000000],
];

export function roundInterval(ms: number): number {
  for (const [limit, value] of ROUND_STEPS) if (ms <= limit) return value;
  return 31536000000;
}

export function parseDurationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(s.trim());
  if (!m) throw new Error(`cannot parse duration ${JSON.stringify(s)}`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[
    m[2] as 'ms'
  ];
  return Number(m[1]) * mult;
}

/** The interval Grafana gives a panel: range / max data points, rounded, at least minInterval. */
export function panelIntervalMs(
  range: TimeRange,
  opts: { maxDataPoints?: number; minInterval?: string | undefined } = {},
): number {
  const rangeMs = range.to.getTime() - range.from.getTime();
  const interval = roundInterval(rangeMs / (opts.maxDataPoints ?? 1000));
  const low = opts.minInterval ? parseDurationMs(opts.minInterval) : 0;
  return Math.max(interval, low, 1);
}

// ---------------------------------------------------------------------------------------------
// Template variables

const VAR_RE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

type Formatter = (value: string | string[], v: VariableState) => string;

const FORMATS: Record<string, (value: string | string[]) => string> = {
  singlequote: (v) => (Array.isArray(v) ? v : [v]).map((s) => `'${s.replace(/'/g, "\\'")}'`).join(','),
  doublequote: (v) => (Array.isArray(v) ? v : [v]).map((s) => `"${s.replace(/"/g, '\\"')}"`).join(','),
  csv: (v) => (Array.isArray(v) ? v.join(',') : v),
  pipe: (v) => (Array.isArray(v) ? v.join('|') : v),
  raw: (v) => (Array.isArray(v) ? v.join(',') : v),
  regex: (v) => {
    const arr = Array.isArray(v) ? v : [v];
    const esc = arr.map(regexEscape);
    return esc.length === 1 ? esc[0]! : `(${esc.join('|')})`;
  },
};

function regexEscape(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/** Grafana Prometheus datasource: interpolateQueryExpr. */
export const prometheusFormat: Formatter = (value, v) => {
  const promRegular = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
  const promSpecial = (s: string) => s.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
  if (!v.def.multi && !v.def.includeAll) return promRegular(Array.isArray(value) ? value.join(',') : value);
  if (typeof value === 'string') return promSpecial(value);
  const esc = value.map(promSpecial);
  return esc.length === 1 ? esc[0]! : `(${esc.join('|')})`;
};

/** grafana-clickhouse-datasource CHDatasource.format. */
export const clickhouseFormat: Formatter = (value) => (Array.isArray(value) ? `'${value.join("','")}'` : value);

function selectedValue(v: VariableState): { value: string | string[]; customAll: boolean } {
  if (v.selected === '$__all') {
    if (v.def.allValue !== undefined) return { value: v.def.allValue, customAll: true };
    return { value: v.options, customAll: false };
  }
  return { value: v.def.multi ? v.selected : (v.selected[0] ?? ''), customAll: false };
}

/** Grafana's templateSrv.replace for dashboard variables; built-ins (`__…`) are left as they are. */
export function replaceVariables(text: string, vars: Vars, format: Formatter): string {
  return text.replace(
    VAR_RE,
    (match: string, v1?: string, v2?: string, fmt2?: string, v3?: string, fieldPath?: string, fmt3?: string) => {
      const name = v1 ?? v2 ?? v3!;
      if (name.startsWith('__')) return match;
      const state = vars[name];
      if (!state) throw new Error(`variable $${name} is not defined`);
      if (fieldPath) throw new Error(`variable field paths are not supported: ${match}`);
      const fmt = fmt2 ?? fmt3;
      const { value, customAll } = selectedValue(state);
      if (customAll) return typeof value === 'string' ? value : value.join(',');
      if (fmt) {
        const f = FORMATS[fmt];
        if (!f) throw new Error(`unsupported variable format ${fmt} in ${match}`);
        return f(value);
      }
      return format(value, state);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// ClickHouse

/** Split a macro's argument list at top-level commas; `start` points at the opening parenthesis. */
function macroArgs(s: string, start: number): { args: string[]; end: number } {
  let depth = 0;
  let quote: string | null = null;
  let last = start + 1;
  const args: string[] = [];
  for (let i = start; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(s.slice(last, i));
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(s.slice(last, i));
      last = i + 1;
    }
  }
  throw new Error(`unbalanced macro arguments at ${s.slice(start, start + 40)}`);
}

/** Plugin frontend: $__conditionalAll(condition, $var) → 1=1 when $var is All (or empty). */
export function applyConditionalAll(sql: string, vars: Vars): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  for (let idx = out.lastIndexOf(macro); idx !== -1; idx = out.lastIndexOf(macro)) {
    const { args, end } = macroArgs(out, idx + macro.length - 1);
    if (args.length !== 2) throw new Error(`$__conditionalAll needs 2 arguments: ${out.slice(idx, end)}`);
    const ref = /(?<=\$\{)\w+(?=\})|(?<=\$)\w+/.exec(args[1]!.trim());
    let phrase = args[0]!;
    if (ref) {
      const state = vars[ref[0]];
      if (!state) throw new Error(`variable $${ref[0]} is not defined`);
      const v = state.selected === '$__all' ? '$__all' : state.selected.join(',');
      if (v === '' || v === '$__all') phrase = '1=1';
    }
    out = out.slice(0, idx) + phrase + out.slice(end);
  }
  return out;
}

const dt = (d: Date) => `toDateTime(${Math.floor(d.getTime() / 1000)})`;
const dt64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

/** Plugin backend macros (pkg/macros/macros.go). */
export function expandClickHouseMacros(sql: string, range: TimeRange, intervalMs: number): string {
  const sec = Math.max(Math.floor(intervalMs / 1000), 1);
  const one = (name: string, args: string[]) => {
    if (args.length !== 1) throw new Error(`$__${name} expects 1 argument, got ${args.length}`);
    return args[0]!.trim();
  };
  const withArgs: Record<string, (args: string[]) => string> = {
    timeFilter: (a) => {
      const c = one('timeFilter', a);
      return `${c} >= ${dt(range.from)} AND ${c} <= ${dt(range.to)}`;
    },
    timeFilter_ms: (a) => {
      const c = one('timeFilter_ms', a);
      return `${c} >= ${dt64(range.from)} AND ${c} <= ${dt64(range.to)}`;
    },
    dateFilter: (a) => {
      const c = one('dateFilter', a);
      return `${c} >= ${date(range.from)} AND ${c} <= ${date(range.to)}`;
    },
    timeFrom: (a) => `${one('timeFrom', a)} >= ${dt(range.from)}`,
    timeTo: (a) => `${one('timeTo', a)} <= ${dt(range.to)}`,
    timeInterval: (a) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${sec} second)`,
    timeInterval_ms: (a) =>
      `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(intervalMs, 1)} millisecond)`,
  };
  const noArgs: Record<string, () => string> = {
    fromTime: () => dt(range.from),
    toTime: () => dt(range.to),
    fromTime_ms: () => dt64(range.from),
    toTime_ms: () => dt64(range.to),
    interval_s: () => String(sec),
  };
  let out = '';
  let i = 0;
  for (;;) {
    const idx = sql.indexOf('$__', i);
    if (idx === -1) return out + sql.slice(i);
    out += sql.slice(i, idx);
    const name = /^\$__(\w+)/.exec(sql.slice(idx))![1]!;
    const after = idx + 3 + name.length;
    if (sql[after] === '(' && withArgs[name]) {
      const { args, end } = macroArgs(sql, after);
      out += withArgs[name](args);
      i = end;
    } else if (noArgs[name]) {
      out += noArgs[name]();
      i = after;
    } else {
      throw new Error(`unknown or misused ClickHouse macro $__${name}`);
    }
  }
}

/** A ClickHouse panel or variable query as the plugin would send it to ClickHouse. */
export function interpolateClickHouse(rawSql: string, vars: Vars, range: TimeRange, intervalMs: number): string {
  const withVars = replaceVariables(applyConditionalAll(rawSql, vars), vars, clickhouseFormat);
  return expandClickHouseMacros(withVars, range, intervalMs);
}

// ---------------------------------------------------------------------------------------------
// Prometheus

export interface PromQueryPlan {
  expr: string;
  /** Range query step in seconds (Grafana's interval, at least the datasource timeInterval). */
  stepS: number;
}

/**
 * A Prometheus target as Grafana's Prometheus datasource would send it.
 * scrapeIntervalS is the datasource's `timeInterval` (grafana/provisioning/datasources/aurea.yaml).
 */
export function interpolatePrometheus(
  expr: string,
  vars: Vars,
  range: TimeRange,
  opts: { scrapeIntervalS: number; minInterval?: string | undefined },
): PromQueryPlan {
  const intervalMs = panelIntervalMs(range, { minInterval: opts.minInterval ?? `${opts.scrapeIntervalS}s` });
  const rangeS = Math.round((range.to.getTime() - range.from.getTime()) / 1000);
  const rateIntervalMs = Math.max(intervalMs + opts.scrapeIntervalS * 1000, 4 * opts.scrapeIntervalS * 1000);
  let out = replaceVariables(expr, vars, prometheusFormat);
  const builtins: Record<string, string> = {
    __rate_interval: `${Math.round(rateIntervalMs / 1000)}s`,
    __interval: `${Math.round(intervalMs / 1000)}s`,
    __interval_ms: String(intervalMs),
    __range: `${rangeS}s`,
    __range_s: String(rangeS),
    __range_ms: String(rangeS * 1000),
  };
  out = out.replace(/\$\{?(__\w+)\}?/g, (m: string, name: string) => {
    const v = builtins[name];
    if (v === undefined) throw new Error(`unknown Prometheus built-in ${m}`);
    return v;
  });
  return { expr: out, stepS: Math.max(Math.round(intervalMs / 1000), 1) };
}

/** Every `$name` / `${name…}` / `[[name]]` reference in a text that is not a Grafana built-in. */
export function variableRefs(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(VAR_RE)) {
    const name = m[1] ?? m[2] ?? m[4]!;
    if (!name.startsWith('__')) names.add(name);
  }
  return [...names];
}
