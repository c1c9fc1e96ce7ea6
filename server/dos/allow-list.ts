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

/** Answers remembered per address: BlockList.check builds a SocketAddress on every call. */
const MEMO_SIZE = 10_000;

export class AllowList {
  private readonly memo = new Map<string, boolean>();

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
    const known = this.memo.get(ip);
    if (known !== undefined) return known;
    const family = isIP(ip);
    const allowed = family !== 0 && this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
    // A list is immutable (settings changes build a new one), so answers never go stale;
    // the bound only keeps a scan of many addresses from growing memory.
    if (this.memo.size >= MEMO_SIZE) this.memo.clear();
    this.memo.set(ip, allowed);
    return allowed;
  }
}
