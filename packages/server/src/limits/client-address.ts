/**
 * The address a per-address limit is keyed on. A direct peer counts by its own address (an
 * IPv6 peer by its /64, which one subscriber usually holds whole). A loopback peer is either
 * a local client, which is not limited, or a TLS-terminating proxy on the same host, which
 * must name the real client in `X-Forwarded-For`: its last entry is the address the proxy
 * itself saw, the only one a client cannot forge.
 */
import { isIP } from 'node:net';

function isLoopback(a: string): boolean {
  return a === '::1' || /^(::ffff:)?127\./.test(a);
}

function ipv6Prefix64(a: string): string {
  const addr = a.split('%')[0] as string;
  const [head = '', tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** Normalizes an address to the key a limit counts: IPv4 as is, IPv6 as its /64. */
export function addressKey(a: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (v4) return v4[1] as string;
  const kind = isIP(a.split('%')[0] as string);
  if (kind === 4) return a;
  if (kind === 6) return ipv6Prefix64(a.toLowerCase());
  return 'invalid';
}

/**
 * The key for a request, or undefined when it comes from a local client (loopback without
 * `X-Forwarded-For`), which is exempt.
 */
export function clientKey(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
): string | undefined {
  const a = peer ?? '';
  if (!isLoopback(a)) return addressKey(a);
  const xff = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = xff?.split(',').at(-1)?.trim();
  return last ? addressKey(last) : undefined;
}
