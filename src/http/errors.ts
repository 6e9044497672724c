// Errors a handler throws on purpose. The error handler (plugins/app/error-handler.ts) turns any error into
// the one error shape; these carry the status and a message meant for the caller.

export class HttpError extends Error {
  constructor (readonly statusCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message)
    this.name = 'HttpError'
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message)
export const unauthorized = (message: string): HttpError => new HttpError(401, message)
export const forbidden = (message: string): HttpError => new HttpError(403, message)
export const notFound = (message: string): HttpError => new HttpError(404, message)
export const conflict = (message: string): HttpError => new HttpError(409, message)
export const preconditionFailed = (message: string): HttpError => new HttpError(412, message)
export const tooManyRequests = (message: string, retryAfterSeconds: number): HttpError =>
  new HttpError(429, message, { 'retry-after': String(retryAfterSeconds) })
export const serviceUnavailable = (message: string, retryAfterSeconds = 5): HttpError =>
  new HttpError(503, message, { 'retry-after': String(retryAfterSeconds) })
