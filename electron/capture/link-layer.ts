// From a captured link-layer frame to the UDP payload it carries (Ethernet with VLAN tags,
// Linux cooked, raw IP, BSD loopback; IPv4 and IPv6). Byte arithmetic on the frame itself:
// this runs once per frame of captures with hundreds of thousands of frames.

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** LINKTYPE_USER0..15: frames are raw stream bytes (direction from pcapng epb_flags). */
export function isUserLinkType(linkType: number): boolean {
  return linkType >= 147 && linkType <= 162;
}

export type SkipReason =
  | 'unsupported-linktype'
  | 'short-frame'
  | 'not-ip'
  | 'not-udp'
  | 'ip-fragment'
  | 'other-udp'
  | 'no-direction'
  | 'kdnet-no-key'
  | 'kdnet-control'
  /** Opened by no key yet; a later key exchange may still open it (then it is a chunk). */
  | 'kdnet-held'
  | 'kdnet-rejected';

/** Result slots reused for every frame (no allocation per frame). */
export interface UdpView {
  srcPort: number;
  dstPort: number;
  /** Payload bounds (absolute offsets in the capture buffer). */
  start: number;
  end: number;
  /** Where the payload would end had the capture not cut the frame (snaplen). */
  fullEnd: number;
  /** The IP header (absolute offset) and version (4 or 6), for the addresses. */
  ipStart?: number;
  ipVersion?: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const IPPROTO_UDP = 17;

/** Offset of the IP header (absolute in `f`), or -1 when the frame carries no IP. */
function ipOffset(linkType: number, f: Uint8Array, s: number, e: number): number {
  switch (linkType) {
    case LinkType.ETHERNET: {
      let at = s + 12;
      let type = (f[at]! << 8) | f[at + 1]!;
      while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) && at + 6 <= e) {
        at += 4;
        type = (f[at]! << 8) | f[at + 1]!;
      }
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? at + 2 : -1;
    }
    case LinkType.LINUX_SLL: {
      const type = (f[s + 14]! << 8) | f[s + 15]!;
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? s + 16 : -1;
    }
    case LinkType.LINUX_SLL2: {
      const type = (f[s]! << 8) | f[s + 1]!;
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? s + 20 : -1;
    }
    case LinkType.NULL:
    case LinkType.LOOP:
      return s + 4;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return s;
    default:
      return -1;
  }
}

const supported = new Set<number>(Object.values(LinkType));

export function isSupportedLinkType(linkType: number): boolean {
  return supported.has(linkType) || isUserLinkType(linkType);
}

/**
 * Fills `out` with the UDP datagram of the frame at [s, e) of `f` (absolute offsets), or
 * says why there is none.
 */
export function findUdp(
  linkType: number,
  f: Uint8Array,
  s: number,
  e: number,
  out: UdpView,
): SkipReason | undefined {
  if (e - s < 20) return 'short-frame';
  const ip = ipOffset(linkType, f, s, e);
  if (ip < 0 || ip >= e) return 'not-ip';
  const version = f[ip]! >> 4;
  let udp: number;
  let ipEnd: number;
  if (version === 4) {
    const ihl = (f[ip]! & 0x0f) * 4;
    if (ihl < 20 || ip + ihl > e) return 'short-frame';
    if (f[ip + 9] !== IPPROTO_UDP) return 'not-udp';
    // More-fragments set or a non-zero offset: KDNET and the seed's wrap never fragment.
    if (((f[ip + 6]! & 0x3f) | f[ip + 7]!) !== 0) return 'ip-fragment';
    udp = ip + ihl;
    ipEnd = ip + ((f[ip + 2]! << 8) | f[ip + 3]!);
  } else if (version === 6) {
    if (ip + 40 > e) return 'short-frame';
    if (f[ip + 6] !== IPPROTO_UDP) return 'not-udp';
    udp = ip + 40;
    ipEnd = udp + ((f[ip + 4]! << 8) | f[ip + 5]!);
  } else {
    return 'not-ip';
  }
  if (udp + 8 > e) return 'short-frame';
  out.ipStart = ip;
  out.ipVersion = version;
  out.srcPort = (f[udp]! << 8) | f[udp + 1]!;
  out.dstPort = (f[udp + 2]! << 8) | f[udp + 3]!;
  const udpLength = (f[udp + 4]! << 8) | f[udp + 5]!;
  out.start = udp + 8;
  // The smallest of what UDP, IP and the capture say (a snapped frame keeps what it has;
  // a TSO-captured zero IP length defers to UDP).
  let end = udpLength >= 8 ? udp + udpLength : e;
  if (ipEnd > udp && ipEnd < end) end = ipEnd;
  out.fullEnd = end;
  out.end = Math.min(end, e);
  return undefined;
}
