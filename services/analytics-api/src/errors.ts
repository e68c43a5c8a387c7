// One error shape for every non-2xx answer, including those fastify and Node's HTTP parser make
// before a route runs (bad URL encoding, a path parameter too long, headers too large):
//   { "error": "<code>", "message": "<human text>", "errors"?: [{ "in", "field", "message" }] }
// Validation failures name each field; a dependency that is down answers 503 saying which.
// docs/api.md, "Failure classes", lists every class.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';

export const FieldErrorSchema = Type.Object({
  in: Type.Union([Type.Literal('body'), Type.Literal('querystring'), Type.Literal('params'), Type.Literal('headers')]),
  field: Type.String({ description: 'JSON pointer of the offending field, e.g. /limit or /0/usage/input_tokens' }),
  message: Type.String(),
});
export type FieldError = Static<typeof FieldErrorSchema>;

export const ErrorSchema = Type.Object(
  {
    error: Type.String({
      description: 'Machine-readable code: validation_failed, unauthorized, forbidden, not_found, unavailable, …',
    }),
    message: Type.String(),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
    dependency: Type.Optional(Type.String({ description: 'For 503: the dependency that is unavailable' })),
  },
  { $id: 'Error', title: 'Error' },
);
export type ErrorBody = Static<typeof ErrorSchema>;

/** The `error` code of each status (400 with named fields is `validation_failed`). */
export const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'header_fields_too_large',
  500: 'internal',
  503: 'unavailable',
};
export const errorCode = (status: number): string =>
  ERROR_CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request');

/** Standard error responses for a route's schema. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorSchema)])) as Record<number, ReturnType<typeof Type.Ref>>;

export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  extra: Partial<ErrorBody> = {},
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error, message, ...extra });
}

/** A dependency (ClickHouse, Kafka) could not be reached: answered as 503. */
export class UnavailableError extends Error {
  constructor(
    readonly dependency: 'clickhouse' | 'kafka',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnavailableError';
  }
}

/** A request that is well-formed but cannot be served (bad cursor, inverted range …): 400. */
export class BadRequestError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.in} ${e.field}: ${e.message}`).join('; '));
    this.name = 'BadRequestError';
  }
}

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fieldOf(e: AjvLikeError): string {
  const base = e.instancePath ?? '';
  if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string')
    return `${base}/${e.params.missingProperty}`;
  if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string')
    return `${base}/${e.params.additionalProperty}`;
  return base || '/';
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const where: FieldError['in'] = err.validationContext ?? 'body';
      const errors = (err.validation as AjvLikeError[]).map((e) => ({
        in: where,
        field: fieldOf(e),
        message:
          e.keyword === 'additionalProperties'
            ? 'unknown field'
            : e.keyword === 'enum' && Array.isArray(e.params?.allowedValues)
              ? `must be one of: ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`
              : (e.message ?? String(e.keyword)),
      }));
      return sendError(
        reply,
        400,
        'validation_failed',
        `invalid request: ${errors.map((e) => `${e.in} ${e.field} ${e.message}`).join('; ')}`,
        { errors },
      );
    }
    if (err instanceof BadRequestError)
      return sendError(reply, 400, 'validation_failed', `invalid request: ${err.message}`, { errors: err.errors });
    if (err instanceof UnavailableError) {
      req.log.warn({ err, dependency: err.dependency }, 'dependency unavailable');
      void reply.header('retry-after', '5');
      return sendError(reply, 503, 'unavailable', err.message, { dependency: err.dependency });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendError(reply, status, errorCode(status), err.message);
    req.log.error({ err }, 'request failed');
    return sendError(reply, 500, 'internal', 'internal error; see the server log');
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`),
  );
}

/**
 * fastify's `frameworkErrors`: what its router rejects before any route runs — a URL that does
 * not decode (400) and a path parameter longer than the router's maxParamLength (414).
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendError(reply, 414, errorCode(414), 'a path parameter is longer than this route accepts');
    return;
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    void sendError(reply, 400, errorCode(400), 'the URL path is not valid percent-encoded UTF-8');
    return;
  }
  const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 400;
  void sendError(reply, status, errorCode(status), err.message);
}

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser rejects (headers too large: 431; a
 * request that timed out: 408; anything else unparseable: 400), written on the socket in the
 * same shape, then the connection is closed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message =
    status === 431
      ? 'request headers are larger than the server accepts'
      : status === 408
        ? 'the request did not arrive in time'
        : 'the request is not valid HTTP';
  const body = JSON.stringify({ error: errorCode(status), message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
