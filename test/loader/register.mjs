// The loader tap starts every test file with (package.json): it runs the TypeScript sources as
// they are, compiled one file at a time by esbuild. tsx would do the same, but it minifies
// whitespace, which folds each file onto a few lines, and V8's coverage then counts every
// function of a line as run once any of them is: uncovered code reported as covered.
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
