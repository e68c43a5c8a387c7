// Every Aurea dashboard, keyed by the file name it is provisioned from (grafana/dashboards/).
import type { Dashboard } from '../builders.js';
import { agentsBoard } from './agents.js';
import { attributionBoard, jobCostBoard } from './clickhouse.js';
import { llmCostBoard, operationsBoard, sloBoard } from './prometheus.js';

export { UID } from './uids.js';

export function allBoards(): Record<string, Dashboard> {
  return {
    'aurea-operations.json': operationsBoard(),
    'aurea-llm-cost.json': llmCostBoard(),
    'aurea-job-cost.json': jobCostBoard(),
    'aurea-cost-attribution.json': attributionBoard(),
    'aurea-agents.json': agentsBoard(),
    'aurea-slo.json': sloBoard(),
  };
}

/** The JSON text Grafana provisions: stable key order (as built), 2-space indent, trailing newline. */
export function renderJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
