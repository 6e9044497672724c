// Module hooks for test/loader/register.mjs: `.ts` files are compiled by esbuild with a source map
// and line structure kept, and `./x.js` resolves to `./x.ts` when only the latter exists (the
// sources import each other by the names tsc gives them in dist/).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'

export async function resolve (specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js') || !/^(\.{1,2}\/|file:)/.test(specifier)) throw error
    return await nextResolve(`${specifier.slice(0, -3)}.ts`, context)
  }
}

export async function load (url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return await nextLoad(url, context)
  const path = fileURLToPath(url)
  // Read at once: fs/promises' open, read and close, three trips through the event loop of the
  // hooks' thread for each of the hundreds of files a test file loads, cost more than the compile.
  const { code } = await transform(readFileSync(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    sourcefile: path,
    sourcemap: 'inline',
    target: `node${process.versions.node}`,
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: false, useDefineForClassFields: true } }
  })
  return { format: 'module', source: code, shortCircuit: true }
}
