import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', '.cache/**', '*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.json', './test/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  {
    // npm's postinstall script that builds the liblzma binding: plain CommonJS, run by Node.
    files: ['src/native/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The core must run without VS Code: in the CLI, in plain-Node unit tests, in worker threads.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not depend on VS Code.' }] }],
    },
  },
  {
    // Own commands go through runCommand (commands/run.ts), whose CommandId type rejects a misspelt id.
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='executeCommand'][arguments.0.value=/^cosUpload\\./]",
          message: "Run this extension's commands with runCommand() from commands/run.ts, so the id is type-checked.",
        },
      ],
    },
  },
  {
    // The emulator is an independent second implementation of the server: sharing the client's
    // signer, XML or CRC code would let one bug pass both sides. It runs outside VS Code too.
    files: ['src/emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/emulator must not depend on VS Code.' }],
          patterns: [{ group: ['**/core', '**/core/**', '**/cli/**', '**/extension/**'], message: 'The emulator must not import client code.' }],
        },
      ],
    },
  },
);
