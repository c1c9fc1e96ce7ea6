// storage.get-then-set is not atomic: two notifications arriving together would each read the
// old list and one would be lost. Everything that rewrites a key goes through one queue.
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    // The queue continues whether this task succeeds or not.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
