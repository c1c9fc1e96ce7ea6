import { describe, expect, it } from 'vitest';
import { AllowList, isValidIpOrCidr, parseIpOrCidr } from './allow-list.js';

describe('parseIpOrCidr', () => {
  it('accepts addresses and CIDRs of both families', () => {
    expect(parseIpOrCidr('192.0.2.7')).toEqual({
      address: '192.0.2.7',
      prefix: 32,
      family: 'ipv4',
    });
    expect(parseIpOrCidr('198.51.100.0/24')).toEqual({
      address: '198.51.100.0',
      prefix: 24,
      family: 'ipv4',
    });
    expect(parseIpOrCidr('2001:DB8::/32')).toEqual({
      address: '2001:db8::',
      prefix: 32,
      family: 'ipv6',
    });
  });

  it('refuses malformed entries', () => {
    for (const bad of [
      '',
      '192.0.2.0/33',
      '2001:db8::/129',
      '192.0.2.0/',
      '192.0.2.0/24/1',
      '192.0.2.1:80',
      '[2001:db8::1]',
      'example.org',
      '192.0.2.0/-1',
    ]) {
      expect(isValidIpOrCidr(bad), bad).toBe(false);
    }
  });
});

describe('AllowList', () => {
  const list = AllowList.from(['192.0.2.0/24', '198.51.100.7', '2001:db8:1::/48']);

  it('matches addresses inside the listed networks', () => {
    expect(list.has('192.0.2.0')).toBe(true);
    expect(list.has('192.0.2.255')).toBe(true);
    expect(list.has('198.51.100.7')).toBe(true);
    expect(list.has('2001:db8:1:ffff::1')).toBe(true);
  });

  it('does not match addresses outside them', () => {
    expect(list.has('192.0.3.1')).toBe(false);
    expect(list.has('198.51.100.8')).toBe(false);
    expect(list.has('2001:db8:2::1')).toBe(false);
    expect(list.has('unknown')).toBe(false);
  });

  it('keeps the families apart', () => {
    const v4only = AllowList.from(['0.0.0.0/0']);
    expect(v4only.has('203.0.113.1')).toBe(true);
    expect(v4only.has('2001:db8::1')).toBe(false);
  });

  it('an empty list matches nothing, a bad entry is refused', () => {
    expect(AllowList.from([]).has('192.0.2.1')).toBe(false);
    expect(() => AllowList.from(['192.0.2.0/40'])).toThrow(/not an IP address or CIDR/);
  });
});
