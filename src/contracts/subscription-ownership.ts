// When several gateways share one storage, each subscription is delivered by exactly one of them.
// A backend that can be shared says who (JetStream: leases in a KV bucket); the leased delivery
// (src/pipeline/leased-delivery.ts) runs pipelines for what this process owns.

export interface SubscriptionOwnership {
  /** This process's name among the gateways. */
  readonly processName: string;
  /** The subscriptions this process delivers now. */
  readonly owned: ReadonlySet<string>;
  /** The gateways alive now, this one included. */
  readonly liveMembers: readonly string[];
  /** Who delivers `subscriptionId`, when someone does. */
  ownerOf(subscriptionId: string): string | undefined;
  /** The subscriptions to share out (the enabled ones). */
  setWanted(subscriptionIds: readonly string[]): Promise<void>;
  /** Hands back what this process owns, so the others take over at once. */
  close(): Promise<void>;
}

/** Joins the sharing; `onOwnedChange` is called (and awaited) whenever `owned` changes. */
export type OpenOwnership = (onOwnedChange: () => Promise<void>) => Promise<SubscriptionOwnership>;
