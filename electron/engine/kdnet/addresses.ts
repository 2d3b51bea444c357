// IP address strings (as node:dgram reports them) to the bytes a capture frame carries.

import { networkInterfaces } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';

/** 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped included); undefined for anything else. */
export function ipBytes(address: string): Uint8Array | undefined {
  const zone = address.indexOf('%');
  const text = zone < 0 ? address : address.slice(0, zone);
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text)) return undefined;
  let head = text;
  let tailV4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const words = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((w) => parseInt(w, 16));
  const l = words(left);
  const r = words(right);
  const all =
    right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  if (tailV4.length === 4) out.set(tailV4, 12);
  return out;
}

function unspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function sameSubnet(a: Uint8Array, b: Uint8Array, mask: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if ((a[i]! & mask[i]!) !== (b[i]! & mask[i]!)) return false;
  return true;
}

/**
 * The address a socket bound to 0.0.0.0 (or ::) was reached on by `remote`: the interface
 * address on the remote's subnet (loopback for a loopback peer). node:dgram does not report
 * a datagram's destination, so this is the likely one; the bound address when none fits.
 */
export function localAddressFor(bound: string, remote: string): string {
  if (!unspecified(bound)) return bound;
  const peer = ipBytes(remote);
  if (!peer) return bound;
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      const own = ipBytes(info.address);
      const mask = ipBytes(info.netmask);
      if (own && mask && own.length === peer.length && sameSubnet(own, peer, mask)) {
        return info.address;
      }
    }
  }
  return bound;
}
