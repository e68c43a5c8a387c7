// Request schemas (JSON Schema via TypeBox; fastify validates bodies with them) and the
// semantic checks a schema cannot express. Every refusal is a 400 naming the problem.
import { Type, type Static } from '@sinclair/typebox';
import type { ProviderRouter } from './router.js';

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$' });
const Id = Type.String({ minLength: 1, maxLength: 256 });
const Tokens = Type.Integer({ minimum: 0, maximum: 10_000_000 });

export const SyntheticSchema = Type.Object(
  {
    inputTokens: Tokens,
    outputTokens: Tokens,
    cacheReadTokens: Type.Optional(Tokens),
    cacheWriteTokens: Type.Optional(Tokens),
    reasoningTokens: Type.Optional(Tokens),
  },
  {
    additionalProperties: false,
    description: 'Exact token counts (simulated provider); a filler prompt of that size for HTTP providers',
  },
);

export const TaskSchema = Type.Object(
  {
    name: Name,
    kind: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z][A-Za-z0-9_.-]*$',
        description:
          'Bounded task kind used as the metric label aurea.task.name (e.g. "search" for search-1…search-8); default: the name without a trailing number',
      }),
    ),
    model: Type.String({ minLength: 1, maxLength: 128 }),
    prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000 })),
    synthetic: Type.Optional(SyntheticSchema),
    dependsOn: Type.Optional(Type.Array(Name, { maxItems: 64, uniqueItems: true })),
    maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    simulate: Type.Optional(
      Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('timeout')], {
        description: 'Force the simulated provider’s outcome',
      }),
    ),
  },
  { additionalProperties: false },
);

export const JobSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' })),
    tenant: Type.Optional(Id),
    user: Type.Optional(Id),
    repository: Type.Optional(Id),
    // The configured limit (ORCH_MAX_TASKS_PER_JOB) is checked after the schema, with a clearer message.
    tasks: Type.Array(TaskSchema, { minItems: 1, maxItems: 100_000 }),
  },
  { additionalProperties: false },
);

export type JobBody = Static<typeof JobSchema>;

export class JobValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks beyond the schema: task limit, unique names, known models, dependencies exist, no cycles. */
export function checkJob(
  body: JobBody,
  router: ProviderRouter,
  maxTasks: number,
  knownModels: readonly string[],
): void {
  if (body.tasks.length > maxTasks) {
    throw new JobValidationError('tasks', `too many tasks: ${body.tasks.length} (at most ${maxTasks} per job)`);
  }
  const names = new Map<string, number>();
  body.tasks.forEach((t, i) => {
    const seen = names.get(t.name);
    if (seen !== undefined)
      throw new JobValidationError(`tasks[${i}].name`, `duplicate task name "${t.name}" (also tasks[${seen}])`);
    names.set(t.name, i);
    if (!router.resolve(t.model)) {
      throw new JobValidationError(
        `tasks[${i}].model`,
        `unknown model "${t.model}" in tasks[${i}]; known models: ${knownModels.join(', ')}`,
      );
    }
    if (t.prompt !== undefined && t.synthetic !== undefined) {
      throw new JobValidationError(`tasks[${i}]`, `tasks[${i}] gives both prompt and synthetic; give one`);
    }
  });
  body.tasks.forEach((t, i) => {
    for (const d of t.dependsOn ?? []) {
      if (d === t.name) throw new JobValidationError(`tasks[${i}].dependsOn`, `task "${t.name}" depends on itself`);
      if (!names.has(d))
        throw new JobValidationError(`tasks[${i}].dependsOn`, `task "${t.name}" depends on unknown task "${d}"`);
    }
  });
  // Cycle check (iterative DFS, colours: 0 new, 1 on stack, 2 done).
  const colour = new Map<string, number>();
  const deps = new Map(body.tasks.map((t) => [t.name, t.dependsOn ?? []]));
  for (const start of names.keys()) {
    if (colour.get(start) === 2) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    colour.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const list = deps.get(top.name)!;
      if (top.next >= list.length) {
        colour.set(top.name, 2);
        stack.pop();
        continue;
      }
      const d = list[top.next++]!;
      const c = colour.get(d) ?? 0;
      if (c === 1) {
        const path = [...stack.slice(stack.findIndex((s) => s.name === d)).map((s) => s.name), d];
        throw new JobValidationError('tasks', `dependency cycle: ${path.join(' -> ')}`);
      }
      if (c === 0) {
        colour.set(d, 1);
        stack.push({ name: d, next: 0 });
      }
    }
  }
}
