// aurea — terminal client of the Aurea analytics API.
//   aurea jobs [--limit 20] [--sort cost|tokens|latency|tasks|time] [--tenant t] …
//   aurea job <job-id>
//   aurea costs --by model[,tenant,…] [--bucket none|hour|day|month]
//   aurea watch [--orchestrator URL] [--prometheus URL]     live summary
//   aurea reprice --from T --to T [--tenant t] [--provider p] [--model m] [--apply]
// Common: --api URL (AUREA_API_URL, default http://127.0.0.1:8080), --api-key (AUREA_API_KEY),
// --from/--to (RFC 3339), --json.
import { parseArgs } from 'node:util';
import { AnalyticsClient, ApiError } from './api.js';
import { costsCommand, jobCommand, jobsCommand, repriceCommand } from './commands.js';
import { watch } from './watch.js';

const USAGE = `usage: aurea <command> [options]

commands:
  jobs                 jobs by cost (or --sort tokens|latency|tasks|time), a table
  job <job-id>         one job: cost, tokens, status, per task and per model
  costs --by <dims>    cost attribution grouped by model, provider, service, task, tenant, user, repository
  watch                live summary: jobs/s, events/s, cost so far, top jobs (what npm start shows)
  reprice --from <time> --to <time> [--tenant t] [--provider p] [--model m] [--apply]
                       apply the API's current price table to events that ended in [from, to):
                       a dry run (events changed, old and new total), then with --apply the write

options:
  --api <url>          analytics API (env AUREA_API_URL, default http://127.0.0.1:8080)
  --api-key <key>      API key (env AUREA_API_KEY)
  --from/--to <time>   RFC 3339 time range (default: jobs all time, costs the last 30 days)
  --tenant, --user, --repository, --model, --provider, --service <value>   filters
  --limit <n>          rows (default 20)
  --sort <key>         jobs: cost|tokens|latency|tasks|time (default cost)
  --status <s>         jobs: ok|error|cancelled
  --bucket <b>         costs: none|hour|day|month (default none)
  --apply              reprice: write the new prices after the dry run (needs an ingest key)
  --timeout <s>        reprice: seconds to wait for each API answer (default 600)
  --json               print the API's JSON instead of a table
`;

export async function run(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; out: string }> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        api: { type: 'string' },
        'api-key': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        tenant: { type: 'string' },
        user: { type: 'string' },
        repository: { type: 'string' },
        model: { type: 'string' },
        provider: { type: 'string' },
        service: { type: 'string' },
        limit: { type: 'string' },
        sort: { type: 'string' },
        order: { type: 'string' },
        status: { type: 'string' },
        by: { type: 'string' },
        bucket: { type: 'string' },
        json: { type: 'boolean', default: false },
        apply: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        orchestrator: { type: 'string' },
        prometheus: { type: 'string' },
        'service-name': { type: 'string' },
        interval: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return { code: 2, out: `${err instanceof Error ? err.message : String(err)}\n\n${USAGE}` };
  }
  const { values: v, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (v.help || !cmd) return { code: cmd || v.help ? 0 : 2, out: USAGE };
  const limit = v.limit === undefined ? 20 : Number(v.limit);
  if (!Number.isInteger(limit) || limit < 1)
    return { code: 2, out: `--limit must be a positive integer, got ${v.limit}` };
  const api = new AnalyticsClient(
    v.api ?? env.AUREA_API_URL ?? 'http://127.0.0.1:8080',
    v['api-key'] ?? env.AUREA_API_KEY,
  );
  const filters = {
    from: v.from,
    to: v.to,
    tenant: v.tenant,
    user: v.user,
    repository: v.repository,
    model: v.model,
    provider: v.provider,
    service: v.service,
  };
  try {
    switch (cmd) {
      case 'jobs':
        return {
          code: 0,
          out: await jobsCommand(api, {
            ...filters,
            limit,
            sort: v.sort ?? 'cost',
            order: v.order ?? 'desc',
            status: v.status,
            json: v.json,
          }),
        };
      case 'job': {
        const id = rest[0];
        if (!id) return { code: 2, out: 'usage: aurea job <job-id>' };
        return { code: 0, out: await jobCommand(api, id, v.json) };
      }
      case 'costs': {
        if (!v.by)
          return {
            code: 2,
            out: 'usage: aurea costs --by model[,tenant,…]  (model, provider, service, task, tenant, user, repository)',
          };
        const by = v.by
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        return {
          code: 0,
          out: await costsCommand(api, {
            ...filters,
            by,
            bucket: v.bucket ?? 'none',
            limit: v.limit === undefined ? 1000 : limit,
            json: v.json,
          }),
        };
      }
      case 'watch': {
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        process.once('SIGTERM', () => ac.abort());
        await watch({
          api,
          orchestratorUrl: v.orchestrator ?? env.AUREA_ORCHESTRATOR_URL ?? 'http://127.0.0.1:8787',
          prometheusUrl: v.prometheus ?? env.AUREA_PROMETHEUS_URL ?? 'http://127.0.0.1:9090',
          serviceName: v['service-name'] ?? env.AUREA_SERVICE_NAME ?? 'orchestrator',
          intervalMs: v.interval ? Number(v.interval) * 1000 : 2000,
          top: v.limit === undefined ? 5 : limit,
          signal: ac.signal,
        });
        return { code: 0, out: '' };
      }
      case 'reprice': {
        if (!v.from || !v.to)
          return {
            code: 2,
            out: 'usage: aurea reprice --from <time> --to <time> [--tenant t] [--provider p] [--model m] [--apply]',
          };
        const timeoutS = v.timeout === undefined ? 600 : Number(v.timeout);
        if (!Number.isFinite(timeoutS) || timeoutS <= 0)
          return { code: 2, out: `--timeout must be a positive number of seconds, got ${v.timeout}` };
        return {
          code: 0,
          out: await repriceCommand(api, {
            from: v.from,
            to: v.to,
            tenant: v.tenant,
            provider: v.provider,
            model: v.model,
            apply: v.apply,
            json: v.json,
            timeoutMs: timeoutS * 1000,
          }),
        };
      }
      default:
        return { code: 2, out: `unknown command "${cmd}"\n\n${USAGE}` };
    }
  } catch (err) {
    if (err instanceof ApiError) return { code: 1, out: `aurea: ${err.message}` };
    throw err;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const r = await run(process.argv.slice(2));
  if (r.out) (r.code === 0 ? process.stdout : process.stderr).write(`${r.out}\n`);
  process.exitCode = r.code;
}
