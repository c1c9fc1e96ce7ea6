// Addresses and networks never put in the penalty box (monitoring, your own proxies, a
// partner's sender farm), checked with node:net's BlockList.
import { BlockList, isIP } from 'node:net';
import { normalizeIp } from './ip.js';

export interface ParsedCidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `192.0.2.7`, `198.51.100.0/24`, `2001:db8::/32` → its parts; null when malformed. */
export function parseIpOrCidr(entry: string): ParsedCidr | null {
  const [addressPart = '', prefixPart, extra] = entry.trim().split('/');
  if (extra !== undefined) return null;
  const address = normalizeIp(addressPart);
  // normalizeIp accepts `v4:port`; an allow-list entry must be a bare address.
  if (!address || addressPart.includes('[') || /^[0-9]{1,3}(\.[0-9]{1,3}){3}:/.test(addressPart))
    return null;
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
  const max = family === 'ipv4' ? 32 : 128;
  if (prefixPart === undefined) return { address, prefix: max, family };
  if (!/^[0-9]{1,3}$/.test(prefixPart)) return null;
  const prefix = Number(prefixPart);
  if (prefix > max) return null;
  return { address, prefix, family };
}

export function isValidIpOrCidr(entry: string): boolean {
  return parseIpOrCidr(entry) !== null;
}

export class AllowList {
  private constructor(
    private readonly list: BlockList,
    readonly size: number,
  ) {}

  /** Throws on an entry that is not an address or CIDR (settings are validated before). */
  static from(entries: readonly string[]): AllowList {
    const list = new BlockList();
    for (const entry of entries) {
      const parsed = parseIpOrCidr(entry);
      if (!parsed) throw new Error(`not an IP address or CIDR: ${JSON.stringify(entry)}`);
      list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    return new AllowList(list, entries.length);
  }

  /** `ip` must be canonical (see normalizeIp); anything else is not allowed. */
  has(ip: string): boolean {
    if (this.size === 0) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}
