// `npx tsx services/orchestrator/src/demo-main.ts`: run the demo workload against an
// orchestrator (DEMO_ORCHESTRATOR_URL) until SIGINT/SIGTERM (or DEMO_MAX_JOBS).
import { createLogger, env, parseConfig } from '@aurea/common';
import { z } from 'zod';
import { runDemoWorkload } from './demo.js';

const cfg = parseConfig(
  z.object({
    LOG_LEVEL: z.string().default('info'),
    DEMO_ORCHESTRATOR_URL: z.url().default('http://127.0.0.1:8787'),
    DEMO_SEED: z.string().min(1).default('aurea-demo'),
    DEMO_JOBS_PER_SECOND: z.coerce.number().positive().max(10_000).default(3),
    DEMO_MAX_JOBS: env.int(0, 0),
  }),
);
const logger = createLogger('demo-workload', cfg.LOG_LEVEL);
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());
process.once('SIGTERM', () => ac.abort());
logger.info({ url: cfg.DEMO_ORCHESTRATOR_URL, rate: cfg.DEMO_JOBS_PER_SECOND }, 'demo workload starting');
const out = await runDemoWorkload({
  orchestratorUrl: cfg.DEMO_ORCHESTRATOR_URL,
  seed: cfg.DEMO_SEED,
  jobsPerSecond: cfg.DEMO_JOBS_PER_SECOND,
  maxJobs: cfg.DEMO_MAX_JOBS,
  signal: ac.signal,
  onEvent: (e) => {
    if (e.kind !== 'submitted') logger.warn(e, 'job not accepted');
  },
});
logger.info(out, 'demo workload stopped');
