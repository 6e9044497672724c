// What a session records of the request that began it: the browser's User-Agent and the
// client address (request.ip, already canonical and proxy-aware).
import type { FastifyRequest } from 'fastify'
import type { SessionDevice } from '../db/sessions.js'

export function sessionDevice (request: FastifyRequest, secondFactor?: SessionDevice['secondFactor']): SessionDevice {
  const userAgent = request.headers['user-agent']
  return { userAgent: userAgent === undefined || userAgent === '' ? undefined : userAgent, clientIp: request.ip, secondFactor }
}
