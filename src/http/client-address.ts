// Who the client is, as every limit counts it. Behind proxies, the client's address is the
// right-most X-Forwarded-For entry that no trusted proxy added: the entries to its left are
// whatever the client wrote. Then one address has one spelling, so that `1.2.3.4`,
// `::ffff:1.2.3.4` and `001.002.003.004` are one client, and an IPv6 client is its /64, the
// least a subscriber is given: otherwise one home could try 2^64 addresses, each a fresh counter.
import ipaddr from 'ipaddr.js'
import type { FastifyRequest, FastifyServerOptions } from 'fastify'

/** TRUST_PROXY: false, a number of proxy hops, or the proxies' addresses and CIDRs. */
export type ProxyTrust = false | number | string[]

/** The names proxy-addr (Fastify's trust check) expands into ranges. */
export const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal']

/** Whether `entry` is a proxy address or CIDR that Fastify's trust check accepts, written plainly. */
export function isProxyAddress (entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) return true
  const [address, bits, ...rest] = entry.split('/')
  const ipv4 = ipaddr.IPv4.isValidFourPartDecimal(address)
  if (rest.length > 0 || (!ipv4 && !ipaddr.IPv6.isValid(address))) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (ipv4 ? 32 : 128))
}

/**
 * Fastify's `trustProxy` for a TRUST_PROXY setting. Fastify trusts nobody when given a bare
 * number (it cannot tell a proxy from a client that connects directly), so a hop count becomes a
 * trust function: the socket's peer and the next hops - 1 entries from the right are proxies.
 * That holds where the service can only be reached through its proxies, as on Heroku.
 */
export function trustProxyOption (trust: ProxyTrust): FastifyServerOptions['trustProxy'] {
  if (typeof trust !== 'number') return trust
  return (_address: string, hop: number) => hop < trust
}

/**
 * One spelling per address, with the parser Fastify's trust check uses, so that the check and
 * the key read an address alike: IPv4-mapped IPv6 is the IPv4 address, and an IPv4 part with a
 * leading zero is octal, as inet_aton reads it.
 */
function parse (address: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  return address !== undefined && ipaddr.isValid(address) ? ipaddr.process(address) : undefined
}

/**
 * The key every limit counts this client under: its IPv4 address, or `<prefix>/64` of its IPv6
 * one. An entry that is no address at all (a proxy that passed on garbage) is the socket's address.
 */
export function clientKey (request: FastifyRequest): string {
  const socketAddress = request.socket.remoteAddress
  const address = parse(request.ip) ?? parse(socketAddress)
  if (address === undefined) return `unparsed:${String(socketAddress)}`
  if (address.kind() === 'ipv4') return address.toString()
  const network = new ipaddr.IPv6([...(address as ipaddr.IPv6).parts.slice(0, 4), 0, 0, 0, 0])
  return `${network.toString()}/64`
}
