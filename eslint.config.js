import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders that form the library must never import the faces built on it. */
const libraryBoundary = {
  patterns: [
    {
      group: ['**/cli/**', '**/simulator/**'],
      message: 'The library (openai/, events/, stores/) must not import cli/ or simulator/.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.openai-ops/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/openai/**', 'src/events/**', 'src/stores/**'],
    rules: { 'no-restricted-imports': ['error', libraryBoundary] },
  },
  {
    files: ['src/simulator/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/openai/**', '**/events/**', '**/stores/**', '**/cli/**'],
              message: 'The simulator stands alone so tests against it are independent.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
