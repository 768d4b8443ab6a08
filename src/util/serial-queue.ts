/** Runs tasks one after another, in the order given; a task that fails does not stop the ones after it. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Settles once every task given so far has finished. */
  get idle(): Promise<unknown> {
    return this.tail;
  }
}
