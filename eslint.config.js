// ESLint flat config: type-aware rules that guard correctness and architecture,
// run with --max-warnings 0 by the test command.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '.aurea/**',
      '**/dist/**',
      'coverage/**',
      'bench/tmp/**',
      '**/.scratch/**',
      '**/scratch/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier wraps code at 120 columns; this catches what it cannot wrap (comments).
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../*', '../../../*'],
              message: 'Do not reach across packages with ../../; import the workspace package (@aurea/...) instead.',
            },
          ],
        },
      ],
    },
  },
  {
    // The SDK is installed alone by users: it may depend on @aurea/events only.
    files: ['services/sdk/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../*'], message: 'No ../../ across packages.' },
            {
              group: ['@aurea/*', '!@aurea/events'],
              message: 'The SDK may only depend on @aurea/events; it must stay installable on its own.',
            },
          ],
        },
      ],
    },
  },
  {
    // The task-event contract depends on nothing of ours.
    files: ['services/events/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@aurea/*', '../../*'], message: 'The event contract depends on nothing of ours.' }] },
      ],
    },
  },
  {
    // The reference orchestrator is what a user's service looks like: SDK only.
    files: ['services/orchestrator/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../*'], message: 'No ../../ across packages.' },
            {
              group: ['@aurea/*', '!@aurea/sdk', '!@aurea/common'],
              message: 'The orchestrator uses the SDK (and shared config/logging) only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
