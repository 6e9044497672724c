import globals from 'globals'
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', 'data/**', 'node_modules/**', 'test-results/**', 'client/generated/**']
  }),
  {
    // A TypeBox schema and its static type share a name (`User`); TypeScript itself already
    // reports real redeclarations, which is why typescript-eslint advises against this rule.
    files: ['**/*.ts'],
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  },
  {
    // The pages' scripts run in the browser, as ES modules.
    files: ['public/js/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' }
  }
]
