import { Type, type Static } from '@sinclair/typebox'

/** The one error shape: every 4xx and 5xx body. */
export const ErrorResponse = Type.Object({
  statusCode: Type.Integer({ minimum: 400, maximum: 599, examples: [400] }),
  error: Type.String({ description: 'The HTTP reason phrase', examples: ['Bad Request'] }),
  message: Type.String({ description: 'What went wrong, naming the offending field', examples: ['body/email must be a valid email address'] })
}, { $id: 'Error', title: 'Error', additionalProperties: false })

export type ErrorResponse = Static<typeof ErrorResponse>
