// ESLint (flat config): the JavaScript and typescript-eslint recommended rules over every folder tsconfig.json
// compiles. `npm run lint` runs it, and `npm test` runs that before mocha.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'keys-dev/', 'test/fixtures/'] },
  {
    files: ['{bin,cli,lib,signer,tsa,config,oidc,decision,ca,ct,server,trust,monitor,search,ui,test,bench}/**/*.ts', '*.js'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // `const { iss: _iss, ...rest } = claims` is how the code drops a field from an object: the named sibling
      // exists to be left out of `rest`, so it is not an unused variable.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The web page's script runs in the browser as it is (no build step): the JavaScript rules, browser globals.
    files: ['ui/assets/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['document', 'window', 'location', 'history', 'fetch', 'URL', 'URLSearchParams', 'Node', 'crypto', 'atob', 'btoa', 'setInterval', 'globalThis', 'TextEncoder']
          .map((name) => [name, 'readonly']),
      ),
    },
  },
);
