// Publishing to JetStream with many messages in flight. The client's `js.publish` costs a request
// per message (a promise, a timer and two Error objects made up front for their stack traces: a
// quarter of the gateway's CPU under load, by the profile). Here every message is a plain publish
// with a reply subject under one inbox this publisher subscribes to once; the stream's
// acknowledgements are matched to their messages by the reply token. A request resolves when every
// one of its messages is acknowledged, and fails (never hangs) after `timeoutMs`. At most `window`
// messages wait for their acknowledgement at once: past that, a request waits for room, within the
// same timeout, so a slow or absent server cannot make pending publishes grow without bound.
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** One message's acknowledgement: its stream seq, and whether the stream had it already (Nats-Msg-Id). */
export interface PublishAck {
  seq: number;
  duplicate: boolean;
}

/** The stream refused a message: JetStream's API error code and description. */
export class PublishRefusedError extends Error {
  constructor(
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export class PublishTimeoutError extends Error {}

/** How many events a message holds, when more than one. */
export const countHeader = 'Gw-Count';

/** One message: its bytes, the events it holds, and its Nats-Msg-Id when the stream is to drop a repeat. */
export interface OutgoingMessage {
  bytes: Uint8Array;
  count: number;
  id?: string;
}

interface Request {
  acks: PublishAck[];
  remaining: number;
  tokens: number[];
  done: boolean;
  resolve: (acks: PublishAck[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class JetStreamPublisher {
  private readonly inbox = createInbox();
  private readonly subscription: Subscription;
  private nextToken = 1;
  /** Each message waiting for its acknowledgement: its request and its place in it. */
  private readonly waiting = new Map<number, { request: Request; index: number }>();
  private readonly roomWaiters: (() => void)[] = [];

  constructor(
    private readonly connection: NatsConnection,
    private readonly window = 20_000,
    private readonly timeoutMs = 5_000,
  ) {
    this.subscription = connection.subscribe(`${this.inbox}.*`, { callback: (_error, message) => this.acknowledged(message) });
  }

  /** Publishes `messages` to `subject` in order; resolves with their acknowledgements, in the same order. */
  async publish(subject: string, messages: readonly OutgoingMessage[]): Promise<PublishAck[]> {
    if (messages.length === 0) return [];
    const deadline = Date.now() + this.timeoutMs;
    while (this.waiting.size > 0 && this.waiting.size + messages.length > this.window) await this.room(deadline);
    return new Promise<PublishAck[]>((resolve, reject) => {
      const request: Request = { acks: new Array<PublishAck>(messages.length), remaining: messages.length, tokens: [], done: false, resolve, reject, timer: undefined! };
      request.timer = setTimeout(() => this.fail(request, new PublishTimeoutError(`JetStream acknowledged ${messages.length - request.remaining} of ${messages.length} events within ${this.timeoutMs / 1000} s`)), Math.max(1, deadline - Date.now()));
      try {
        for (let index = 0; index < messages.length; index++) {
          const token = this.nextToken++;
          request.tokens.push(token);
          this.waiting.set(token, { request, index });
          const { bytes, id, count } = messages[index]!;
          let options: { reply: string; headers?: ReturnType<typeof headers> } = { reply: `${this.inbox}.${token}` };
          if (id !== undefined || count > 1) {
            const set = headers();
            if (id !== undefined) set.set('Nats-Msg-Id', id);
            if (count > 1) set.set(countHeader, String(count));
            options = { ...options, headers: set };
          }
          this.connection.publish(subject, bytes, options);
        }
      } catch (error) {
        this.fail(request, error as Error);
      }
    });
  }

  private acknowledged(message: Msg): void {
    const token = Number(message.subject.slice(this.inbox.length + 1));
    const entry = this.waiting.get(token);
    if (entry === undefined) return; // its request already failed or timed out
    this.waiting.delete(token);
    this.wakeRoomWaiters();
    const { request, index } = entry;
    if (request.done) return;
    if (message.headers?.hasError) return this.fail(request, new PublishRefusedError(message.headers.code, `JetStream did not take the event: ${message.headers.code} ${message.headers.description}`));
    let answer: { seq?: number; duplicate?: boolean; error?: { err_code?: number; code?: number; description?: string } };
    try {
      answer = message.json();
    } catch {
      return this.fail(request, new PublishRefusedError(undefined, 'JetStream answered a publish with something that is not JSON'));
    }
    if (answer.error !== undefined || answer.seq === undefined) return this.fail(request, new PublishRefusedError(answer.error?.err_code, `JetStream did not take the event: ${answer.error?.description ?? 'no sequence in the acknowledgement'}`));
    request.acks[index] = { seq: answer.seq, duplicate: answer.duplicate === true };
    if (--request.remaining > 0) return;
    request.done = true;
    clearTimeout(request.timer);
    request.resolve(request.acks);
  }

  private fail(request: Request, error: Error): void {
    if (request.done) return;
    request.done = true;
    clearTimeout(request.timer);
    for (const token of request.tokens) this.waiting.delete(token);
    this.wakeRoomWaiters();
    request.reject(error);
  }

  /** Waits until some acknowledgement frees room in the window, or throws at `deadline`. */
  private room(deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.roomWaiters.indexOf(wake);
        if (at >= 0) this.roomWaiters.splice(at, 1);
        reject(new PublishTimeoutError(`${this.waiting.size} events are waiting for JetStream's acknowledgement (the window is ${this.window})`));
      }, Math.max(1, deadline - Date.now()));
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.roomWaiters.push(wake);
    });
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0 || this.waiting.size >= this.window) return;
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /** How many events wait for their acknowledgement now. */
  get pending(): number {
    return this.waiting.size;
  }

  close(): void {
    this.subscription.unsubscribe();
    for (const { request } of [...this.waiting.values()]) this.fail(request, new Error('the JetStream journal is closed'));
  }
}
