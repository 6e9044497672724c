// Builds the service from its plugins, in the order they matter. No listen: tests inject
// requests, and the server and the benchmark share this builder.
import { readFileSync } from 'node:fs'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import type { Database } from './db/database.js'
import { schemaController, schemaErrorFormatter } from './http/validation.js'
import { RequestLog } from './http/request-log.js'
import { trustProxyOption } from './http/client-address.js'
import { prettyStream } from './http/pretty-log.js'
import { ErrorResponse } from './schemas/error.js'
import { TokenResponse, User } from './schemas/user.js'
import { AdminUser, UserPage, UserSummary } from './schemas/users.js'
import { AuditEntry, AuditPage } from './schemas/audit.js'
import { CaptchaChallenge } from './schemas/captcha.js'
import { Accepted } from './schemas/email.js'
import { AccountExport } from './schemas/export.js'
import errors, { clientErrorHandler, frameworkErrors } from './plugins/app/error-handler.js'
import gracefulClose from './plugins/app/graceful-close.js'
import securityHeaders from './plugins/external/security-headers.js'
import cors from './plugins/external/cors.js'
import loadShedding from './plugins/external/load-shedding.js'
import database from './plugins/app/database.js'
import metrics from './plugins/app/metrics.js'
import bodyParsers from './plugins/app/body-parsers.js'
import inputGuard from './plugins/app/input-guard.js'
import passwords from './plugins/app/password-hasher.js'
import rateLimits from './plugins/app/rate-limits.js'
import housekeeping from './plugins/app/housekeeping.js'
import mail from './plugins/app/mail.js'
import captcha from './plugins/app/captcha.js'
import auth from './plugins/app/auth.js'
import docs from './plugins/external/docs.js'
import pages from './plugins/external/pages.js'
import healthRoutes from './routes/health.js'
import authRoutes from './routes/auth.js'
import meRoutes from './routes/me.js'
import exportRoutes from './routes/export.js'
import userRoutes from './routes/users.js'
import auditRoutes from './routes/audit.js'
import captchaRoutes from './routes/captcha.js'
import emailRoutes from './routes/email.js'
import passwordResetRoutes from './routes/password-reset.js'
import mfaRoutes from './routes/mfa.js'
import sessionRoutes from './routes/sessions.js'
import passkeyRoutes from './routes/passkeys.js'
import passkeyLoginRoutes from './routes/passkey-login.js'
import { MfaChallenge, RecoveryCodes, Session, SessionList, TotpEnrolment } from './schemas/mfa.js'
import { Passkey, PasskeyList, PasskeyLoginOptions, PasskeyRegistrationOptions } from './schemas/passkeys.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** The time now in milliseconds: what TOTP codes are checked against; tests set it. */
    clock: () => number
  }
}

export interface BuildOptions {
  /** pino options, a logger, or false; defaults to the configured level. */
  logger?: FastifyServerOptions['logger']
  loggerInstance?: FastifyServerOptions['loggerInstance']
  /** A database opened by the caller (tests, several instances on one database); not closed with the app. */
  db?: Database
  /** The clock TOTP codes are checked against (Date.now unless given). */
  clock?: () => number
}

export const BODY_LIMIT = 64 * 1024

export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // Fastify turns Node's request timeout off: a body sent one byte every few seconds would hold its
  // connection (and a file descriptor) for as long as the client likes. Node notices an expired
  // request only when it next checks its connections (every 30 s unless told), hence the interval.
  const timeouts = {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: Math.min(60_000, config.requestTimeoutMs),
    connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs)
  }
  const server = config.tlsCertFile === undefined || config.tlsKeyFile === undefined
    ? { http: timeouts }
    : { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile), ...timeouts } }
  const app = Fastify({
    ...server,
    requestTimeout: config.requestTimeoutMs,
    clientErrorHandler,
    logger: options.loggerInstance === undefined ? (options.logger ?? loggerOptions(config)) : undefined,
    loggerInstance: options.loggerInstance,
    logController: new RequestLog(),
    bodyLimit: BODY_LIMIT,
    trustProxy: trustProxyOption(config.trustProxy),
    routerOptions: { ignoreTrailingSlash: true },
    schemaController,
    schemaErrorFormatter,
    frameworkErrors
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance

  app.decorate('config', config)
  app.decorate('clock', options.clock ?? Date.now)
  for (const schema of [ErrorResponse, User, TokenResponse, AdminUser, UserSummary, UserPage, AuditEntry, AuditPage, CaptchaChallenge, Accepted, MfaChallenge, TotpEnrolment, RecoveryCodes, Session, SessionList,
    AccountExport, Passkey, PasskeyList, PasskeyRegistrationOptions, PasskeyLoginOptions]) app.addSchema(schema)

  // Infrastructure
  await app.register(errors)
  await app.register(gracefulClose)
  // Before anything that answers requests, so every response (pages, API, errors, /docs) gets the headers.
  await app.register(securityHeaders)
  // Next, so that every answer, errors and preflights included, carries the CORS headers too.
  await app.register(cors)
  // Before anything that costs work (the database, rate limits, parsing the body), so that a shed
  // request is cheap, and after the headers, so that it still carries them.
  await app.register(loadShedding)
  await app.register(database, { db: options.db })
  await app.register(metrics)
  await app.register(bodyParsers)
  await app.register(inputGuard)
  await app.register(passwords)
  await app.register(rateLimits)
  await app.register(housekeeping)
  await app.register(mail)
  await app.register(captcha)
  await app.register(auth)
  await app.register(docs)
  await app.register(pages)

  // Routes, one plugin per resource
  await app.register(healthRoutes)
  await app.register(authRoutes, { prefix: '/api/v1/users' })
  await app.register(meRoutes, { prefix: '/api/v1/users/me' })
  await app.register(exportRoutes, { prefix: '/api/v1/users/me/export' })
  await app.register(userRoutes, { prefix: '/api/v1/users' })
  await app.register(auditRoutes, { prefix: '/api/v1/audit' })
  await app.register(captchaRoutes, { prefix: '/api/v1/captcha' })
  await app.register(emailRoutes, { prefix: '/api/v1/users' })
  await app.register(passwordResetRoutes, { prefix: '/api/v1/users/password-reset' })
  await app.register(mfaRoutes, { prefix: '/api/v1/users/me/mfa' })
  await app.register(sessionRoutes, { prefix: '/api/v1/users/me/sessions' })
  await app.register(passkeyRoutes, { prefix: '/api/v1/users/me/passkeys' })
  await app.register(passkeyLoginRoutes, { prefix: '/api/v1/users/login/passkey' })

  return app
}

export interface LoggerChoices {
  /** Human-readable lines, one per message, instead of JSON, for a terminal. */
  pretty?: boolean
}

/** One JSON line per request; URLs are logged without their query string, which may hold personal data. */
export function loggerOptions (config: Config, choices: LoggerChoices = {}): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(choices.pretty === true ? { stream: prettyStream() } : {}),
    serializers: {
      req: (request) => ({ method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      err: (error: Error & { code?: unknown, statusCode?: unknown }) =>
        ({ type: error.name, message: error.message, code: error.code, statusCode: error.statusCode, stack: error.stack ?? '' })
    }
  }
}
