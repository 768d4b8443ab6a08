// Who delivers which subscription when several gateways share one JetStream journal. Ownership is a
// lease in the bucket `<stream>-leases`: the key `lease.<subscription>` holds the owner's process
// name, written with compare-and-set and renewed every third of the TTL; the bucket's max age is
// the TTL, so a lease nobody renews disappears and another process creates it again. Each process
// also keeps `member.<name>` alive the same way, so every process knows how many share the work and
// aims at its share: ceil(subscriptions / members). Over its share it hands leases back (the pipeline
// stops first); under it, it takes free ones, each process preferring different subscriptions
// (rendezvous hashing), so they rarely race for the same key.
//
// A process that cannot renew a lease (NATS unreachable) stops that subscription before the TTL
// runs out, so two processes never deliver one subscription at the same time for long: the new
// owner starts from the consumer's acknowledged position, and at most the in-flight window is
// delivered twice.
import { createHash } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import { fromSubjectToken, subjectToken, type NatsLink } from './nats-connection.js';
import type { SubscriptionOwnership } from '../../contracts/subscription-ownership.js';
import type { Logger } from '../../logger.js';
import { SerialQueue } from '../../util/serial-queue.js';

export interface LeaseOptions {
  link: NatsLink;
  logger: Logger;
  ttlMs: number;
  /** Called (one at a time) with the new set of owned subscriptions; resolves when pipelines follow it. */
  onOwnedChange: (owned: ReadonlySet<string>) => Promise<void>;
}

interface Held {
  revision: number;
  renewedAt: number;
}

export class SubscriptionLeases implements SubscriptionOwnership {
  private readonly held = new Map<string, Held>();
  private wanted: readonly string[] = [];
  private owners = new Map<string, string>();
  private members: string[] = [];
  private memberRevision: number | undefined;
  private readonly queue = new SerialQueue();
  private timer: NodeJS.Timeout | undefined;
  private waiting: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {}

  static async open(options: LeaseOptions): Promise<SubscriptionLeases> {
    const { link, ttlMs } = options;
    const kv = await new Kvm(link.connection).create(`${link.settings.stream}-leases`, { history: 1, ttl: ttlMs, replicas: link.settings.replicas, storage: 'file' });
    const leases = new SubscriptionLeases(kv, options);
    leases.timer = setInterval(() => void leases.tick(), leases.tickMs);
    leases.timer.unref();
    return leases;
  }

  /** Renewals come every third of the TTL at most; free leases are looked for as often. */
  private get tickMs(): number {
    return Math.min(1_000, Math.floor(this.options.ttlMs / 3));
  }

  get processName(): string {
    return this.options.link.processName;
  }

  private get me(): string {
    return this.processName;
  }

  /** The enabled subscriptions, which need an owner; the others' leases are handed back. */
  setWanted(ids: readonly string[]): Promise<void> {
    this.wanted = [...ids].sort();
    return this.tick();
  }

  get owned(): ReadonlySet<string> {
    return new Set(this.held.keys());
  }

  /** Each wanted subscription's owner as last seen (this process's own leases included). */
  ownerOf(id: string): string | undefined {
    return this.held.has(id) ? this.me : this.owners.get(id);
  }

  get liveMembers(): readonly string[] {
    return this.members;
  }

  tick(): Promise<void> {
    // A round already waiting to run will see everything this call would: no pile-up when NATS is slow.
    if (this.waiting) return this.waiting;
    this.waiting = this.queue.run(async () => {
      this.waiting = undefined;
      if (this.closed) return;
      try {
        await this.round();
      } catch (error) {
        this.options.logger.debug({ err: error }, 'lease round failed; it runs again');
      }
      await this.fence();
    });
    return this.waiting;
  }

