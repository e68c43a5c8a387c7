// What a service outside this repository does (docs/sdk.md, "Install"): pack @aurea/events and
// @aurea/sdk, install the two tarballs into a fresh project (registry packages from npm's cache, no
// workspace links), run a plain .mjs program with `node` — no tsx — on every Node line the SDK
// supports against the running stack (npm run stack:start), and type-check a TypeScript consumer
// against the published declarations. Checks the tarballs' file lists, sizes and manifests too.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateTaskEvent, type TaskEventV1 } from '@aurea/events';

const REPO = resolve(import.meta.dirname, '../..');
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PROM = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const OTLP = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
const PACKAGES = ['@aurea/events', '@aurea/sdk'] as const;
type PackageName = (typeof PACKAGES)[number];

/** Size budget of each tarball (bytes): what `npm install` downloads and unpacks. */
const SIZE_BUDGET: Record<PackageName, { packed: number; unpacked: number }> = {
  '@aurea/events': { packed: 24_000, unpacked: 110_000 },
  '@aurea/sdk': { packed: 80_000, unpacked: 300_000 },
};

interface PackResult {
  name: PackageName;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}
interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  files?: string[];
}

const run = randomUUID().slice(0, 8);
const work = mkdtempSync(join(tmpdir(), 'aurea-packaging-'));
const app = join(work, 'app');
const topic = `aurea.packaging-it.${run}`;
let packs: PackResult[] = [];
let nodes: { version: string; bin: string }[] = [];
const kafka = new kafkajs.Kafka({ clientId: `pkg-it-${run}`, brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();

/**
 * A user's environment: none of the repository's npm-script variables (its NODE_OPTIONS carries the
 * workspace-only export condition), none of its node_modules/.bin on PATH, the given Node first.
 */
function userEnv(nodeBin: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k === 'NODE_ENV' || k === 'INIT_CWD' || /^(npm_|VITEST|TSX)/i.test(k)) continue;
    env[k] = v;
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter((p) => p !== '' && !p.startsWith(REPO));
  env.PATH = [dirname(realpathSync(nodeBin)), ...path].join(delimiter);
  return env;
}

function sh(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): string {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 180_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const manifest = (name: PackageName): Manifest =>
  JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as Manifest;

function installedFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/** Packages a built module imports at run time (bare specifiers, by package name). */
function runtimeImports(dir: string): Set<string> {
  const out = new Set<string>();
  for (const f of installedFiles(join(dir, 'dist')).filter((p) => p.endsWith('.js'))) {
    const src = readFileSync(f, 'utf8');
    // A specifier never spans lines: a string that ends in ".from" followed by another string is no import.
    for (const m of src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"\n]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      out.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return out;
}

async function promValue(q: string): Promise<number | undefined> {
  const res = await fetch(`${PROM}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const r = body.data.result[0];
  return r === undefined ? undefined : Number(r.value[1]);
}

async function waitForValue(q: string, want: number, timeoutMs = 45_000): Promise<number | undefined> {
  const until = Date.now() + timeoutMs;
  let last: number | undefined;
  while (Date.now() < until) {
    last = await promValue(q);
    if (last !== undefined && Math.abs(last - want) < 1e-9) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return last;
}

async function consume(expected: number, timeoutMs = 30_000): Promise<{ key: string; value: unknown }[]> {
  const consumer = kafka.consumer({ groupId: `pkg-it-${run}`, maxWaitTimeInMs: 200 });
  const got: { key: string; value: unknown }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((done) => {
    const timer = setTimeout(done, timeoutMs);
    void consumer.run({
      eachMessage: ({ message }) => {
        got.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) as unknown });
        if (got.length >= expected) {
          clearTimeout(timer);
          done();
        }
        return Promise.resolve();
      },
    });
  });
  await new Promise((r) => setTimeout(r, 300)); // extras, if any, would land here
  await consumer.disconnect();
  return got;
}

// The user's program: plain ESM, run with `node app.mjs`.
const APP_MJS = `import { init, monitorTask } from '@aurea/sdk';
const [serviceName, jobId, topic, brokers, otlp] = process.argv.slice(2);
const aurea = await init({
  serviceName,
  kafka: { brokers: brokers.split(','), topic },
  otlp: { endpoint: otlp, exportIntervalMs: 60_000 },
});
const answer = await monitorTask(
  { jobId, taskName: 'packaging', model: 'gpt-4o', provider: 'openai', serverAddress: 'api.openai.com', serverPort: 443 },
  async (ctx) => {
    ctx.recordChunk(); // first streamed chunk
    await new Promise((r) => setTimeout(r, 20));
    ctx.recordChunk();
    ctx.recordUsage({ input: 1200, output: 80, cacheRead: 200, convention: 'exclusive' });
    return 'ok';
  },
);
await aurea.shutdown({ deadlineMs: 10_000 });
console.log(JSON.stringify({ node: process.version, answer, stats: aurea.publisher.stats() }));
`;

// CommonJS callers: require() of the ESM build (Node's require(esm)).
const APP_CJS = `const sdk = require('@aurea/sdk');
const pricing = require('@aurea/sdk/pricing');
const events = require('@aurea/events');
console.log(JSON.stringify({ init: typeof sdk.init, priceUsage: typeof pricing.priceUsage, topic: events.TOPICS.taskEvents }));
`;

// A fastify server with the plugin entry (fastify is the user's own dependency, a peer of @aurea/sdk/fastify).
const APP_FASTIFY_MJS = `import Fastify from 'fastify';
import { init } from '@aurea/sdk';
import { aureaFastify } from '@aurea/sdk/fastify';
const aurea = await init({ serviceName: 'pkg-fastify', kafka: false, otlp: false, prometheus: { enabled: true } });
const app = Fastify();
await app.register(aureaFastify, { aurea });
app.get('/items/:id', (req) => ({ id: req.params.id }));
app.get('/metrics', (req, reply) => { reply.hijack(); aurea.metricsHandler(req.raw, reply.raw); });
await app.inject('/items/41');
await app.inject('/items/42');
const text = (await app.inject('/metrics')).body;
await app.close();
await aurea.shutdown({ deadlineMs: 1000 });
const line = text.split('\\n').find((l) => l.startsWith('http_server_request_duration_count{') && l.includes('http_route="/items/:id"'));
console.log(JSON.stringify({ count: line ? Number(line.split(' ').pop()) : null, rawIds: text.includes('/items/41') }));
`;

// A TypeScript consumer: type-checks against the published declarations only.
const CONSUMER_TS = `import Fastify from 'fastify';
import { init, monitorTask, type Aurea, type TaskOptions } from '@aurea/sdk';
import { aureaFastify, type AureaFastifyOptions } from '@aurea/sdk/fastify';
import { priceUsage } from '@aurea/sdk/pricing';
import { TOPICS, validateTaskEvent, type TaskEventV1 } from '@aurea/events';

const options: TaskOptions = { jobId: 'job-1', taskName: 'summarize', model: 'gpt-4o', provider: 'openai' };
export async function main(): Promise<number> {
  const aurea: Aurea = await init({ serviceName: 'consumer', kafka: false, otlp: false });
  const opts: AureaFastifyOptions = { aurea };
  await Fastify().register(aureaFastify, opts);
  // @ts-expect-error the plugin's options are typed
  await Fastify().register(aureaFastify, { aurea: 42 });
  const n: number = await monitorTask(options, (ctx) => {
    ctx.recordUsage({ input: 10, output: 2 });
    ctx.recordChunk();
    return 42;
  });
  // @ts-expect-error jobId is required: the declarations are real types, not any
  await monitorTask({ taskName: 'x', model: 'm', provider: 'p' }, () => 1);
  const price = priceUsage({ provider: 'openai', model: 'gpt-4o', usage: { input_tokens: 1000 }, at: Date.now() });
  const status: string = price.status;
  const checked = validateTaskEvent({});
  const event: TaskEventV1 | undefined = checked.ok ? checked.event : undefined;
  await aurea.shutdown({ deadlineMs: 1000 });
  return n + status.length + TOPICS.taskEvents.length + (event ? 1 : 0);
}
`;

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });

  // The Node binaries: the repository's pinned Node 24, others from the npm registry into the cache.
  nodes = execFileSync('bash', [join(REPO, 'scripts/stack/install-node.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => {
      const [version, bin] = l.split(' ');
      return { version: version!, bin: bin! };
    });

  // Pack as a user of the repository would; `prepack` builds dist/.
  const out = execFileSync(
    'npm',
    ['pack', ...PACKAGES.flatMap((p) => ['-w', p]), '--pack-destination', work, '--json', '--loglevel=error'],
    { cwd: REPO, encoding: 'utf8' },
  );
  packs = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];

  // A fresh project outside the repository; registry packages come from npm's cache.
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'aurea-user', private: true, type: 'module' }));
  const env = userEnv(nodes[0]!.bin);
  const typescript = JSON.parse(readFileSync(join(REPO, 'node_modules/typescript/package.json'), 'utf8')) as Manifest;
  const typesNode = JSON.parse(readFileSync(join(REPO, 'node_modules/@types/node/package.json'), 'utf8')) as Manifest;
  const fastify = JSON.parse(readFileSync(join(REPO, 'node_modules/fastify/package.json'), 'utf8')) as Manifest;
  sh(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...packs.map((p) => join(work, p.filename)),
      `typescript@${typescript.version}`,
      `@types/node@${typesNode.version}`,
      `fastify@${fastify.version}`,
    ],
    { cwd: app, env },
  );
  writeFileSync(join(app, 'app.mjs'), APP_MJS);
  writeFileSync(join(app, 'app.cjs'), APP_CJS);
  writeFileSync(join(app, 'app-fastify.mjs'), APP_FASTIFY_MJS);
  writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        target: 'es2023',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  );
}, 300_000);

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  rmSync(work, { recursive: true, force: true });
});

describe('the published tarballs', () => {
  it('carry the built JavaScript, declarations and package.json only, within the size budget', () => {
    expect(packs.map((p) => p.name).sort()).toEqual([...PACKAGES].sort());
    for (const p of packs) {
      const files = p.files.map((f) => f.path);
      for (const f of files)
        expect(f, `${p.name}: ${f}`).toMatch(/^(package\.json|README\.md|dist\/.+\.(js|d\.ts)|schema\/[\w.-]+\.json)$/);
      expect(
        files.filter((f) => /\.test\.|\/src\/|tsbuildinfo/.test(f)),
        p.name,
      ).toEqual([]);
      expect(files, p.name).toContain('dist/index.js');
      expect(files, p.name).toContain('dist/index.d.ts');
      expect(p.size, `${p.name} packed bytes`).toBeLessThanOrEqual(SIZE_BUDGET[p.name].packed);
      expect(p.unpackedSize, `${p.name} unpacked bytes`).toBeLessThanOrEqual(SIZE_BUDGET[p.name].unpacked);
    }
  });

  it('agree on one version, the same engines, and the SDK depends on exactly that @aurea/events', () => {
    const events = manifest('@aurea/events');
    const sdk = manifest('@aurea/sdk');
    expect(sdk.version).toBe(events.version);
    expect(sdk.dependencies?.['@aurea/events']).toBe(events.version);
    expect(sdk.engines?.node).toBeDefined();
    expect(events.engines?.node).toBe(sdk.engines?.node);
  });

  it('export only files they ship (the workspace-only source condition aside)', () => {
    for (const name of PACKAGES) {
      const m = manifest(name);
      const shipped = new Set(packs.find((p) => p.name === name)!.files.map((f) => f.path));
      for (const [sub, target] of Object.entries(m.exports)) {
        const targets = typeof target === 'string' ? { default: target } : target;
        for (const [condition, path] of Object.entries(targets)) {
          if (condition === '@aurea/source') continue;
          expect(shipped.has(path.replace(/^\.\//, '')), `${name} exports["${sub}"].${condition} = ${path}`).toBe(true);
        }
        if (typeof target !== 'string') expect(Object.keys(targets), `${name} ${sub}`).toContain('types');
      }
    }
  });

  it('depend on exactly what their built code imports at run time', () => {
    for (const name of PACKAGES) {
      const deps = Object.keys(manifest(name).dependencies ?? {}).sort();
      expect([...runtimeImports(join(app, 'node_modules', name))].sort(), name).toEqual(deps);
    }
  });
});

describe('a plain Node program using the installed SDK', () => {
  it('runs on every supported Node line: the task event reaches Kafka, the metrics reach Prometheus', async () => {
    const majors = nodes.map((n) => Number(n.version.split('.')[0])).sort((a, b) => a - b);
    expect(majors).toEqual([22, 24, 26]);
    const runs: { version: string; service: string; jobId: string }[] = [];
    for (const node of nodes) {
      const service = `aurea-pkg-${run}-node${node.version.split('.')[0]}`;
      const jobId = `pkg-job-${run}-${node.version}`;
      const out = sh(node.bin, ['app.mjs', service, jobId, topic, BROKERS.join(','), OTLP], {
        cwd: app,
        env: userEnv(node.bin),
        timeoutMs: 60_000, // also: the process exits by itself after shutdown()
      });
      const report = JSON.parse(out.trim().split('\n').at(-1)!) as {
        node: string;
        answer: string;
        stats: { published: number; buffered: number };
      };
      expect(report).toMatchObject({ node: `v${node.version}`, answer: 'ok', stats: { published: 1, buffered: 0 } });
      const fastifyRun = JSON.parse(
        sh(node.bin, ['app-fastify.mjs'], { cwd: app, env: userEnv(node.bin) })
          .trim()
          .split('\n')
          .at(-1)!,
      ) as object;
      expect(fastifyRun, `@aurea/sdk/fastify on Node ${node.version}`).toEqual({ count: 2, rawIds: false });
      const cjs = JSON.parse(sh(node.bin, ['app.cjs'], { cwd: app, env: userEnv(node.bin) }).trim()) as object;
      expect(cjs, `require() on Node ${node.version}`).toEqual({
        init: 'function',
        priceUsage: 'function',
        topic: 'aurea.task-events.v1',
      });
      runs.push({ version: node.version, service, jobId });
    }

    const messages = await consume(runs.length);
    expect(messages).toHaveLength(runs.length);
    for (const r of runs) {
      const m = messages.find((x) => x.key === r.jobId);
      expect(m, `event of Node ${r.version}`).toBeDefined();
      const v = validateTaskEvent(m!.value);
      expect(v.ok, JSON.stringify(v)).toBe(true);
      const e = m!.value as TaskEventV1;
      expect(e).toMatchObject({ service: r.service, job_id: r.jobId, status: 'ok', pricing_status: 'priced' });
      expect(e.usage).toMatchObject({ input_tokens: 1200, output_tokens: 80, cache_read_tokens: 200 });
      expect(e.time_to_first_token_ms).not.toBeNull();

      const sel = `job="${r.service}"`;
      expect(await waitForValue(`sum(aurea_tasks_total{${sel},aurea_task_status="ok"})`, 1), r.version).toBe(1);
      expect(await waitForValue(`sum(aurea_llm_cost_USD_total{${sel}})`, e.cost_usd!), r.version).toBeCloseTo(
        e.cost_usd!,
        12,
      );
      const chunks = `gen_ai_client_operation_time_to_first_chunk_seconds_count{${sel},server_address="api.openai.com"}`;
      expect(await waitForValue(`sum(${chunks})`, 1), r.version).toBe(1);
      expect(
        await waitForValue(`sum(gen_ai_client_operation_time_per_output_chunk_seconds_count{${sel}})`, 1),
        r.version,
      ).toBe(1);
    }
  });

  it('a TypeScript project type-checks against the published declarations (tsc --noEmit)', () => {
    const tsc = join(app, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(nodes[0]!.bin, [tsc, '-p', 'tsconfig.json'], {
      cwd: app,
      env: userEnv(nodes[0]!.bin),
      encoding: 'utf8',
    });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
