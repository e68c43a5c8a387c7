// Vitest configuration: two projects.
//  - unit: *.test.ts next to the code, no external processes.
//  - integration: *.integration.test.ts and test/e2e/**, need the stack started by
//    scripts/stack/start.sh (the README's test command does that).
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under this condition (docs/sdk.md, "Install").
const sources = { resolve: { conditions: ['@aurea/source', ...defaultServerConditions] } };

export default defineConfig({
  test: {
    projects: [
      {
        ssr: sources,
        test: {
          name: 'unit',
          include: [
            'services/*/src/**/*.test.ts',
            'clickhouse/src/**/*.test.ts',
            'test/**/*.test.ts',
            'grafana/**/*.test.ts',
            'k8s/**/*.test.ts',
            'collector/**/*.test.ts',
            'prometheus/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          exclude: ['**/*.integration.test.ts', 'test/e2e/**', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        ssr: sources,
        test: {
          name: 'integration',
          include: ['**/*.integration.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The real stack is shared; files run one at a time so timings and broker load stay sane.
          fileParallelism: false,
        },
      },
    ],
  },
});
