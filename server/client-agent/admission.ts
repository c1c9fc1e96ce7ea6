// Bounded concurrent identifications. When thousands of devices reconnect at once (a
// server restart, a network blip), every hello costs a database lookup and two RabbitMQ
// round trips; started all together they would queue up inside the database and the
// broker and time out there, failing many. Here at most `concurrency` run at a time and
// the rest wait their turn in order; a hello that cannot even get a place in the line is
// refused at once (close 1013, "try again later"), and the device comes back after its
// jittered backoff.

export type Release = () => void;

export class Admission {
  private running = 0;
  private readonly waiting: Array<(release: Release) => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  /** A turn, now or once one is free; null when the line is full. */
  acquire(): Promise<Release> | null {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) return null;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  get inProgress(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(this.releaser());
      else this.running--;
    };
  }
}
