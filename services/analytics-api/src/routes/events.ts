// POST /v1/events: one task event or an array of them (the seeds' manual metric POST), validated
// against the task-event contract v1, published to Kafka keyed by job_id. All or nothing: one
// invalid event rejects the request (400 naming each field), and 202 means Kafka acknowledged
// every event (acks=all).
import type { FastifyPluginCallback } from 'fastify';
import { Type } from '@sinclair/typebox';
import { TaskEventV1Schema, validateTaskEvent } from '@aurea/events';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { BadRequestError, UnavailableError, errorResponses, type FieldError } from '../errors.js';
import { IngestAccepted } from '../schemas.js';

// The contract's schema without its $id, so the OpenAPI document can inline it twice.
const { $id: _id, ...EventSchema } = TaskEventV1Schema;

export const eventsRoutes: FastifyPluginCallback<RouteContext> = (app, ctx, done) => {
  const { ingest } = ctx.config;
  app.post(
    '/events',
    {
      config: { access: 'ingest' },
      bodyLimit: ingest.bodyLimitBytes,
      // Documented with the contract's schema, validated by the contract's own validator
      // (validateTaskEvent) so the field errors match what the consumer would dead-letter.
      validatorCompiler: () => () => true,
      schema: {
        summary: 'Ingest task events',
        description: `One task event (schema v1) or an array of up to ${ingest.maxEventsPerRequest}. All or nothing: any invalid event rejects the whole request with each invalid field named; 202 means Kafka acknowledged every event. Retrying a request is safe: event_id is the idempotency key.`,
        tags: ['ingest'],
        security: READ_SECURITY,
        body: Type.Union([
          Type.Unsafe(EventSchema),
          Type.Array(Type.Unsafe(EventSchema), { minItems: 1, maxItems: ingest.maxEventsPerRequest }),
        ]),
        response: { 202: IngestAccepted, ...errorResponses(400, 401, 403, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      const body: unknown = req.body;
      const many = Array.isArray(body);
      const items: unknown[] = many ? body : [body];
      if (items.length === 0) throw new BadRequestError([{ in: 'body', field: '/', message: 'no events' }]);
      if (items.length > ingest.maxEventsPerRequest) {
        throw new BadRequestError([
          {
            in: 'body',
            field: '/',
            message: `at most ${ingest.maxEventsPerRequest} events per request, got ${items.length}`,
          },
        ]);
      }
      const errors: FieldError[] = [];
      const accepted: ({ event_id: string; job_id: string } & Record<string, unknown>)[] = [];
      items.forEach((item, i) => {
        const r = validateTaskEvent(item);
        if (!r.ok) {
          for (const e of r.errors)
            errors.push({
              in: 'body',
              field: many ? `/${i}${e.field === '/' ? '' : e.field}` : e.field,
              message: e.message,
            });
          return;
        }
        // Published as sent (the consumer normalizes), marked as coming through the API unless the caller
        // said otherwise.
        accepted.push({
          ...(item as Record<string, unknown>),
          source: r.event.source === 'sdk' && !('source' in (item as object)) ? 'api' : r.event.source,
          event_id: r.event.event_id,
          job_id: r.event.job_id,
        });
      });
      if (errors.length > 0) throw new BadRequestError(errors);
      if (!ctx.publisher)
        throw new UnavailableError('kafka', 'ingest is not configured on this instance (no Kafka publisher)');
      await ctx.publisher.publish(accepted);
      req.log.info({ events: accepted.length, apiKey: req.apiKeyLabel }, 'events accepted');
      return reply
        .code(202)
        .send({ accepted: accepted.length, event_ids: accepted.map((e) => e.event_id), topic: ingest.topic });
    },
  );
  done();
};
