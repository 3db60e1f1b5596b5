import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The adapters around the engine: each may import the inner layers, none another adapter. */
const ADAPTERS = ['proxy', 'supervisor', 'ledger', 'ui', 'sealed'];

/** One layer's import rule: `files` may not import from the folders (or files) of src named in `banned`. */
function layer(files, banned, message) {
  const group = banned.flatMap((name) => (name === './*' ? ['../*', './*'] : [`**/${name}/*`, `**/${name}.js`]));
  return [{ files: [files], rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] } }];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        TextDecoder: 'readonly',
      },
    },
  },
  {
    // The bin is CommonJS, like the bundle it loads (bin/package.json).
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly' } },
  },
  {
    // A function that holds a whole lifecycle is several concerns: split it (docs/ARCHITECTURE.md).
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }] },
  },
  {
    // The budget engine is pure: no I/O, no clocks, no Node built-ins, and nothing of capped's
    // outside src/budget.
    files: ['src/budget/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', 'execa', 'ink', 'react', '../*'] }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'Date', 'process', 'performance'],
    },
  },
  // The other layers (docs/ARCHITECTURE.md): imports point inward. cli may import everything;
  // sealed, proxy, supervisor, ledger and ui import the inner layers, not each other; config,
  // pricing, model and errors import only what is inside them.
  ...layer('src/errors.ts', ['./*'], 'src/errors.ts imports nothing of capped'),
  ...layer('src/model/**/*.ts', ['config', 'pricing', 'errors', ...ADAPTERS, 'cli'], 'src/model holds shared types; it imports only src/budget'),
  ...layer('src/pricing/**/*.ts', ['config', ...ADAPTERS, 'cli'], 'src/pricing imports only budget, model and errors'),
  ...layer('src/config/**/*.ts', ['pricing', ...ADAPTERS, 'cli'], 'src/config imports only budget, model and errors'),
  ...ADAPTERS.filter((name) => name !== 'sealed').map(
    (name) =>
      layer(
        `src/${name}/**/*.{ts,tsx}`,
        [...ADAPTERS.filter((other) => other !== name), 'cli'],
        `src/${name} imports inner layers (budget, pricing, model, config, errors), not another adapter or cli`,
      )[0],
  ),
  ...layer('src/sealed/**/*.ts', ['ledger', 'ui', 'cli'], 'src/sealed composes proxy and supervisor; it imports no ledger, ui or cli'),
);
