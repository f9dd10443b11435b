// ESLint for src, test, bench and the dashboard; formatting is Prettier's (eslint-config-prettier
// turns off the rules it owns).
//
// Two depths, because type-aware linting is the slow part (about 90 s of CPU for the whole tree on
// a 2-core machine, where the everyday run must stay well under 45 s):
// - `npm run lint` (and `npm test`): typescript-eslint's strict rules everywhere, plus the
//   type-aware rules that catch real faults (unhandled promises, `any` flowing out of a call,
//   impossible conditions, throwing non-errors) on src/, the code that ships. Tests, bench and the
//   dashboard are type-checked by tsc already.
// - `npm run lint:full` (CI runs it too; LINT_FULL=1): the whole strictTypeChecked set on every file.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const full = process.env.LINT_FULL === '1';

const ourUntypedRules = {
  // With noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the idiom; `!` elsewhere is
  // reviewed by hand (the pipeline reads missing context fields through `need`).
  '@typescript-eslint/no-non-null-assertion': 'off',
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
};

const ourRules = {
  ...ourUntypedRules,
  // Numbers and booleans read naturally in messages; objects and nullish values do not.
  '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
  '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
};

/** The type-aware rules the everyday run keeps on src/: each has caught a fault in this tree or its kind. */
const everydayTypedRules = [
  'await-thenable',
  'no-floating-promises',
  'no-misused-promises',
  'no-unsafe-argument',
  'no-unsafe-assignment',
  'no-unsafe-return',
  'no-unnecessary-condition',
  'only-throw-error',
  'prefer-promise-reject-errors',
  'restrict-template-expressions',
];

/** Every other type-aware rule of strictTypeChecked, turned off for the everyday run. */
function otherTypedRulesOff() {
  const off = {};
  for (const [name, rule] of Object.entries(tseslint.plugin.rules)) {
    if (rule.meta.docs?.requiresTypeChecking && !everydayTypedRules.includes(name)) off[`@typescript-eslint/${name}`] = 'off';
  }
  return off;
}

const ignores = { ignores: ['dist/', 'node_modules/', 'bench/results/', 'test-artifacts/', 'dashboard/dist/', '**/*.js', '**/*.cjs', '**/*.mjs'] };

const fullConfig = [
  ignores,
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json', './dashboard/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: ourRules,
  },
  prettier,
];

const everydayConfig = [
  ignores,
  // Directives that silence a rule the everyday run leaves off are checked by the full run.
  { linterOptions: { reportUnusedDisableDirectives: 'off' } },
  js.configs.recommended,
  ...tseslint.configs.strict,
  { rules: ourUntypedRules },
  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: { ...ourRules, ...otherTypedRulesOff() },
  },
  prettier,
];

export default tseslint.config(...(full ? fullConfig : everydayConfig));
