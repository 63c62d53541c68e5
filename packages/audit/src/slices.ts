// The audit writer's CPU work, cut into slices: it runs in the serving process, and a batch of hundreds of events
// handled in one go would stall every request queued behind it.

/** Events (or rows) prepared between two turns of the event loop. */
export const SLICE = 16;

/** Lets the event loop run what waits (requests' I/O) before the batch goes on. */
export const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `JSON.stringify(items)`, a slice at a time with the event loop served between slices. */
export async function jsonInSlices(items: readonly unknown[]): Promise<string> {
  if (items.length <= SLICE * 4) return JSON.stringify(items);
  const parts: string[] = [];
  for (let at = 0; at < items.length; at += SLICE * 4) {
    parts.push(JSON.stringify(items.slice(at, at + SLICE * 4)).slice(1, -1));
    await yieldToRequests();
  }
  return `[${parts.join(',')}]`;
}
