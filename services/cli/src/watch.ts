// `aurea watch`: the live terminal summary the main job shows — jobs/s, events/s, cost so far,
// top jobs by cost — redrawn in place (no scrolling flood). Sources: the orchestrator's
// /v1/stats (jobs), the analytics API (events and cost in ClickHouse, top jobs), Prometheus
// (the real-time cost counter). A source that is down shows as such; the loop keeps going.
import { promScalar, type AnalyticsClient, type JobListItem } from './api.js';
import { int, renderTable, usd } from './table.js';

export interface WatchOptions {
  api: AnalyticsClient;
  orchestratorUrl?: string | undefined;
  prometheusUrl?: string | undefined;
  /** service.name whose cost counter is shown from Prometheus (the `job` label). */
  serviceName: string;
  intervalMs: number;
  top: number;
  signal: AbortSignal;
  /** Where to write (default stdout); tty → redraw in place, else one line per refresh. */
  out?: NodeJS.WriteStream;
}

interface OrchestratorStats {
  jobsSubmitted: number;
  jobsFinished: number;
  jobsShed: number;
  jobsRunning: number;
  tasksFinished: number;
  tasksFailed: number;
  costUsd: number;
  queueDepth: number;
  activeTasks: number;
  breakers: Record<string, string>;
}

export interface Sample {
  at: number;
  orch?: OrchestratorStats | undefined;
  orchError?: string | undefined;
  events?: number | undefined;
  chCost?: string | undefined;
  chError?: string | undefined;
  top?: JobListItem[] | undefined;
  promCost?: number | null | undefined;
  promError?: string | undefined;
}

async function sample(o: WatchOptions): Promise<Sample> {
  const s: Sample = { at: Date.now() };
  const tasks: Promise<void>[] = [];
  if (o.orchestratorUrl) {
    tasks.push(
      fetch(`${o.orchestratorUrl}/v1/stats`, { signal: AbortSignal.timeout(3000) })
        .then(async (r) => {
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          s.orch = (await r.json()) as OrchestratorStats;
        })
        .catch((e: unknown) => {
          s.orchError = e instanceof Error ? e.message : String(e);
        }),
    );
  }
  // The same window for both reads: the last 30 days (the jobs list has no default window).
  const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
  tasks.push(
    Promise.all([
      o.api.attribution({ bucket: 'none', limit: 1, from }),
      o.api.jobs({ sort: 'cost', order: 'desc', limit: o.top, from }),
    ])
      .then(([a, j]) => {
        s.events = a.rows.reduce((n, r) => n + r.tasks, 0);
        s.chCost = a.rows[0]?.cost_usd ?? '0';
        s.top = j.jobs;
      })
      .catch((e: unknown) => {
        s.chError = e instanceof Error ? e.message : String(e);
      }),
  );
  if (o.prometheusUrl) {
    tasks.push(
      promScalar(o.prometheusUrl, `sum(aurea_llm_cost_USD_total{job="${o.serviceName}"})`)
        .then((v) => {
          s.promCost = v;
        })
        .catch((e: unknown) => {
          s.promError = e instanceof Error ? e.message : String(e);
        }),
    );
  }
  await Promise.all(tasks);
  return s;
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function rate(now: number | undefined, prev: number | undefined, dtMs: number): string {
  if (now === undefined || prev === undefined || dtMs <= 0) return '…';
  return (((now - prev) / dtMs) * 1000).toFixed(1);
}

/** The summary block for one sample (pure, unit-tested). */
export function renderSummary(s: Sample, prev: Sample | undefined, o: { top: number; serviceName: string }): string[] {
  const dt = prev ? s.at - prev.at : 0;
  const lines: string[] = [];
  lines.push(`── Aurea live ─ ${time(s.at)} UTC ─ Ctrl-C stops everything (data is kept) ──`);
  if (s.orch) {
    const o = s.orch;
    lines.push(
      `jobs/s     ${rate(o.jobsFinished, prev?.orch?.jobsFinished, dt).padStart(6)}   finished ${int(o.jobsFinished)}, running ${int(o.jobsRunning)}, shed ${int(o.jobsShed)} (429), queue ${int(o.queueDepth)}, tasks failed ${int(o.tasksFailed)}/${int(o.tasksFinished)}`,
    );
    const br = Object.entries(o.breakers)
      .map(([p, st]) => `${p} ${st}`)
      .join(' · ');
    lines.push(`breakers   ${br || '(no provider called yet)'}`);
  } else {
    lines.push(`jobs/s          -   orchestrator unavailable${s.orchError ? ` (${s.orchError})` : ''}`);
  }
  if (s.events !== undefined) {
    lines.push(
      `events/s   ${rate(s.events, prev?.events, dt).padStart(6)}   ${int(s.events)} task events in ClickHouse (last 30 days)`,
    );
    const prom = s.promCost === undefined || s.promCost === null ? 'n/a' : usd(s.promCost);
    lines.push(
      `cost       ${usd(s.chCost).padStart(10)}   in ClickHouse (last 30 days) · Prometheus, this orchestrator run: ${prom}`,
    );
  } else {
    lines.push(`events/s        -   analytics API unavailable${s.chError ? ` (${s.chError})` : ''}`);
    lines.push('cost            -');
  }
  lines.push(`top ${o.top} jobs by cost (last 30 days)`);
  if (s.top && s.top.length > 0) {
    const t = renderTable<JobListItem>(s.top, [
      { header: 'JOB', value: (j) => j.job_id },
      { header: 'STATUS', value: (j) => j.status },
      { header: 'TASKS', value: (j) => int(j.tasks), align: 'right' },
      { header: 'TOKENS', value: (j) => int(j.tokens.total), align: 'right' },
      { header: 'COST', value: (j) => usd(j.cost_usd), align: 'right' },
    ]);
    lines.push(...t.split('\n').map((l) => `  ${l}`));
  } else {
    lines.push('  (none yet: events reach ClickHouse within a few seconds)');
  }
  return lines;
}

export async function watch(o: WatchOptions): Promise<void> {
  const out = o.out ?? process.stdout;
  const tty = out.isTTY;
  let prev: Sample | undefined;
  let drawn = 0;
  let lastLine = 0;
  while (!o.signal.aborted) {
    const s = await sample(o);
    const lines = renderSummary(s, prev, o);
    if (tty) {
      // Move up over the previous block and redraw it, clearing each line.
      let buf = drawn > 0 ? `\x1b[${drawn}A` : '';
      for (const l of lines) buf += `\x1b[2K${l.slice(0, (out.columns || 200) - 1)}\n`;
      for (let i = lines.length; i < drawn; i++) buf += '\x1b[2K\n';
      if (drawn > lines.length) buf += `\x1b[${drawn - lines.length}A`;
      out.write(buf);
      drawn = lines.length;
    } else if (s.at - lastLine >= 10_000) {
      const pick = lines.filter((l) => /^(jobs\/s|events\/s|cost) /.test(l)).map((l) => l.replace(/\s+/g, ' '));
      out.write(`${time(s.at)} ${pick.join(' | ')}\n`);
      lastLine = s.at;
    }
    prev = s;
    await new Promise<void>((r) => {
      const t = setTimeout(r, o.intervalMs);
      o.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }
}
