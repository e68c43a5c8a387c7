// Writes schema/task-event.v1.json from the TypeBox definition (run after editing schema.ts:
// `npx tsx services/events/src/gen-schema.ts`). schema.test.ts keeps the two in step.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TaskEventV1Schema } from './model.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../schema/task-event.v1.json', import.meta.url));

export function renderSchema(): string {
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...(JSON.parse(JSON.stringify(TaskEventV1Schema)) as object),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
