// buildApp: the analytics API as a fastify instance, assembled from plugins (auth, errors,
// OpenAPI) and route plugins (health, /v1 jobs, attribution, budgets, events). It opens no
// connections of its own: the caller passes the ClickHouse client (shared with the consumer in
// the single-process main job), the Kafka publisher and the SDK handle, and closes them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Meter } from '@opentelemetry/api';
import type { AureaClickHouse } from '@aurea/clickhouse';
import type { HttpRequestRecord } from '@aurea/sdk';
import { aureaFastify } from '@aurea/sdk/fastify';
import type { Logger } from '@aurea/common';
import { LIMITS } from '@aurea/events';
import { authPlugin } from './auth.js';
import { computeBudgets, toGauges, type BudgetGauge } from './budgets.js';
import type { ApiConfig } from './config.js';
import { cursorCodec } from './cursor.js';
import { ErrorSchema, clientErrorHandler, frameworkErrors, installErrorHandler } from './errors.js';
import type { IngestPublisher } from './publisher.js';
import { attributionRoutes } from './routes/attribution.js';
import { budgetsRoutes } from './routes/budgets.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoutes, type ReadinessChecks } from './routes/health.js';
import { jobsRoutes } from './routes/jobs.js';
import { latencyRoutes } from './routes/latency.js';
import { repriceRoutes } from './routes/reprice.js';

/** The parts of the SDK handle (`await init(...)` of @aurea/sdk) the API uses. */
export interface AureaHandle {
  setBudgets(budgets: BudgetGauge[]): void;
  metricsHandler?(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** http.server.request.duration through the SDK's fastify plugin (preferred over `meter`). */
  recordHttpRequest?(r: HttpRequestRecord): void;
  meter?: Meter;
}

export interface BuildAppOptions {
  ch: AureaClickHouse;
  config: ApiConfig;
  logger: Logger;
  publisher?: IngestPublisher | undefined;
  /** Meter for the API's own HTTP metrics (defaults to aurea.meter). */
  meter?: Meter | undefined;
  /** SDK handle: budget gauges and the /metrics handler. */
  aurea?: AureaHandle | undefined;
  /** How often budget gauges are recomputed (ms); 0 = only at start. Default 30 s. */
  budgetRefreshMs?: number | undefined;
  /** More parts /ready reflects (the local runtime: its consumer). */
  readiness?: ReadinessChecks | undefined;
}

export const API_VERSION = '1.0.0';

export async function buildApp(o: BuildAppOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = o.logger; // pino's Logger, seen through fastify's logger interface
  const app = Fastify({
    loggerInstance: logger,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(h) ? h : randomUUID();
    },
    ajv: {
      customOptions: {
        coerceTypes: 'array',
        useDefaults: true,
        removeAdditional: false,
        allErrors: true,
        // With ajv's strictNumbers, a string coerced to ±Infinity ("Infinity", "1e309") skips the
        // minimum/maximum checks (they only run on finite numbers); without it the bounds reject it.
        strictNumbers: false,
      },
    },
    bodyLimit: o.config.ingest.bodyLimitBytes,
    trustProxy: o.config.trustProxy ?? false,
    // A path parameter may be as long as the contract allows an id (decoded characters); longer → 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: LIMITS.id },
    // What fastify's router and Node's HTTP parser reject answers in the API's error shape too.
    frameworkErrors,
    clientErrorHandler,
  });

  app.addSchema(ErrorSchema);
  installErrorHandler(app);
  // Request bodies may be compressed (Content-Encoding gzip, deflate or br: what HTTP clients and
  // collectors send); answers are not. bodyLimit bounds the decompressed body (fastify counts the
  // decoded bytes), so a small compressed body cannot expand past it (docs/api.md, Conventions).
  await app.register(compress, {
    globalCompression: false,
    requestEncodings: ['gzip', 'deflate', 'br'],
    onUnsupportedRequestEncoding: (_req, encoding) =>
      Object.assign(new Error(`unsupported Content-Encoding ${JSON.stringify(encoding)}: use gzip, deflate or br`), {
        statusCode: 415,
      }),
  });

  if (o.config.docs) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Aurea analytics API',
          version: API_VERSION,
          description:
            'Per-job LLM cost and latency analytics, cost attribution, budgets and task-event ingest. Money is a decimal string with 9 decimals; every answer states its currency.',
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'API key as bearer token' },
            apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          },
        },
        tags: [
          { name: 'jobs', description: 'Per-job cost, tokens and latency' },
          {
            name: 'attribution',
            description: 'Cost by model, provider, service, task, tenant, user, repository over time',
          },
          { name: 'latency', description: 'Exact latency percentiles per agent, repository, user, …' },
          { name: 'budgets', description: 'Budgets defined as data, their spend and projection' },
          { name: 'ingest', description: 'Task events in' },
          { name: 'health', description: 'Liveness, readiness, metrics' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, (_req, reply) => reply.send(app.swagger()));
  }

  await app.register(authPlugin, o.config.auth);

  const aureaHttp = o.aurea?.recordHttpRequest?.bind(o.aurea);
  const meter = o.meter ?? o.aurea?.meter;
  if (aureaHttp && !o.meter) {
    // The SDK's plugin (docs/sdk.md): route templates, aborted requests, url.scheme, error.type.
    await app.register(aureaFastify, { aurea: { recordHttpRequest: aureaHttp } });
  } else if (meter) {
    const duration = meter.createHistogram('http.server.request.duration', {
      unit: 's',
      description: 'Duration of HTTP server requests.',
    });
    app.addHook('onResponse', (req, reply, done) => {
      duration.record(reply.elapsedTime / 1000, {
        'http.request.method': req.method,
        'http.route': req.routeOptions.url ?? 'unmatched',
        'http.response.status_code': reply.statusCode,
        ...(reply.statusCode >= 500 ? { 'error.type': String(reply.statusCode) } : {}),
      });
      done();
    });
  }

  const ctx = {
    ch: o.ch,
    config: o.config,
    publisher: o.publisher,
    cursors: cursorCodec(o.config.cursorSecrets ?? []),
  };
  await app.register(healthRoutes, {
    ...ctx,
    metricsHandler: o.aurea?.metricsHandler?.bind(o.aurea),
    readiness: o.readiness,
  });
  await app.register(
    async (v1) => {
      await v1.register(jobsRoutes, ctx);
      await v1.register(attributionRoutes, ctx);
      await v1.register(latencyRoutes, ctx);
      await v1.register(budgetsRoutes, ctx);
      await v1.register(eventsRoutes, ctx);
      await v1.register(repriceRoutes, ctx);
    },
    { prefix: '/v1' },
  );

  const aurea = o.aurea;
  if (aurea && o.config.budgets.length > 0) {
    const refresh = async () => {
      try {
        aurea.setBudgets(toGauges(await computeBudgets(o.ch, o.config.budgets)));
      } catch (err) {
        app.log.warn({ err }, 'budget gauges not refreshed (ClickHouse unavailable?); keeping the last values');
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> | undefined;
    app.addHook('onReady', async () => {
      inFlight = refresh();
      await inFlight;
      const every = o.budgetRefreshMs ?? 30_000;
      if (every > 0) {
        timer = setInterval(() => {
          inFlight ??= refresh().finally(() => (inFlight = undefined));
        }, every);
        timer.unref();
      }
      inFlight = undefined;
    });
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await inFlight;
    });
  }

  return app;
}
