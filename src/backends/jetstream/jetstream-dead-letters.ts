// Dead letters in their own JetStream stream (storage.backend: jetstream), `<stream>-dead-letters`,
// one message per letter on `<stream>.dead.<subscription>`: whichever gateway dead-letters an event,
// every gateway lists, replays and removes it. A letter is stored (publish acknowledged) before the
// subscription's consumer is acknowledged past it.
import { RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import { apiErrorCode, subjectToken, type NatsLink } from './nats-connection.js';
import type { DeadLetter, DeadLetterArchive } from '../../contracts/dead-letters.js';

export class JetStreamDeadLetters implements DeadLetterArchive {
  private constructor(
    private readonly link: NatsLink,
    private readonly stream: string,
  ) {}

  static async open(link: NatsLink): Promise<JetStreamDeadLetters> {
    const stream = `${link.settings.stream}-dead-letters`;
    try {
      await link.jsm.streams.info(stream);
    } catch (error) {
      if (apiErrorCode(error) !== 10059) throw error;
      await link.jsm.streams.add({ name: stream, subjects: [`${link.settings.stream}.dead.*`], storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: link.settings.replicas });
    }
    return new JetStreamDeadLetters(link, stream);
  }

  private subject(subscriptionId: string): string {
    return `${this.link.settings.stream}.dead.${subjectToken(subscriptionId)}`;
  }

  async add(letters: readonly DeadLetter[]): Promise<void> {
    await Promise.all(letters.map((letter) => this.link.js.publish(this.subject(letter.subscription), JSON.stringify(letter))));
  }

  list(subscriptionId: string): Promise<{ letters: DeadLetter[]; unreadable: number }> {
    return this.read(subscriptionId).then(({ letters, unreadable }) => ({ letters: letters.map((entry) => entry.letter), unreadable }));
  }

  async rewrite(subscriptionId: string, remove: (letter: DeadLetter) => boolean): Promise<number> {
    const { letters } = await this.read(subscriptionId);
    let removed = 0;
    for (const { seq, letter } of letters) {
      if (!remove(letter)) continue;
      if (await this.link.jsm.streams.deleteMessage(this.stream, seq, false)) removed++;
    }
    return removed;
  }

  async remove(subscriptionId: string): Promise<void> {
    await this.link.jsm.streams.purge(this.stream, { filter: this.subject(subscriptionId) });
  }

  /** Every stored letter of the subscription, in order, through an ordered consumer. */
  private async read(subscriptionId: string): Promise<{ letters: { seq: number; letter: DeadLetter }[]; unreadable: number }> {
    const consumer = await this.link.js.consumers.get(this.stream, { filter_subjects: this.subject(subscriptionId) });
    const letters: { seq: number; letter: DeadLetter }[] = [];
    let unreadable = 0;
    let pending = (await consumer.info()).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 1_000), expires: 5_000 });
      let got = 0;
      for await (const message of batch as AsyncIterable<JsMsg>) {
        got++;
        try {
          letters.push({ seq: message.seq, letter: message.json<DeadLetter>() });
        } catch {
          unreadable++;
        }
        pending = message.info.pending;
      }
      if (got === 0) break;
    }
    return { letters, unreadable };
  }
}
