// The audit writer's CPU work, cut into slices: it runs in the serving process, and a batch of hundreds of events
// handled in one go would stall every request queued behind it. A slice is a time budget, not a count of events:
// under load every pause waits a whole turn of the event loop (every request ready in it), so pausing every few
// events made a batch take longer than the requests took to fill the next one (the writer fell behind, the buffer
// filled and requests waited for room: issue 16).

/** CPU time the writer spends between two turns of the event loop. */
export const SLICE_MS = 2;

/** Lets the event loop run what waits (requests' I/O) before the batch goes on. */
export const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One run of work in slices of {@link SLICE_MS}: `await slices.next()` between items. */
export class Slices {
  #since = performance.now();

  /** Between two items: serves the event loop when the slice's time is up, then starts a new slice. */
  next(): Promise<void> | undefined {
    if (performance.now() - this.#since < SLICE_MS) return undefined;
    return yieldToRequests().then(() => {
      this.#since = performance.now();
    });
  }
}

/** Items stringified per check of the clock. */
const JSON_CHUNK = 64;

/** `JSON.stringify(items)`, in slices with the event loop served between them. */
export async function jsonInSlices(
  items: readonly unknown[],
  slices: Slices = new Slices(),
): Promise<string> {
  if (items.length <= JSON_CHUNK) return JSON.stringify(items);
  const parts: string[] = [];
  for (let at = 0; at < items.length; at += JSON_CHUNK) {
    parts.push(JSON.stringify(items.slice(at, at + JSON_CHUNK)).slice(1, -1));
    await slices.next();
  }
  return `[${parts.join(',')}]`;
}
