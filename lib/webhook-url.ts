/**
 * Where outgoing webhooks may go: http(s) only, never to a private, loopback, link-local or otherwise special address
 * unless configuration allows it, and only to WEBHOOK_ALLOWED_HOSTS when that list is set. The literal host is checked
 * when a subscription is saved; every address a name resolves to is checked again right before each delivery.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';
import { textProblem } from '../contract';

export interface WebhookUrlPolicy {
  /** Deliver to private, loopback and other non-public addresses too (development and tests). */
  allowPrivateAddresses: boolean;
  /** When set, the only host names (or `*.suffix` patterns) a subscription may name. */
  allowedHosts?: readonly string[];
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** A URL or address the policy refuses; `message` says why, in words fit for an API client. */
export class WebhookUrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUrlRefused';
  }
}

/**
 * True for a globally routable unicast address. Everything ipaddr.js names as a special range is refused: unspecified,
 * loopback, private (RFC 1918), carrier-grade NAT, link-local, unique-local, multicast, broadcast, documentation and
 * reserved ranges, and the IPv6 forms that embed an IPv4 address (6to4, Teredo, NAT64). An IPv4-mapped IPv6 address
 * is judged as the IPv4 address it carries. Not an IP address: false.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'unicast';
}

const isIpLiteral = (host: string) => ipaddr.isValid(host.replace(/^\[|\]$/g, ''));

/** Names that always mean this machine (RFC 6761), refused like a loopback address. */
const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((pattern) =>
    pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern,
  );
}

/** The host as the URL parser normalised it, without IPv6 brackets or a trailing dot. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');

/**
 * Parses and checks a subscription URL without touching the network; returns the normalised URL or throws
 * WebhookUrlRefused. A host name that is not an IP literal passes here and is checked when it is resolved.
 */
export function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): URL {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH)
    throw new WebhookUrlRefused(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  // The URL parser silently drops tabs and newlines; refuse them (and every other control) before it sees them.
  const text = textProblem(raw);
  if (text || raw.includes(' ')) throw new WebhookUrlRefused(text ?? 'must not contain spaces');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefused('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new WebhookUrlRefused('must be an http or https URL');
  if (url.username || url.password) throw new WebhookUrlRefused('must not contain credentials');
  if (url.hash) throw new WebhookUrlRefused('must not contain a fragment');
  const host = hostOf(url);
  if (!host) throw new WebhookUrlRefused('must name a host');
  if (policy.allowedHosts && !hostAllowed(host.toLowerCase(), policy.allowedHosts))
    throw new WebhookUrlRefused(`host ${host} is not in WEBHOOK_ALLOWED_HOSTS`);
  if (!policy.allowPrivateAddresses) {
    if (isLocalName(host.toLowerCase())) throw new WebhookUrlRefused(`host ${host} is this machine`);
    if (isIpLiteral(host) && !isPublicAddress(host))
      throw new WebhookUrlRefused(`address ${host} is private, loopback or otherwise not public`);
  }
  return url;
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const lookupAll = promisify(dnsLookup);
/** The system resolver (getaddrinfo, as a socket connect would use), every address. */
export const systemResolver: Resolver = (hostname) => lookupAll(hostname, { all: true, verbatim: true });

/** Refuses any non-public address among `addresses` unless the policy allows them. */
export function checkAddresses(host: string, addresses: readonly LookupAddress[], policy: WebhookUrlPolicy): void {
  if (addresses.length === 0) throw new WebhookUrlRefused(`host ${host} has no address`);
  if (policy.allowPrivateAddresses) return;
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  if (bad) throw new WebhookUrlRefused(`host ${host} resolves to ${bad.address}, which is not a public address`);
}

/**
 * Delivery's check, right before sending: the URL passes checkWebhookUrl (configuration may have changed since the
 * subscription was saved) and every address its host resolves to is allowed. Returns the URL and those addresses;
 * connect to one of them (see guardedLookup) so that a second DNS answer cannot swap in another address.
 */
export async function resolveWebhookTarget(
  raw: string,
  policy: WebhookUrlPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ url: URL; addresses: LookupAddress[] }> {
  const url = checkWebhookUrl(raw, policy);
  const host = hostOf(url);
  const addresses = isIpLiteral(host)
    ? [{ address: host, family: host.includes(':') ? 6 : 4 }]
    : await resolve(host).catch((err: NodeJS.ErrnoException) => {
        throw new WebhookUrlRefused(`host ${host} could not be resolved (${err.code ?? err.message})`);
      });
  checkAddresses(host, addresses, policy);
  return { url, addresses };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request / net.connect / undici's connect options that resolves with the system resolver and
 * refuses a disallowed address in the same step as the connection uses it (no window for DNS rebinding).
 */
export function guardedLookup(policy: WebhookUrlPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname)
      .then((addresses) => {
        checkAddresses(hostname, addresses, policy);
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, ''));
  };
}
