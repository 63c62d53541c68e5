import type { AuditEventInput } from './writer.js';

/** The buffer stayed full for the whole wait: the request must not be answered with data. */
export class AuditUnavailable extends Error {
  override name = 'AuditUnavailable';
}

interface Waiter {
  readonly event: AuditEventInput;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The events a writer accepted and has not stored yet, and the requests waiting for room (back-pressure). Up to
 * `max` events are accepted at once; past that a request waits for room and, after `waitMs`, is refused with
 * {@link AuditUnavailable} rather than answered unaudited. Nothing is dropped: an event leaves only once stored.
 */
export class AuditBuffer {
  private readonly events: AuditEventInput[] = [];
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly max: number,
    private readonly waitMs: number,
  ) {}

  /** Events accepted (not those still waiting for room). */
  get length(): number {
    return this.events.length;
  }

  /** Events accepted and waiting, not yet stored. */
  get pending(): number {
    return this.events.length + this.waiters.length;
  }

  /** Accepts `event` at once when there is room and no one waits before it; false otherwise. */
  add(event: AuditEventInput): boolean {
    if (this.events.length >= this.max || this.waiters.length > 0) return false;
    this.events.push(event);
    return true;
  }

  /** Waits for room for `event`: settles when it was accepted, or rejects with {@link AuditUnavailable}. */
  wait(event: AuditEventInput): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        event,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(new AuditUnavailable('the audit buffer stayed full'));
        }, this.waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Accepts waiting events, in order, while there is room. */
  admit(): void {
    while (this.waiters.length > 0 && this.events.length < this.max) {
      const waiter = this.waiters.shift()!;
      clearTimeout(waiter.timer);
      this.events.push(waiter.event);
      waiter.resolve();
    }
  }

  /** The oldest `count` events (a batch), left in the buffer until {@link drop} says they were stored. */
  peek(count: number): AuditEventInput[] {
    return this.events.slice(0, count);
  }

  /** Removes the oldest `count` events: they were stored. */
  drop(count: number): void {
    this.events.splice(0, count);
  }
}
