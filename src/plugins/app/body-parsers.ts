// How a body's bytes become a value. Fastify's own parsers decode the bytes leniently, turning
// bytes that are not UTF-8 into U+FFFD, and JSON.parse turns a number it cannot hold into
// something else: 1e400 into Infinity (stored as null) and 12345678901234567890123 into
// 12345678901234567000000. Either way the service would store what the caller never sent, so
// both are a 400 here, before any route sees the body.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { badRequest } from '../../http/errors.js'

const UTF8 = new TextDecoder('utf-8', { fatal: true })

function decode (bytes: Buffer): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    throw badRequest('body is not valid UTF-8: send the text encoded as UTF-8')
  }
}

// Only a run of 16 digits or an exponent of 3 digits can overflow a double or pass 2^53, so
// most bodies never need the token scan below.
const SUSPECT = /\d{16}|[eE][+-]?\d{3}/
// Tokens of text already known to be valid JSON: punctuation, strings, numbers, literals.
const TOKEN = /[{}[\],:]|"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/g
const INTEGER = /^-?\d+$/

function inexact (token: string): string | undefined {
  const value = Number(token)
  if (!Number.isFinite(value)) return 'is a number too large to be carried exactly (beyond ±1.8e308): send it as a string'
  if (INTEGER.test(token) && !Number.isSafeInteger(value)) {
    return `is an integer beyond ±${Number.MAX_SAFE_INTEGER} (2^53 - 1), which cannot be carried exactly: send it as a string`
  }
  return undefined
}

/** The first number in `json` (valid JSON) that JSON.parse would change, as a message naming its path. */
export function findInexactNumber (json: string, root: string): string | undefined {
  if (!SUSPECT.test(json)) return undefined
  // One entry per open object or array: the key, or the index, of the value being read in it.
  const path: Array<string | number> = []
  const isObject: boolean[] = []
  let atKey = false
  for (const [token] of json.matchAll(TOKEN)) {
    const last = path.length - 1
    switch (token[0]) {
      case '{': path.push(''); isObject.push(true); atKey = true; break
      case '[': path.push(0); isObject.push(false); break
      case '}': case ']': path.pop(); isObject.pop(); atKey = false; break
      case ',':
        if (isObject[last]) atKey = true
        else path[last] = (path[last] as number) + 1
        break
      case '"':
        if (atKey) { path[last] = JSON.parse(token) as string; atKey = false }
        break
      case ':': case 't': case 'f': case 'n': break
      default: {
        const problem = inexact(token)
        if (problem !== undefined) return `${[root, ...path].join('/')} ${problem}`
      }
    }
  }
  return undefined
}

async function bodyParsers (app: FastifyInstance): Promise<void> {
  // Fastify's own JSON parser, for its handling of empty bodies, syntax errors and __proto__ keys.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, bytes: Buffer, done) => {
    const json = decode(bytes)
    parseJson(request, json, (error, value) => {
      const problem = error === null ? findInexactNumber(json, 'body') : undefined
      if (problem !== undefined) done(badRequest(problem), undefined)
      else done(error, value)
    })
  })
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_request: FastifyRequest, bytes: Buffer, done) => {
    done(null, decode(bytes))
  })
}

export default fp(bodyParsers, { name: 'body-parsers' })
