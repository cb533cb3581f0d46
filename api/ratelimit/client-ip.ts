/**
 * The client's address for per-IP limits: the socket's peer, unless that peer is a trusted proxy (HAProxy), in which
 * case the nearest X-Forwarded-For entry that is not itself a trusted proxy. A client can put anything in the header,
 * but a trusted proxy appends the address it saw, so entries are read from the right and only through trusted hops.
 */
import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import type { RateLimitConfig } from '../../lib/config';

/** '::ffff:10.0.0.1' -> '10.0.0.1', so an IPv4 peer on a dual-stack socket matches IPv4 ranges. */
function plain(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

export function trustedProxyList(proxies: RateLimitConfig['trustedProxies']): BlockList {
  const list = new BlockList();
  for (const { address, prefix } of proxies) {
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

interface Peer {
  list: BlockList;
  address: string;
  trusted: boolean;
}

/** Per connection: its peer's address and whether that is a trusted proxy, worked out on its first request. */
const peers = new WeakMap<object, Peer>();

/** The peer of the connection; 'unknown' when the app is called without one (app.request in tests). */
function peerOf(c: Context, list: BlockList): Peer {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const socket = env?.incoming?.socket;
  let peer = socket && peers.get(socket);
  if (peer?.list === list) return peer;
  const raw = socket?.remoteAddress;
  const address = raw ? plain(raw) : 'unknown';
  peer = { list, address, trusted: isTrusted(list, address) };
  if (socket && raw) peers.set(socket, peer);
  return peer;
}

export function clientIp(c: Context, trusted: BlockList): string {
  const { address: peer, trusted: peerTrusted } = peerOf(c, trusted);
  if (!peerTrusted) return peer;
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => plain(s.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i]!;
    if (!isIP(hop)) return peer;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return hops[0] ?? peer;
}
