// PostgreSQL cannot store a NUL character nor a lone UTF-16 surrogate (JSON allows both as
// \u escapes), and JSON.stringify recurses: such input must be a 400 at the edge, never a 500
// from the driver. This walks every string and key of the body, query and path parameters.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { badRequest } from '../../http/errors.js'

export const MAX_DEPTH = 32

// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The first problem found in `value`, as a message naming where it is; undefined when clean. */
export function findUnstorable (value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string, number]> = [[value, root, 0]]
  while (stack.length > 0) {
    const [item, path, depth] = stack.pop() as [unknown, string, number]
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) return `${path} contains a NUL character or invalid Unicode, which cannot be stored`
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_DEPTH) return `${path} is nested too deeply (more than ${MAX_DEPTH} levels)`
      for (const [key, child] of Object.entries(item)) {
        if (UNSTORABLE.test(key)) return `${path} has a field name with a NUL character or invalid Unicode`
        stack.push([child, `${path}/${key}`, depth + 1])
      }
    }
  }
  return undefined
}

async function inputGuard (app: FastifyInstance): Promise<void> {
  // A callback, not an async function: it runs for every request, and a promise each time costs.
  app.addHook('preValidation', (request, _reply, done) => {
    const problem = findUnstorable(request.params, 'params') ??
      findUnstorable(request.query, 'querystring') ??
      findUnstorable(request.body, 'body')
    done(problem === undefined ? undefined : badRequest(problem))
  })
}

export default fp(inputGuard, { name: 'input-guard' })
