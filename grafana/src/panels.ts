// Panel kinds the boards share, on top of builders.ts' panel(): one value now (stat), lines over
// time (series), horizontal bars (bars), shares of a whole (pie), states over time (timeline).
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  FieldColorBuilder,
  FieldColorModeId,
  type DashboardLinkBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  PanelBuilder as PiePanel,
  PieChartLegendOptionsBuilder,
  PieChartLegendValues,
  PieChartType,
} from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  dashedThresholds,
  lastValue,
  legendList,
  legendTable,
  panel,
  stacked,
  tooltipAll,
  type PanelSpec,
  type Query,
} from './builders.js';

export interface QueryPanel extends PanelSpec {
  targets: Query[];
  /** Panel links (shown in the panel header) and links on every value. */
  links?: DashboardLinkBuilder[];
  fieldLinks?: DashboardLinkBuilder[];
}

/** One value per series, now: the last value of an instant query. */
export function stat(s: QueryPanel) {
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
export function series(
  s: QueryPanel & { stack?: boolean; bars?: boolean; showThresholds?: boolean; legendCalcs?: string[] },
) {
  const p = panel(new TimeseriesPanel(), s, s.targets)
    .drawStyle(s.bars ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
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
export function bars(s: QueryPanel) {
  const p = panel(new BarGaugePanel(), s, s.targets)
    .reduceOptions(lastValue())
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .orientation(common.VizOrientation.Horizontal)
    .showUnfilled(true)
    .dataLinks(s.fieldLinks ?? []);
  return s.thresholdColors ? p : p.colorScheme(new FieldColorBuilder().mode(FieldColorModeId.ContinuousGrYlRd));
}

/** Shares of a whole, one slice per series (instant queries). */
export function pie(s: QueryPanel) {
  return panel(new PiePanel(), s, s.targets)
    .reduceOptions(lastValue())
    .pieType(PieChartType.Donut)
    .legend(pieLegend())
    .tooltip(pieTooltip());
}

/** A pie's legend: a table on the right with each slice's value and percent. */
export const pieLegend = () =>
  new PieChartLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Right)
    .values([PieChartLegendValues.Value, PieChartLegendValues.Percent]);

export const pieTooltip = () => new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single);

/** A state per series over time (value mappings name the states). */
export function timeline(s: QueryPanel) {
  return panel(new StateTimelinePanel(), s, s.targets)
    .showValue(common.VisibilityMode.Auto)
    .mergeValues(true)
    .alignValue(common.TimelineValueAlignment.Left)
    .rowHeight(0.9)
    .legend(legendList());
}
