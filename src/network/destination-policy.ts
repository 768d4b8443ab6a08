// Where deliveries, test-sends and replays may connect (network.destinations). Applied at every
// connect, after DNS resolution, to each address tried: a name that resolves to a refused address is
// refused, whatever it resolved to when the subscription was written. The gateway's own listeners
// are always refused, so a destination can never turn the gateway's API against itself.
//
// Order: own listener → refused; `deny` → refused; `allow` → allowed; a non-empty `allow` that did
// not match → refused; loopback with denyLoopback, private with denyPrivate → refused; else allowed.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type TcpNetConnectOpts } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface DestinationSettings {
  allow: readonly string[];
  deny: readonly string[];
  denyPrivate: boolean;
  denyLoopback: boolean;
}

type ConnectLookup = NonNullable<TcpNetConnectOpts['lookup']>;

export interface ListenerAddress {
  host: string;
  port: number;
}

/** The error a refused connect fails with; transports turn it into a `destination_refused` result. */
export class DestinationRefusedError extends Error {
  readonly code = 'DESTINATION_REFUSED';
  constructor(reason: string) {
    super(`destination_refused: ${reason}`);
    this.name = 'DestinationRefusedError';
  }
}

export function isDestinationRefused(error: unknown): boolean {
  for (let cause = error as { code?: unknown; cause?: unknown } | undefined; cause !== undefined && cause !== null; cause = cause.cause as typeof cause) {
    if (cause.code === 'DESTINATION_REFUSED') return true;
  }
  return false;
}

const loopbackRanges: [string, number, 'ipv4' | 'ipv6'][] = [
  ['127.0.0.0', 8, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'], // "this host": connecting to 0.0.0.0 reaches the loopback interface
  ['::1', 128, 'ipv6'],
  ['::', 128, 'ipv6'],
];
const privateRanges: [string, number, 'ipv4' | 'ipv6'][] = [
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['169.254.0.0', 16, 'ipv4'], // link-local, cloud metadata services
  ['fc00::', 7, 'ipv6'], // unique local
  ['fe80::', 10, 'ipv6'], // link-local
];

function blockList(ranges: readonly [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, type] of ranges) list.addSubnet(network, prefix, type);
  return list;
}
const loopback = blockList(loopbackRanges);
const privateNetworks = blockList(privateRanges);

/**
 * An IP address in one spelling: IPv4-mapped and IPv4-compatible IPv6 (`::ffff:127.0.0.1`,
 * `::ffff:7f00:1`) as the IPv4 address they reach, brackets and zone ids removed, lower case.
 */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase();
  if (isIP(bare) !== 6) return bare;
  const groups = expandIpv6(bare);
  if (groups.slice(0, 5).every((group) => group === 0) && (groups[5] === 0xffff || (groups[5] === 0 && groups[6] !== 0))) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  return bare;
}

function expandIpv6(address: string): number[] {
  let text = address;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * `127.1`, `0x7f000001` and `017700000001` are IPv4 addresses to the resolver (inet_aton), though
 * not to isIP; the URL parser of http(s) spells them out. Other names are returned unchanged.
 */
function legacyIpv4(host: string): string {
  if (!/^[0-9a-fx.]+$/i.test(host) || isIP(host) !== 0) return host;
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host;
  }
}

const typeOf = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** A host name or a `*.suffix` pattern of `network.destinations.allow|deny`, matched without regard to case. */
function hostMatches(pattern: string, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const wanted = pattern.toLowerCase();
  return wanted.startsWith('*.') ? name.endsWith(wanted.slice(1)) : name === wanted;
}

interface Rules {
  hosts: string[];
  addresses: BlockList;
}

function rulesOf(entries: readonly string[]): Rules {
  const rules: Rules = { hosts: [], addresses: new BlockList() };
  for (const entry of entries) {
    const [network, prefix] = entry.split('/') as [string, string | undefined];
    const address = canonicalAddress(network);
    if (isIP(address) === 0) rules.hosts.push(entry);
    else rules.addresses.addSubnet(address, prefix === undefined ? (typeOf(address) === 'ipv6' ? 128 : 32) : Number(prefix), typeOf(address));
  }
  return rules;
}

