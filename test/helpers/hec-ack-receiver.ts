// A test Splunk HTTP Event Collector with indexer acknowledgement on (useACK), for what no real
// receiver here does. It follows Splunk's documentation ("About HTTP Event Collector Indexer
// Acknowledgment" and "HTTP Event Collector REST API endpoints", protocols.md §5.4-5.5) and the
// fixtures splunk-hec-ack-*:
//   - every request must carry `X-Splunk-Request-Channel: <GUID>` (or `?channel=`): without it
//     400 `{"text":"Data channel is missing","code":10}`; a value that is not a GUID, 400
//     `{"text":"Invalid data channel","code":11}`;
//   - an accepted batch is answered 200 `{"text":"Success","code":0,"ackId":N}`, ackIds counting
//     from 0 per channel;
//   - `POST /services/collector/ack` on the same channel with `{"acks":[0,1,2]}` is answered
//     `{"acks":{"0":true,"1":false,"2":true}}`; once an ackId has been reported true it is
//     forgotten (asked again, it is false).
// The test decides when a batch is indexed (`index`), or that it never will be (`lose`).
import type { SinkAnswer, SinkRequest } from './http-sink.js';

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Batch {
  channel: string;
  ackId: number;
  ids: string[];
  state: 'waiting' | 'indexed' | 'lost';
}

export class HecAckReceiver {
  readonly batches: Batch[] = [];
  readonly ackQueries: { channel: string; acks: number[] }[] = [];
  private readonly nextAckId = new Map<string, number>();
  /** Index every batch as soon as it arrives. */
  indexAtOnce = false;
  /** Answer this many more event requests with `code 11` first. */
  refuseChannel = 0;

  /** Event ids indexed, in the order their batches were indexed (a lost batch's never). */
  readonly indexed: string[] = [];

  readonly handler = (request: SinkRequest): SinkAnswer => {
    const channel = request.headers['x-splunk-request-channel'] ?? new URL(request.url, 'http://hec').searchParams.get('channel') ?? undefined;
    if (typeof channel !== 'string') return { status: 400, body: '{"text":"Data channel is missing","code":10}' };
    if (!guid.test(channel) || (request.url.startsWith('/services/collector/event') && this.refuseChannel-- > 0)) return { status: 400, body: '{"text":"Invalid data channel","code":11}' };
    if (request.url.startsWith('/services/collector/ack')) {
      const { acks } = JSON.parse(request.body) as { acks: number[] };
      this.ackQueries.push({ channel, acks });
      const answer: Record<string, boolean> = {};
      for (const ackId of acks) {
        const batch = this.batches.find((candidate) => candidate.channel === channel && candidate.ackId === ackId && candidate.state === 'indexed');
        answer[String(ackId)] = batch !== undefined;
        // Reported true once: forgotten.
        if (batch !== undefined) batch.ackId = -1;
      }
      return { status: 200, body: JSON.stringify({ acks: answer }) };
    }
    const ackId = this.nextAckId.get(channel) ?? 0;
    this.nextAckId.set(channel, ackId + 1);
    const ids = request.body.trimEnd().split('\n').map((line) => ((JSON.parse(line) as { event: { id: string } }).event.id));
    const batch: Batch = { channel, ackId, ids, state: 'waiting' };
    this.batches.push(batch);
    if (this.indexAtOnce) this.index(batch);
    return { status: 200, body: JSON.stringify({ text: 'Success', code: 0, ackId }) };
  };

  /** The batches not yet indexed nor lost, oldest first. */
  waiting(): Batch[] {
    return this.batches.filter((batch) => batch.state === 'waiting');
  }

  index(batch: Batch): void {
    batch.state = 'indexed';
    this.indexed.push(...batch.ids);
  }

  /** The indexer lost it: its acknowledgement never comes. */
  lose(batch: Batch): void {
    batch.state = 'lost';
  }
}
