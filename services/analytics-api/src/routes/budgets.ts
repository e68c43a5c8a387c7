// /v1/budgets: every configured budget's spend, remaining, percent used and projection.
import type { FastifyPluginCallback } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CURRENCY } from '@aurea/clickhouse/queries';
import { computeBudgets, type BudgetStatus } from '../budgets.js';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { errorResponses, sendError } from '../errors.js';
import { BudgetStatusSchema, BudgetsResponse } from '../schemas.js';

const publicView = ({ gauge: _gauge, ...rest }: BudgetStatus) => rest;

export const budgetsRoutes: FastifyPluginCallback<RouteContext> = (fastify, ctx, done) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/budgets',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Status of every budget',
        tags: ['budgets'],
        security: READ_SECURITY,
        response: { 200: BudgetsResponse, ...errorResponses(401, 403, 503) },
      },
    },
    async () => {
      const now = new Date();
      const statuses = await computeBudgets(ctx.ch, ctx.config.budgets, now);
      return { currency: CURRENCY, as_of: now.toISOString(), budgets: statuses.map(publicView) };
    },
  );

  app.get(
    '/budgets/:name',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Status of one budget',
        tags: ['budgets'],
        security: READ_SECURITY,
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
        response: { 200: BudgetStatusSchema, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      const b = ctx.config.budgets.find((x) => x.name === req.params.name);
      if (!b) return sendError(reply, 404, 'not_found', `no budget named ${JSON.stringify(req.params.name)}`);
      const [s] = await computeBudgets(ctx.ch, [b]);
      return publicView(s!);
    },
  );
  done();
};
