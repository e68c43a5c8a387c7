// The annotations every Aurea board shows, from Prometheus, filtered by the board's environment
// and service variables (docs/dashboards.md, "Annotations"):
//  - Deployments: a service reporting a service.version it did not report 10 minutes before (the
//    SDK's `serviceVersion`, a resource attribute that Prometheus keeps on target_info); shown as a
//    region of 10 minutes from the first export of the new version.
//  - Alerts: Aurea alerts while they fire (Prometheus' ALERTS series), by name and severity.
// Both at a 15 s step (the scrape and evaluation interval) rather than Grafana's default 60 s, so an
// event starts within 15 s of when it happened.
import { COLORS, promAnnotation } from '../builders.js';
import { L, OTHER } from './names.js';

export function boardAnnotations() {
  const sel = `${L.env}=~"$environment", ${L.service}=~"$service", ${L.serviceVersion}!=""`;
  const versions = (offset: string) =>
    `group by (${L.service}, ${L.serviceVersion}) (${OTHER.targetInfo}{${sel}}${offset})`;
  return [
    promAnnotation({
      name: 'Deployments',
      expr: `${versions('')} unless ${versions(' offset 10m')}`,
      title: `{{${L.service}}} {{${L.serviceVersion}}}`,
      text: `{{${L.service}}} reports service.version {{${L.serviceVersion}}}`,
      tags: [L.service, L.serviceVersion],
      color: COLORS.blue,
      step: '15s',
    }),
    promAnnotation({
      name: 'Alerts',
      expr: `${OTHER.alerts}{alertstate="firing", alertname=~"Aurea.+", ${L.service}=~"$service"}`,
      title: '{{alertname}}',
      text: `{{severity}}: {{alertname}} {{${L.service}}}`,
      tags: ['alertname', 'severity'],
      color: COLORS.red,
      step: '15s',
    }),
  ];
}
