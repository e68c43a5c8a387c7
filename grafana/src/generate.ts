// Writes grafana/dashboards/*.json from the board code (grafana/src/boards/). Run after editing
// a board: `npm run grafana:generate`. grafana/dashboards.test.ts fails when the
// checked-in JSON differs from what this would write.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allBoards, renderJson } from './boards/index.js';

export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');

function main(): void {
  mkdirSync(DASHBOARD_DIR, { recursive: true });
  const boards = allBoards();
  for (const f of readdirSync(DASHBOARD_DIR)) if (f.endsWith('.json') && !(f in boards)) rmSync(join(DASHBOARD_DIR, f));
  for (const [file, board] of Object.entries(boards)) {
    writeFileSync(join(DASHBOARD_DIR, file), renderJson(board));
    console.log(`wrote grafana/dashboards/${file} (${board.panels?.length ?? 0} panels)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
