// Calls and notices between two threads over one port (a Worker, or the worker's parentPort).
// A call is answered once, with its result or an error that keeps its message and code; a notice
// is not answered. Messages arrive in the order they were posted, calls and notices alike.
import type { MessagePort, Transferable, Worker } from 'node:worker_threads';

type Port = Pick<MessagePort | Worker, 'postMessage' | 'on' | 'off'>;
export type Handler = (payload: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Message {
  /** Present on calls and answers; absent on notices. */
  call?: number;
  /** The method or notice name; absent on answers. */
  name?: string;
  payload?: unknown;
  error?: { message: string; code?: string };
}

/** An error from the other thread, with its message and code. */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export class ThreadChannel {
  private nextCall = 1;
  private closed = false;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly onMessage = (message: Message) => this.received(message);

  constructor(
    private readonly port: Port,
    private readonly handlers: Record<string, Handler>,
  ) {
    port.on('message', this.onMessage);
  }

  call<T>(name: string, payload?: unknown, transfer?: readonly Transferable[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the other thread is gone'));
    const call = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(call, { resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ call, name, payload } satisfies Message, transfer);
    });
  }

  notify(name: string, payload?: unknown, transfer?: readonly Transferable[]): void {
    if (this.closed) return;
    this.port.postMessage({ name, payload } satisfies Message, transfer);
  }

  /** The other thread is gone: every call still waiting fails with `error`. */
  failAll(error: Error): void {
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
  }

  close(): void {
    this.closed = true;
    this.port.off('message', this.onMessage);
  }

  private received(message: Message): void {
    if (message.name === undefined) {
      const waiting = this.waiting.get(message.call!);
      this.waiting.delete(message.call!);
      if (message.error) waiting?.reject(new RemoteError(message.error.message, message.error.code));
      else waiting?.resolve(message.payload);
      return;
    }
    const handler = this.handlers[message.name];
    if (message.call === undefined) {
      void handler?.(message.payload);
      return;
    }
    const answer = (reply: Message) => this.port.postMessage(reply);
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new Error(`no handler for ${message.name}`);
        return handler(message.payload);
      })
      .then(
        (payload) => answer({ call: message.call, payload }),
        (error: unknown) => answer({ call: message.call, error: { message: (error as Error).message ?? String(error), code: (error as NodeJS.ErrnoException).code } }),
      );
  }
}
