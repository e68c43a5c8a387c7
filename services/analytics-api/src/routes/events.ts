// POST /v1/events: one task event or an array of them (the seeds' manual metric POST), validated
// against the task-event contract v1, priced by Aurea (@aurea/sdk/pricing/ingest: a client's figures are
// never Aurea's), published to Kafka keyed by job_id. All or nothing: one invalid event rejects
// the request (400 naming each field), one event of a tenant the key may not write rejects it
// (403 naming each), and 202 means Kafka acknowledged every event (acks=all).
import type { FastifyPluginCallback } from 'fastify';
import { Type } from '@sinclair/typebox';
import { TaskEventV1Schema, validateTaskEvent, type NormalizedTaskEvent } from '@aurea/events';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { BadRequestError, UnavailableError, errorResponses, sendError, type FieldError } from '../errors.js';
import { priceOnIngest } from '@aurea/sdk/pricing/ingest';
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
      const forbidden: FieldError[] = [];
      const accepted: NormalizedTaskEvent[] = [];
      const tenants = req.tenants;
      items.forEach((item, i) => {
        const at = (field: string) => (many ? `/${i}${field === '/' ? '' : field}` : field);
        const r = validateTaskEvent(item);
        if (!r.ok) {
          for (const e of r.errors) errors.push({ in: 'body', field: at(e.field), message: e.message });
          return;
        }
        // Nobody is trusted through the API: the event is marked as arriving here, and priced by Aurea.
        const priced = validateTaskEvent(priceOnIngest({ ...r.event, source: 'api' }, ctx.config.priceTable));
        if (!priced.ok) {
          // Aurea's own figure can break the contract's bounds (a usage costing more than an event may carry).
          for (const e of priced.errors)
            errors.push({ in: 'body', field: at('/usage'), message: `Aurea's price of this usage: ${e.message}` });
          return;
        }
        const tenant = priced.event.tenant;
        if (tenants !== undefined && (tenant === null || !tenants.includes(tenant)))
          forbidden.push({ in: 'body', field: at('/tenant'), message: 'not a tenant this API key may write' });
        accepted.push(priced.event);
      });
      if (errors.length > 0) throw new BadRequestError(errors);
      if (forbidden.length > 0)
        return sendError(
          reply,
          403,
          'forbidden',
          `API key "${req.apiKeyLabel ?? ''}" is limited to tenants: ${forbidden.map((e) => e.field).join(', ')}`,
          { errors: forbidden },
        );
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