  private async round(): Promise<void> {
    if (!this.options.link.connected) return;
    const now = Date.now();
    // Membership first: this process counts itself among the live ones.
    this.memberRevision = await (this.memberRevision === undefined ? this.kv.put(`member.${this.me}`, this.me) : this.kv.update(`member.${this.me}`, this.me, this.memberRevision).catch(() => this.kv.put(`member.${this.me}`, this.me)));
    for (const [id, held] of this.held) {
      try {
        held.revision = await this.kv.update(leaseKey(id), this.me, held.revision);
        held.renewedAt = now;
      } catch (error) {
        if (!/wrong last sequence/.test((error as Error).message)) throw error;
        this.held.delete(id);
        this.options.logger.warn({ subscription: id }, `lease of subscription ${id} was taken by another gateway; delivery stops here`);
        await this.options.onOwnedChange(this.owned);
      }
    }
    const members: string[] = [];
    const owners = new Map<string, string>();
    for await (const key of await this.kv.keys()) {
      if (key.startsWith('member.')) members.push(key.slice(7));
      else if (key.startsWith('lease.')) {
        const entry = await this.kv.get(key);
        if (entry?.operation === 'PUT') owners.set(fromSubjectToken(key.slice(6)), entry.string());
      }
    }
    this.members = members.sort();
    this.owners = owners;
    await this.balance(owners, Math.max(1, members.length));
  }

  private async balance(owners: Map<string, string>, memberCount: number): Promise<void> {
    const wanted = new Set(this.wanted);
    const share = Math.ceil(this.wanted.length / memberCount);
    const mine = [...this.held.keys()];
    // Handed back: subscriptions no longer wanted, and those over this process's share (its least preferred first).
    const release = mine.filter((id) => !wanted.has(id));
    const kept = mine.filter((id) => wanted.has(id)).sort((a, b) => this.preference(b) - this.preference(a));
    release.push(...kept.slice(share));
    if (release.length > 0) {
      const revisions = release.map((id) => [id, this.held.get(id)!.revision] as const);
      for (const id of release) this.held.delete(id);
      await this.options.onOwnedChange(this.owned);
      for (const [id, revision] of revisions) {
        await this.kv.delete(leaseKey(id), { previousSeq: revision }).catch(() => undefined);
        this.options.logger.info({ subscription: id }, `lease of subscription ${id} handed back (${wanted.has(id) ? 'over this gateway\'s share' : 'no longer delivered'})`);
      }
    }
    const free = this.wanted.filter((id) => !owners.has(id) && !this.held.has(id)).sort((a, b) => this.preference(b) - this.preference(a));
    let taken = false;
    for (const id of free) {
      if (this.held.size >= share) break;
      try {
        const revision = await this.kv.create(leaseKey(id), this.me);
        this.held.set(id, { revision, renewedAt: Date.now() });
        taken = true;
        this.options.logger.info({ subscription: id }, `lease of subscription ${id} taken; this gateway delivers it`);
      } catch (error) {
        if (!/wrong last sequence|key exists/.test((error as Error).message)) throw error;
      }
    }
    if (taken) await this.options.onOwnedChange(this.owned);
  }

  /** Stops what could not be renewed in time: before the TTL ends, another process may take it. */
  private async fence(): Promise<void> {
    const deadline = Date.now() - (this.options.ttlMs - this.tickMs);
    const lapsed = [...this.held].filter(([, held]) => held.renewedAt < deadline).map(([id]) => id);
    if (lapsed.length === 0) return;
    for (const id of lapsed) this.held.delete(id);
    this.options.logger.error({ subscriptions: lapsed }, `leases could not be renewed within storage.jetstream.leaseTtlSeconds; delivery of ${lapsed.join(', ')} stops here until a lease is taken again`);
    await this.options.onOwnedChange(this.owned);
  }

  /** Rendezvous hashing: each process ranks the subscriptions differently. */
  private preference(id: string): number {
    return createHash('sha1').update(`${this.me}\u0000${id}`).digest().readUInt32BE(0);
  }

  /** Hands every lease back (after the caller stopped the pipelines) and leaves the membership. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queue.run(async () => {
      this.closed = true;
      if (!this.options.link.connected) return;
      for (const [id, held] of this.held) await this.kv.delete(leaseKey(id), { previousSeq: held.revision }).catch(() => undefined);
      this.held.clear();
      await this.kv.delete(`member.${this.me}`).catch(() => undefined);
    });
  }
}

function leaseKey(id: string): string {
  return `lease.${subjectToken(id)}`;
}
