// /v1/budgets: every configured budget's spend, remaining, percent used and projection.
import type { FastifyPluginCallback } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CURRENCY } from '@aurea/clickhouse/queries';
import { computeBudgets, type Budget, type BudgetStatus } from '../budgets.js';
import { READ_SECURITY, type RouteContext } from '../context.js';
import { errorResponses, sendError } from '../errors.js';
import { BudgetStatusSchema, BudgetsResponse } from '../schemas.js';

const publicView = ({ gauge: _gauge, ...rest }: BudgetStatus) => rest;

/**
 * The budgets a key may see: all of them, or — for a key limited to tenants — the tenant budgets
 * of those tenants (a global, provider, … budget sums every tenant's spend).
 */
const visible = (budgets: readonly Budget[], tenants: readonly string[] | undefined) =>
  tenants === undefined
    ? budgets
    : budgets.filter((b) => b.scope === 'tenant' && b.value !== undefined && tenants.includes(b.value));

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
    async (req) => {
      const now = new Date();
      const statuses = await computeBudgets(ctx.ch, visible(ctx.config.budgets, req.tenants), now);
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
      const b = visible(ctx.config.budgets, req.tenants).find((x) => x.name === req.params.name);
      if (!b) return sendError(reply, 404, 'not_found', `no budget named ${JSON.stringify(req.params.name)}`);
      const [s] = await computeBudgets(ctx.ch, [b]);
      return publicView(s!);
    },
  );
  done();
};