/** Whether a `network.destinations` entry is a host name, `*.suffix`, an address or a CIDR; the problem otherwise. */
export function destinationEntryProblem(entry: string): string | undefined {
  const [network, prefix, extra] = entry.split('/');
  const address = canonicalAddress(network!);
  if (extra !== undefined) return 'must be a host name, *.domain, an IP address or a CIDR such as 10.0.0.0/8';
  if (isIP(address) !== 0) {
    const max = typeOf(address) === 'ipv6' ? 128 : 32;
    if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max)) return `has a prefix length that is not 0..${max}`;
    return undefined;
  }
  if (prefix !== undefined) return 'is a CIDR whose address is not an IP address';
  return /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(network!) ? undefined : 'must be a host name, *.domain, an IP address or a CIDR such as 10.0.0.0/8';
}

/** The policy of a configuration's `network` section (the older denyPrivateDestinations counts as both denials). */
export function destinationPolicyOf(network: { destinations: DestinationSettings; denyPrivateDestinations?: boolean }, ownListeners?: () => readonly ListenerAddress[]): DestinationPolicy {
  const old = network.denyPrivateDestinations === true;
  return new DestinationPolicy({ ...network.destinations, denyPrivate: network.destinations.denyPrivate || old, denyLoopback: network.destinations.denyLoopback || old }, ownListeners);
}

export class DestinationPolicy {
  private readonly allow: Rules;
  private readonly deny: Rules;

  constructor(
    private readonly settings: DestinationSettings,
    /** The gateway's own listeners as bound (read at each connect: ports are known only once bound). */
    private readonly ownListeners: () => readonly ListenerAddress[] = () => [],
  ) {
    this.allow = rulesOf(settings.allow);
    this.deny = rulesOf(settings.deny);
  }

  /** Why `address:port` (reached through the name `host`) may not be connected to; undefined when it may. */
  refusal(host: string, address: string, port: number): string | undefined {
    const ip = canonicalAddress(address);
    const type = typeOf(ip);
    const where = `${host === ip ? ip : `${host} (${ip})`}:${port}`;
    if (this.isOwnListener(ip, port)) return `${where} is one of the gateway's own listeners`;
    if (this.deny.hosts.some((pattern) => hostMatches(pattern, host)) || this.deny.addresses.check(ip, type)) return `${where} is in network.destinations.deny`;
    if (this.allow.hosts.some((pattern) => hostMatches(pattern, host)) || this.allow.addresses.check(ip, type)) return undefined;
    if (this.settings.allow.length > 0) return `${where} is not in network.destinations.allow`;
    if (this.settings.denyLoopback && loopback.check(ip, type)) return `${where} is a loopback address (network.destinations.denyLoopback)`;
    if (this.settings.denyPrivate && privateNetworks.check(ip, type)) return `${where} is a private or link-local address (network.destinations.denyPrivate)`;
    return undefined;
  }

  /**
   * For a destination URL's host before any lookup: the refusal when it is a literal address;
   * undefined for a name, whose addresses are checked at each connect.
   */
  literalRefusal(host: string, port: number): string | undefined {
    const bare = legacyIpv4(host.replace(/^\[|\]$/g, ''));
    return isIP(canonicalAddress(bare)) === 0 ? undefined : this.refusal(bare, bare, port);
  }

  /**
   * A `lookup` for net.connect / tls.connect: resolves as dns.lookup does and keeps only the
   * addresses the policy allows, so each address tried is checked; fails when none is left.
   */
  lookupFor(port: number): ConnectLookup {
    return ((hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, options.all ? [] : '');
        const refusals: string[] = [];
        const allowed = addresses.filter((entry) => {
          const refused = this.refusal(hostname, entry.address, port);
          if (refused !== undefined) refusals.push(refused);
          return refused === undefined;
        });
        if (allowed.length === 0) return callback(new DestinationRefusedError(refusals[0] ?? `${hostname} resolved to no address`), options.all ? [] : '');
        if (options.all) return callback(null, allowed);
        callback(null, allowed[0]!.address, allowed[0]!.family);
      });
    });
  }

  private isOwnListener(ip: string, port: number): boolean {
    for (const listener of this.ownListeners()) {
      if (listener.port !== port) continue;
      const host = canonicalAddress(listener.host);
      if (host === ip || loopback.check(ip, typeOf(ip))) return true;
      // A listener on every interface answers on each of this machine's addresses.
      if (host === '0.0.0.0' || host === '::' || host === '') {
        if (Object.values(networkInterfaces()).some((entries) => entries?.some((entry) => canonicalAddress(entry.address) === ip))) return true;
      }
    }
    return false;
  }
}
