// One of the SDK processes of test/e2e/budget-two-process.test.ts: makes calls one after another
// through monitorTask with budgets enforced (docs/sdk.md, "Budgets that refuse"), events to Kafka,
// until a line "stop" arrives on stdin; writes one JSON line per call to stdout:
//   { n, t: check time (ms), end: end time (ms), ok, known, lastError, budget?, scope?, spendUsd?, limitUsd?,
//     error? }
// `known`: the budget figures were fresh when the call was checked; `lastError`: the last refresh's error.
import { setTimeout as sleep } from 'node:timers/promises';
import { BudgetExceededError, init } from '@aurea/sdk';

const need = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};
const name = need('BUDGET_PROC_NAME');
const tenant = need('BUDGET_PROC_TENANT');
const paceMs = Number(need('BUDGET_PROC_PACE_MS'));
const callMs = Number(need('BUDGET_PROC_CALL_MS'));

const aurea = await init({
  serviceName: name,
  otlp: false,
  kafka: { brokers: need('KAFKA_BROKERS').split(','), topic: need('BUDGET_PROC_TOPIC'), lingerMs: 5 },
  budgets: {
    url: need('BUDGET_PROC_API_URL'),
    apiKey: need('BUDGET_PROC_API_KEY'),
    refreshMs: Number(need('BUDGET_PROC_REFRESH_MS')),
    timeoutMs: Number(need('BUDGET_PROC_TIMEOUT_MS')),
    staleAfterMs: Number(need('BUDGET_PROC_STALE_MS')),
  },
});
const guard = aurea.budgets!;
// Start with known figures, so every call of the first phase is checked against them.
await guard.refresh();

let stop = false;
process.stdin.on('data', (d: Buffer) => {
  if (d.toString().includes('stop')) stop = true;
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

for (let n = 0; !stop; n++) {
  const known = guard.known;
  const lastError = guard.lastError;
  const t = Date.now();
  let line: Record<string, unknown>;
  try {
    const out = await aurea.monitorTask(
      {
        jobId: `${name}-job`,
        taskName: 'call',
        taskId: `${name}-${n}`,
        provider: 'openai',
        model: 'gpt-4o-mini',
        tenant,
      },
      async (ctx) => {
        await sleep(callMs); // the provider's time
        ctx.recordUsage({ input: 10_000, output: 1_000 });
        return 'answer';
      },
    );
    line = { n, t, end: Date.now(), ok: out === 'answer', known, lastError };
  } catch (err) {
    line =
      err instanceof BudgetExceededError
        ? { n, t, end: Date.now(), ok: false, known, lastError, ...err, message: err.message }
        : { n, t, end: Date.now(), ok: false, known, lastError, error: String(err) };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
  await sleep(paceMs);
}
process.stdin.destroy();
await aurea.shutdown({ deadlineMs: 10_000 });
