// @aurea/sdk/fastify: a fastify plugin that records http.server.request.duration (OpenTelemetry
// HTTP semantic conventions) for every request of the instance it is registered on, through the
// SDK's own instrument (docs/sdk.md, "HTTP servers: the fastify plugin"; docs/metrics.md).
//
// fastify is a peer dependency of this entry only: this module imports nothing of fastify at run
// time (types only), so the core entry never loads it and a service without fastify never installs it.
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpRequestRecord } from './sdk.js';
import { getAurea } from './sdk.js';

/** What the plugin needs of the SDK: an `Aurea` from `init()`, or anything that records the same way. */
export interface HttpRecorder {
  recordHttpRequest(r: HttpRequestRecord): void;
}

export interface AureaFastifyOptions {
  /** The SDK instance to record through; default: the instance of the last `init()`, looked up per request. */
  aurea?: HttpRecorder;
}

/** error.type of a request the client aborted before the answer was sent. */
export const ABORTED_ERROR_TYPE = 'aborted';

const START = Symbol('aurea.http.start');
const RECORDED = Symbol('aurea.http.recorded');
interface Marked {
  [START]?: number;
  [RECORDED]?: true;
}

function routeOf(req: FastifyRequest): string | undefined {
  // The route template ('/v1/jobs/:id'), never the raw URL; a request no route matched has none.
  const url = (req.routeOptions as { url?: string } | undefined)?.url;
  return url === undefined || url === '' ? undefined : url;
}

const plugin: FastifyPluginCallback<AureaFastifyOptions> = (fastify, opts, done) => {
  const recorder = (): HttpRecorder | null => opts.aurea ?? getAurea();
  const record = (req: FastifyRequest, r: Omit<HttpRequestRecord, 'method' | 'route' | 'urlScheme'>) => {
    const m = req as unknown as Marked;
    if (m[RECORDED]) return;
    m[RECORDED] = true;
    try {
      recorder()?.recordHttpRequest({ method: req.method, route: routeOf(req), urlScheme: req.protocol, ...r });
    } catch (err) {
      req.log.warn({ err }, 'aurea: recording the HTTP request failed');
    }
  };

  fastify.addHook('onRequest', (req, _reply, next) => {
    (req as unknown as Marked)[START] = performance.now();
    next();
  });
  fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, next) => {
    record(req, { statusCode: reply.statusCode, durationS: reply.elapsedTime / 1000 });
    next();
  });
  // The client went away before the answer: no status code was sent (the conventions leave it out).
  fastify.addHook('onRequestAbort', (req, next) => {
    const start = (req as unknown as Marked)[START];
    record(req, {
      statusCode: undefined,
      durationS: start === undefined ? 0 : (performance.now() - start) / 1000,
      errorType: ABORTED_ERROR_TYPE,
    });
    next();
  });
  done();
};

// Not encapsulated: the hooks apply to every route of the instance it is registered on, like
// fastify-plugin's wrapper does (fastify's documented `skip-override` symbol; no extra dependency).
const meta = plugin as unknown as Record<symbol, unknown>;
meta[Symbol.for('skip-override')] = true;
meta[Symbol.for('fastify.display-name')] = '@aurea/sdk/fastify';
meta[Symbol.for('plugin-meta')] = { name: '@aurea/sdk/fastify', fastify: '>=4.21.0 <6' };

/**
 * `app.register(aureaFastify, { aurea })`: http.server.request.duration for every request, by
 * method, route template, status code, url.scheme and error.type.
 */
export const aureaFastify = plugin;
export default aureaFastify;
