// A script's final `await aurea.shutdown()` must settle even when Kafka is unreachable and
// nothing else keeps the process alive (regression: unref'd wait timers let Node exit with the
// await unsettled, exit code 13, before the deadline).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('shutdown in a short-lived script', () => {
  it('settles within its deadline with Kafka down and counts the undelivered events', async () => {
    const script = `
      import { init } from '@aurea/sdk';
      const aurea = await init({ serviceName: 'shutdown-script', otlp: false, kafka: { brokers: ['127.0.0.1:1'], topic: 'x', maxBufferedEvents: 50 } });
      for (let i = 0; i < 200; i++) await aurea.monitorTask({ jobId: 'j', taskName: 't', model: 'gpt-4o-mini', provider: 'openai' }, () => 1);
      const t0 = Date.now();
      await aurea.shutdown({ deadlineMs: 1500 });
      const dropped = [...aurea.publisher.stats().dropped.values()].reduce((a, b) => a + b, 0);
      console.log(JSON.stringify({ settledMs: Date.now() - t0, dropped }));`;
    const { stdout } = await run(join(process.cwd(), 'node_modules/.bin/tsx'), ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      timeout: 30_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { settledMs: number; dropped: number };
    expect(out.dropped).toBe(200);
    expect(out.settledMs).toBeLessThan(2_500);
  });
});
