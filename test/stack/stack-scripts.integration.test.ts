// Foundation: the stack scripts are idempotent, refuse taken ports with a clear message,
// and stop leaves no process behind. Uses a second stack on other ports in a temp run dir,
// so the shared stack other tests use is never touched.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const runDir = mkdtempSync(join(tmpdir(), 'aurea-stack-'));
const env = {
  ...process.env,
  AUREA_RUN_DIR: runDir,
  KAFKA_PORT: '39092',
  KAFKA_CONTROLLER_PORT: '39093',
  OTELCOL_GRPC_PORT: '34317',
  OTELCOL_HTTP_PORT: '34318',
  OTELCOL_HEALTH_PORT: '33133',
  OTELCOL_METRICS_PORT: '38888',
  PROMETHEUS_PORT: '39090',
};

function script(name: string, extraEnv: Record<string, string> = {}) {
  return run('bash', [join(root, 'scripts/stack', name)], {
    env: { ...env, ...extraEnv },
    cwd: root,
    timeout: 180_000,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await script('stop.sh').catch(() => undefined);
  rmSync(runDir, { recursive: true, force: true });
});

describe('stack scripts', () => {
  it('refuses a taken port, naming the variable', async () => {
    // The shared stack holds 9092.
    const err = await script('start.sh', { KAFKA_PORT: '9092' }).then(
      () => undefined,
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(err?.code).not.toBe(0);
    expect(err?.stderr).toMatch(/port 9092 for kafka is already taken.*KAFKA_PORT/);
  });

  it('starts, is harmless to start twice, and stops leaving no process', async () => {
    const first = await script('start.sh');
    expect(first.stdout).toContain('127.0.0.1:39092');
    const pids = ['kafka', 'otelcol', 'prometheus'].map((p) =>
      Number(readFileSync(join(runDir, 'pids', `${p}.pid`), 'utf8')),
    );
    expect(pids.every(alive)).toBe(true);

    const second = await script('start.sh');
    expect(second.stderr).toContain('kafka already running');
    const pidsAfter = ['kafka', 'otelcol', 'prometheus'].map((p) =>
      Number(readFileSync(join(runDir, 'pids', `${p}.pid`), 'utf8')),
    );
    expect(pidsAfter).toEqual(pids);

    await script('stop.sh');
    expect(pids.some(alive)).toBe(false);
    const status = await script('status.sh').then(
      () => 0,
      (e: unknown) => (e as { code: number }).code,
    );
    expect(status).toBe(1);
  });
});
