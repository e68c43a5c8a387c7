// Stable dashboard UIDs: links between boards and from docs use them, so never change one.
export const UID = {
  operations: 'aurea-operations',
  llmCost: 'aurea-llm-cost',
  jobCost: 'aurea-job-cost',
  attribution: 'aurea-cost-attribution',
  agents: 'aurea-agents',
  slo: 'aurea-slo',
} as const;
