// ESLint (flat config): @eslint/js and typescript-eslint's recommended rules over every TypeScript and JavaScript
// file we write; formatting is prettier's job (.prettierrc.json), so no stylistic rules here.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // simd/ is AssemblyScript (v128 types, @inline on functions): asc compiles and checks it
  globalIgnores(['node_modules/', 'data/', 'runs/', 'out/', '.ci/', '.device/', '.gl/', '.carry/', 'docs/', 'simd/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
);
