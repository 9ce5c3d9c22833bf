// ESLint flat config: typescript-eslint's type-aware recommended rules over src, test and bench.
// Formatting is prettier's (`npm run format:check`); the only layout rule here is the line length.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'dist-check/', 'node_modules/', 'coverage/', '.dct/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // prettier wraps code at 140; this catches what it cannot wrap (long comments, long identifiers chains)
      'max-len': [
        'error',
        {
          code: 140,
          tabWidth: 2,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
      // node:test's describe/it/test return promises the runner itself awaits; every other promise must be handled
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      // async without await is deliberate: it implements promise-returning ports and turns a throw into a rejection
      '@typescript-eslint/require-await': 'off',
      // regexes that match control characters are deliberate: they refuse them in names, headers and paths
      'no-control-regex': 'off',
      // `_`-prefixed names are deliberately unused (placeholders in destructuring and callbacks)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // plain JavaScript (build scripts, this file) is not in the TypeScript project
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
