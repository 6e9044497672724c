// How requests are validated. Bodies are strict: no type coercion and no silent removal of
// unknown fields (Fastify's defaults do both), so `"first_name": 12` or an extra `role` is a 400.
// Query strings and path parameters arrive as text, so those are still coerced.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifyServerOptions, FastifySchemaCompiler } from 'fastify'
import { EMAIL_LOCAL_PART_PATTERN, HAS_LETTER, NAME_FORMAT, NAME_PATTERN } from '../schemas/user.js'
import { POLICY_PATTERN } from '../schemas/users.js'

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

// `x-examples` is documentation for the spec (see schemas/common.ts), not a rule to check.
const COMMON: Options = { useDefaults: true, allErrors: false, strict: true, keywords: ['x-examples'] }

function ajvFor (options: Options, externalSchemas: Record<string, unknown>): Ajv {
  const ajv = new Ajv({ ...COMMON, ...options })
  addFormats(ajv)
  ajv.addFormat(NAME_FORMAT, HAS_LETTER)
  for (const schema of Object.values(externalSchemas)) ajv.addSchema(schema as object)
  return ajv
}

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

/**
 * Ajv coerces text such as `1e400` or `-Infinity` to an infinite number, and then skips the
 * range checks (`maximum`, `minimum`), which it only applies to finite numbers: an id of
 * Infinity would reach the database. So a query or path value must also be a finite number.
 */
function finite (validate: ValidateFunction): Validator {
  const check: Validator = (data) => {
    check.errors = validate(data) ? infinite(data as Record<string, unknown>) : validate.errors
    return check.errors === null
  }
  return check
}

function infinite (fields: Record<string, unknown>): ErrorObject[] | null {
  const key = Object.keys(fields).find((name) => typeof fields[name] === 'number' && !Number.isFinite(fields[name]))
  return key === undefined
    ? null
    : [{ keyword: 'finite', instancePath: `/${key}`, schemaPath: '', params: {}, message: 'must be a finite number' }]
}

/**
 * The two Ajv instances for a set of shared schemas, made once per process: making one compiles
 * Ajv's meta-schemas and the formats again, about half of what building an app costs, and the tests
 * build about two hundred. Validators are pure functions of their schema, so apps can share them.
 */
const validators = new Map<string, { body: Ajv, text: Ajv }>()

function validatorsFor (externalSchemas: Record<string, unknown>): { body: Ajv, text: Ajv } {
  const key = JSON.stringify(externalSchemas)
  let found = validators.get(key)
  if (found === undefined) {
    found = {
      body: ajvFor({ coerceTypes: false, removeAdditional: false }, externalSchemas),
      text: ajvFor({ coerceTypes: 'array', removeAdditional: true }, externalSchemas)
    }
    validators.set(key, found)
  }
  return found
}

export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildValidator (externalSchemas: Record<string, unknown>) {
      const { body, text } = validatorsFor(externalSchemas)
      const compiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
        httpPart === 'body' ? body.compile(schema as object) : finite(text.compile(schema as object))
      return compiler as never
    }
  }
}

/** Fields a customer can never write; naming them, and where they are written, tells the caller why. */
const ADMIN_ONLY: Record<string, string> = {
  role: 'an admin sets it with PATCH /api/v1/users/{id}',
  policy: 'an admin sets it with PUT /api/v1/users/{id}/genetics',
  genetic_result: 'an admin sets it with PUT /api/v1/users/{id}/genetics'
}
const SERVER_SET = new Set(['id', 'created_at', 'modified_at'])

const PATTERN_MESSAGES: Record<string, string> = {
  [NAME_PATTERN]: 'must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters',
  [EMAIL_LOCAL_PART_PATTERN]: 'must have at most 64 characters before the @',
  [POLICY_PATTERN]: 'must be 1 to 128 printable ASCII characters, not starting or ending with a space'
}

const FORMAT_MESSAGES: Record<string, string> = {
  email: 'must be a valid email address',
  [NAME_FORMAT]: 'must contain at least one letter',
  date: 'must be a real date written YYYY-MM-DD',
  'date-time': 'must be a date and time in RFC 3339 form'
}

const ARTICLE: Record<string, string> = { integer: 'an integer', object: 'an object', array: 'an array' }

/** Turns the first Ajv error into one sentence that names the field: `body/email must be …`. */
export function formatValidationError (error: ErrorObject, dataVar: string): string {
  const at = dataVar + error.instancePath
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return `${at}/${String(params.missingProperty)} is required`
    case 'additionalProperties': {
      const field = String(params.additionalProperty)
      if (field in ADMIN_ONLY) return `${at}/${field} cannot be set here: ${ADMIN_ONLY[field]}`
      if (SERVER_SET.has(field)) return `${at}/${field} is set by the server and cannot be changed`
      return `${at}/${field} is not a known field`
    }
    case 'type': {
      const type = String(params.type).split(',')[0]
      return `${at} must be ${ARTICLE[type] ?? `a ${type}`}`
    }
    case 'format':
      return `${at} ${FORMAT_MESSAGES[String(params.format)] ?? `must be a valid ${String(params.format)}`}`
    case 'pattern':
      return `${at} ${PATTERN_MESSAGES[String(params.pattern)] ?? 'has characters that are not allowed'}`
    case 'minLength':
      if (params.limit === 1) return `${at} must not be empty`
      return `${at} must be at least ${String(params.limit)} characters`
    case 'maxLength':
      return `${at} must be at most ${String(params.limit)} characters`
    case 'minimum':
      return `${at} must be at least ${String(params.limit)}`
    case 'maximum':
      return `${at} must be at most ${String(params.limit)}`
    case 'minProperties':
      return `${at} must contain at least one field to change`
    case 'enum':
      return `${at} must be one of: ${(params.allowedValues as unknown[]).join(', ')}`
    default:
      return `${at} ${error.message ?? 'is invalid'}`
  }
}

/**
 * A check of one value as a request body's field is checked (strict, the same formats): the
 * message that a request would get, naming `field`, or undefined when the value passes.
 */
export function valueChecker (schema: object, field: string): (value: unknown) => string | undefined {
  const validate = ajvFor({ coerceTypes: false, removeAdditional: false }, {}).compile(schema)
  return (value) => validate(value) ? undefined : formatValidationError((validate.errors as ErrorObject[])[0], field)
}

export const schemaErrorFormatter: FastifyServerOptions['schemaErrorFormatter'] = (errors, dataVar) =>
  new Error(formatValidationError(errors[0] as ErrorObject, dataVar))
