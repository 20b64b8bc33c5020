// ESLint (flat config). Type-aware typescript-eslint rules on every .ts file; formatting is
// Prettier's job (eslint-config-prettier turns off the stylistic rules that would disagree).
// Layering (who may import whom, no cycles) is checked by dependency-cruiser:
// .dependency-cruiser.cjs.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['node_modules/', 'generated/', 'dist/', 'coverage/', '.tools/', '.data/', 'test/workflow/histories/'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // One TypeScript program per tsconfig, found for each file like the editor's language
        // service does; every .ts file in the repo is in tsconfig.json's include.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: globals.node,
    },
    rules: {
      // In recommendedTypeChecked already; stated so that nobody loses it by changing presets.
      // An un-awaited promise in an activity, a route or the launcher is an unhandled rejection
      // or a step that silently runs after its caller finished.
      '@typescript-eslint/no-floating-promises': 'error',
      // Same convention as tsc's noUnusedParameters, which exempts parameters named `_…`: a
      // parameter that must exist for its position or arity (Express recognises error middleware
      // by its 4 parameters) is marked with `_`. Everything else unused is still an error.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // From strictTypeChecked: the Temporal SDK marks APIs it is replacing (searchAttributes →
      // typedSearchAttributes, …) as @deprecated, and using them is how an SDK upgrade breaks.
      '@typescript-eslint/no-deprecated': 'error',
    },
  },
  {
    // jest.config.js, test/support/summary-reporter.js: plain CommonJS run by Node, no types.
    files: ['**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'module',
      globals: globals.node,
    },
  },
  prettier,
);
