// Which address a request comes from, in one canonical text form, so that the counters,
// the penalty box and the allow-list all agree on what "one IP" is.
import { isIP } from 'node:net';

/** The key used when the socket address cannot be read (e.g. a request built in memory). */
export const UNKNOWN_IP = 'unknown';

/**
 * The canonical form of an IP address (IPv6 compressed and lower-cased, IPv4-mapped IPv6
 * turned into IPv4), or null when `raw` is not an address. Accepts the `[v6]:port` and
 * `v4:port` forms some proxies write into X-Forwarded-For.
 */
export function normalizeIp(raw: string): string | null {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::[0-9]+)?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}:[0-9]+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const family = isIP(s);
  if (family === 4) return s;
  if (family !== 6) return null;
  // The URL parser is the standard's own IPv6 serializer: one spelling per address.
  const canonical = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const hi = Number.parseInt(mapped[1]!, 16);
    const lo = Number.parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return canonical;
}

/**
 * The caller's address when proxies we run stand in front of the server. Each proxy appends
 * the address it received the request from to X-Forwarded-For, so walking the header from
 * the right, each entry is vouched for by the hop before it — but only a peer that is one of
 * our proxies (`isTrustedProxy`, from TRUSTED_PROXIES) vouches for anything: a client that
 * reaches the server directly, or through a proxy that is not ours, cannot choose its own
 * address. At most `trustedHops` entries are believed; with 0 the header is ignored. A
 * malformed entry stops the walk at the last address a trusted hop vouched for, and so does
 * a header shorter than the number of hops.
 */
export function resolveClientIp(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedHops: number,
  isTrustedProxy: (ip: string) => boolean,
): string {
  let ip = (socketAddress && normalizeIp(socketAddress)) || UNKNOWN_IP;
  if (trustedHops <= 0 || !forwardedFor || !isTrustedProxy(ip)) return ip;
  const nearestFirst = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .reverse();
  for (let hop = 0; hop < trustedHops && hop < nearestFirst.length; hop++) {
    if (hop > 0 && !isTrustedProxy(ip)) break;
    const next = normalizeIp(nearestFirst[hop]!);
    if (!next) break;
    ip = next;
  }
  return ip;
}

/**
 * How an address appears in logs: its network only (IPv4 /24, IPv6 /48), so logs kept for
 * a long time do not identify a person, while an attack from one network still shows up
 * as one value. The full address is only on the admin page and in the audit log.
 */
export function ipForLog(ip: string): string {
  const family = isIP(ip);
  if (family === 4) return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`;
  if (family === 6) return `${expandIpv6(ip).slice(0, 3).join(':')}::/48`;
  return ip === UNKNOWN_IP ? ip : 'invalid';
}

/** The eight groups of an IPv6 address, without leading zeros. */
function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (e.g. 64:ff9b::192.0.2.1) counts as two groups.
  const last = right.length > 0 ? right[right.length - 1]! : left[left.length - 1];
  const v4groups = last?.includes('.') ? 1 : 0;
  const fill = tail === undefined ? 0 : 8 - left.length - right.length - v4groups;
  return [...left, ...Array<string>(fill).fill('0'), ...right].map((g) =>
    g.includes('.') ? g : Number.parseInt(g, 16).toString(16),
  );
}
