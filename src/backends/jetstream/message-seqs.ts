// One JetStream message holds one request's events (the client's JSON, as the file journal keeps
// it), so an event's journal seq is derived from its message's stream seq and its place in it:
// message m holds seqs m·span, m·span + 1, … Seqs stay increasing, with gaps between messages
// (as between environments). A cursor that has delivered message m whole is `throughMessage(m)`.

/** More events than any request can hold (64 MiB of at least 50 bytes each); 2^53 / 2^22 messages last. */
export const seqSpan = 2 ** 22;

export function firstSeqOf(messageSeq: number): number {
  return messageSeq * seqSpan;
}

/** The cursor of a subscription that delivered every event up to and including message `messageSeq`. */
export function throughMessage(messageSeq: number): number {
  return messageSeq * seqSpan + seqSpan - 1;
}

export function messageOf(seq: number): number {
  return Math.floor(seq / seqSpan);
}

/** The message whose events come right after `cursor`: the next one, or the same one when it was delivered in part. */
export function messageAfter(cursor: number): number {
  return messageOf(cursor + 1);
}
