// One error shape for every non-2xx answer:
//   { "error": "<code>", "message": "<human text>", "errors"?: [{ "in", "field", "message" }] }
// Validation failures name each field; a dependency that is down answers 503 saying which.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
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
    if (status >= 400 && status < 500) {
      const code =
        status === 413
          ? 'payload_too_large'
          : status === 415
            ? 'unsupported_media_type'
            : status === 404
              ? 'not_found'
              : 'bad_request';
      return sendError(reply, status, code, err.message);
    }
    req.log.error({ err }, 'request failed');
    return sendError(reply, 500, 'internal', 'internal error; see the server log');
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`),
  );
}
