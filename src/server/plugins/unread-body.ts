import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface UnreadBodyLimits {
  /** Past this many discarded bytes the connection is given up on. */
  maxBytes: number;
  /** Past this long the connection is given up on, so a slow client cannot hold a socket. */
  maxMs: number;
}

/**
 * Reads and throws away what is left of a request body, resolving once the client has sent it all
 * or a limit is reached.
 */
export function discardUnreadBody(raw: IncomingMessage, limits: UnreadBodyLimits): Promise<void> {
  if (raw.complete || raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let discarded = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', count).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const count = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limits.maxBytes) done();
    };
    const timer = setTimeout(done, limits.maxMs);
    raw.on('data', count).on('end', done).on('close', done).on('error', done);
    raw.resume();
  });
}

/** Whether the client sent (or declared) a body at all. */
function hasBody(request: FastifyRequest): boolean {
  return (
    Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined
  );
}

/**
 * An error sent before the body was read (401 from the key guard, 429, 503 while draining, 400 on
 * a form field that precedes the file) would make Node close the connection while the client is
 * still writing its upload. The client's next write then fails (EPIPE, ECONNRESET) and it reports a
 * network failure instead of our JSON error. So error replies wait for the rest of the body first,
 * which also keeps the connection reusable.
 *
 * A body refused for its size (413, or a declared length past the limits) is not waited for: not
 * reading it is the point. Then, and past the limits, the connection is closed rather than left
 * holding a paused socket and the client's upload until the keep-alive timeout.
 */
export function installUnreadBodyDrain(app: FastifyInstance, limits: UnreadBodyLimits): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || !hasBody(request) || request.raw.complete) return payload;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (reply.statusCode !== 413 && declared <= limits.maxBytes) {
      await discardUnreadBody(request.raw, limits);
    }
    if (!request.raw.complete) reply.header('connection', 'close');
    return payload;
  });
}
