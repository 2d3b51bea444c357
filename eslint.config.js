import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// Folders are layers; these rules keep the direction of dependency (see ARCHITECTURE.md).
const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'net',
  'os',
  'crypto',
  'child_process',
  'zlib',
  'stream',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'test/e2e/screenshots/', 'resources/**/*.lua'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['protocol/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything not relative is a Node built-in or an npm package.
              regex: '^[^.]',
              message: 'protocol/ is pure: no Node built-ins and no npm packages.',
            },
            {
              regex: '(^|/)(electron|renderer|test|resources|scripts)/',
              message: 'protocol/ imports nothing of ours outside protocol/.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['Buffer', 'process', 'require', 'global', '__dirname', '__filename'].map((name) => ({
          name,
          message: 'protocol/ runs in the renderer and workers too: no Node globals.',
        })),
        ...['setImmediate', 'clearImmediate'].map((name) => ({
          name,
          message: 'protocol/ has no event loop of its own: take timers from the caller.',
        })),
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'The renderer has no Node APIs.' },
            {
              // A regex, not a group: gitignore-style 'electron' also matched ../electron/api/contract.
              regex: '^electron$',
              message: 'The renderer talks to the engine only through the typed API.',
            },
            {
              regex: '(^|/)electron/(?!api/contract(-client|-wire|-validators)?$)',
              message:
                'The renderer may import only electron/api/contract* (the typed API) from the main side.',
            },
            {
              regex: '(^|/)test/',
              message: 'The renderer never imports test code (the contract mock lives in test/).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/api/contract*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.)',
              message: 'The contract runs in the renderer too: no Node built-ins or packages.',
            },
            {
              regex: '(^|/)(engine|cli|web|capture)/',
              message: 'The contract imports only protocol/ types and its siblings.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/main.ts', 'electron/preload.ts', 'electron/api/contract*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron'],
              message:
                'Only electron/main.ts and preload.ts import Electron; the engine runs under plain Node.',
            },
            { group: ['**/renderer/**'], message: 'The main side never imports the renderer.' },
            { group: ['**/test/**'], message: 'Shipped code never imports test code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/engine/**/*.ts', 'electron/capture/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron'],
              message: 'The engine runs under plain Node: no Electron.',
            },
            { group: ['**/renderer/**'], message: 'The main side never imports the renderer.' },
            { group: ['**/test/**'], message: 'Shipped code never imports test code.' },
            {
              regex: '(^|/)(cli|web)/',
              message: 'The engine serves the CLI and web mode; it never imports them.',
            },
          ],
        },
      ],
    },
  },
);
