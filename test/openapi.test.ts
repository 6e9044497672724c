// The drift check: API clients are generated from the committed file, so it must be what the code serves.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { renderOpenApi, SPEC_FILE } from '../src/spec.js'

t.test('openapi/openapi.json is what the code emits (when this fails: `make openapi` and commit the file)', async (t) => {
  const rendered = await renderOpenApi()
  t.equal(readFileSync(SPEC_FILE, 'utf8'), rendered)
  const spec = JSON.parse(rendered) as { openapi: string, paths: Record<string, unknown> }
  t.equal(spec.openapi, '3.1.0')
  t.ok('/api/v1/users/me' in spec.paths, 'the spec has the routes in it, not an empty document')
})
