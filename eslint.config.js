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
            { group: nodeBuiltins, message: 'protocol/ is pure: no Node APIs.' },
            {
              group: ['electron', 'react', '**/electron/**', '**/renderer/**', '**/test/**'],
              message: 'protocol/ imports nothing of ours outside protocol/.',
            },
          ],
        },
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
              regex: '(^|/)electron/(?!api/contract)',
              message:
                'The renderer may import only electron/api/contract (types) from the main side.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/main.ts', 'electron/preload.ts', 'electron/ipc/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron'],
              message:
                'Only electron/main.ts, preload.ts and electron/ipc/ import Electron; the engine runs under plain Node.',
            },
            { group: ['**/renderer/**'], message: 'The main side never imports the renderer.' },
          ],
        },
      ],
    },
  },
);
