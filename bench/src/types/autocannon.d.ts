// The part of autocannon 9's API the load generator uses (autocannon ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** One request as autocannon builds it; setupRequest returns the one to send. */
  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds. */
    timeout?: number;
    /** Answers it returns false for count as `mismatches`. */
    verifyBody?: (body: string) => boolean;
    /** Requests sent in turn by each connection; setupRequest (when given) runs before each one is sent. */
    requests?: { setupRequest?: (request: Request) => Request }[];
  }

  interface Histogram {
    average: number;
    total: number;
    p50: number;
    p99: number;
  }

  interface Result {
    requests: Histogram;
    latency: Histogram;
    throughput: Histogram;
    /** Seconds. */
    duration: number;
    non2xx: number;
    errors: number;
    timeouts: number;
    mismatches: number;
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    on(
      event: 'response',
      listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void,
    ): this;
  }

  function autocannon(options: Options): Instance;
  namespace autocannon {
    export type { Request };
  }
  export default autocannon;
}
