import { Type, type Static, type TSchema } from '@sinclair/typebox'

/** A reference to a shared schema (registered with `app.addSchema`), typed as the schema itself. */
export function ref<T extends TSchema> (schema: T): ReturnType<typeof Type.Unsafe<Static<T>>> {
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id as string))
}

/** `type: [T, "null"]`: one schema for "a value or null", which both Ajv and the serializer read fast. */
export function Nullable<T extends TSchema> (schema: T): ReturnType<typeof Type.Unsafe<Static<T> | null>> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] })
}

/** A string enum as `enum: [...]`, which OpenAPI tools read better than `anyOf` of constants. */
export function StringEnum<const T extends readonly string[]> (values: T, options: Record<string, unknown> = {}): ReturnType<typeof Type.Unsafe<T[number]>> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options })
}

/** A named request-body example, shown in Swagger UI's example picker and used by `Try it out`. */
export interface Example<T> {
  summary: string
  value: T
}

/**
 * Adds request-body examples, which @fastify/swagger moves from `x-examples` to the OpenAPI
 * media type's `examples`. Typed by the schema, and each must be a body the route accepts
 * (test/http/spec.test.ts sends them).
 */
export function withExamples<T extends TSchema> (schema: T, examples: Record<string, Example<Static<T>>>): T {
  return { ...schema, 'x-examples': examples }
}

/** The page size of a keyset-paged list. */
export const PageLimit = Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1 to 100' })
/** Where a keyset-paged list goes on: the `next_cursor` of the page before. */
export const PageCursor = Type.String({ minLength: 1, maxLength: 64, description: 'The `next_cursor` of the previous page' })
