import { describe, expect, it } from 'vitest';
import { ipForLog, normalizeIp, resolveClientIp, UNKNOWN_IP } from './ip.js';

describe('normalizeIp', () => {
  it('keeps IPv4 and compresses IPv6 to one spelling', () => {
    expect(normalizeIp('192.0.2.7')).toBe('192.0.2.7');
    expect(normalizeIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeIp(' 2001:db8::1 ')).toBe('2001:db8::1');
  });

  it('turns IPv4-mapped IPv6 (dual-stack sockets) into IPv4', () => {
    expect(normalizeIp('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(normalizeIp('::ffff:c000:0207')).toBe('192.0.2.7');
  });

  it('drops ports, brackets and zone ids', () => {
    expect(normalizeIp('[2001:db8::5]:443')).toBe('2001:db8::5');
    expect(normalizeIp('198.51.100.3:8080')).toBe('198.51.100.3');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', 'unknown', '999.1.1.1', '1.2.3', 'example.org', '2001:db8::1::2']) {
      expect(normalizeIp(bad)).toBeNull();
    }
  });
});

describe('resolveClientIp (X-Forwarded-For hops)', () => {
  const socket = '10.0.0.2';
  /** Every peer one of our proxies: the hop counting alone. */
  const anyPeer = () => true;

  it('ignores the header when no hop is trusted', () => {
    expect(resolveClientIp(socket, '203.0.113.9', 0, anyPeer)).toBe('10.0.0.2');
  });

  it('with one trusted proxy takes the entry it appended (the rightmost)', () => {
    expect(resolveClientIp(socket, '192.0.2.66, 203.0.113.9', 1, anyPeer)).toBe('203.0.113.9');
  });

  it('with two trusted proxies takes the second entry from the right', () => {
    expect(resolveClientIp(socket, '192.0.2.66, 203.0.113.9, 10.0.0.1', 2, anyPeer)).toBe(
      '203.0.113.9',
    );
  });

  it('does not believe entries left of the trusted hops (spoofed by the client)', () => {
    const spoofed = '198.51.100.1, 198.51.100.2, 203.0.113.9';
    expect(resolveClientIp(socket, spoofed, 1, anyPeer)).toBe('203.0.113.9');
  });

  it('with fewer entries than hops uses the leftmost one', () => {
    expect(resolveClientIp(socket, '203.0.113.9', 3, anyPeer)).toBe('203.0.113.9');
  });

  it('stops at a malformed entry and keeps the last address a trusted hop vouched for', () => {
    expect(resolveClientIp(socket, 'evil, junk, 203.0.113.9', 3, anyPeer)).toBe('203.0.113.9');
    expect(resolveClientIp(socket, 'junk', 1, anyPeer)).toBe('10.0.0.2');
  });

  it('normalizes IPv6 entries and a mapped socket address', () => {
    expect(resolveClientIp(socket, '2001:DB8:0::7', 1, anyPeer)).toBe('2001:db8::7');
    expect(resolveClientIp('::ffff:127.0.0.1', undefined, 1, anyPeer)).toBe('127.0.0.1');
  });

  it('falls back to a fixed key without a socket address', () => {
    expect(resolveClientIp(undefined, undefined, 0, anyPeer)).toBe(UNKNOWN_IP);
  });
});

describe('resolveClientIp (only TRUSTED_PROXIES vouch)', () => {
  const proxies = new Set(['10.0.0.2', '10.0.0.1']);
  const isProxy = (ip: string) => proxies.has(ip);

  it('believes the header from one of our proxies', () => {
    expect(resolveClientIp('10.0.0.2', '203.0.113.9', 1, isProxy)).toBe('203.0.113.9');
  });

  it('ignores it from anyone else: a direct client cannot pick its address', () => {
    expect(resolveClientIp('198.51.100.4', '203.0.113.9', 1, isProxy)).toBe('198.51.100.4');
    expect(resolveClientIp('198.51.100.4', '127.0.0.1', 3, isProxy)).toBe('198.51.100.4');
  });

  it('walks on only while each hop is one of our proxies', () => {
    // 10.0.0.2 vouches for 10.0.0.1 (ours), which vouches for 203.0.113.9.
    expect(resolveClientIp('10.0.0.2', '203.0.113.9, 10.0.0.1', 2, isProxy)).toBe('203.0.113.9');
    // 10.0.0.2 vouches for 192.0.2.66, which is not ours: what it wrote is not believed.
    expect(resolveClientIp('10.0.0.2', '203.0.113.9, 192.0.2.66', 2, isProxy)).toBe('192.0.2.66');
  });
});

describe('ipForLog', () => {
  it('keeps only the network', () => {
    expect(ipForLog('203.0.113.77')).toBe('203.0.113.0/24');
    expect(ipForLog('2001:db8:aa:bb::1')).toBe('2001:db8:aa::/48');
    expect(ipForLog('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(ipForLog('::1')).toBe('0:0:0::/48');
    expect(ipForLog(UNKNOWN_IP)).toBe(UNKNOWN_IP);
  });
});
