import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

/** Liveness stays truthful while draining: the process is alive, it just takes no new work. */
const ANSWERED_WHILE_DRAINING = new Set(['/healthz']);

/**
 * Closing the listener is not enough to drain: a keep-alive connection that is busy when closing
 * begins would stay open after its response (Fastify's keep-alive timeout is 72 s), holding the
 * close back past any grace period. So while closing, every response says `Connection: close`.
 *
 * While the app closes, requests that still arrive on open keep-alive connections are refused
 * with our error model (503 NOT_READY) and `Connection: close`, so clients move to another replica.
 * Fastify's own 503 during close has a different body shape, so the app turns that off
 * (`return503OnClosing: false`) and relies on this hook instead. Requests already running when
 * closing began are not affected: they finish, and the server waits for them.
 */
export function installDraining(app: FastifyInstance, state: { readonly closing: boolean }): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!state.closing || ANSWERED_WHILE_DRAINING.has(request.routeOptions.url ?? '')) return;
    reply.header('connection', 'close');
    throw new ApiError('NOT_READY', 'shutting down; retry on another replica', undefined, 1);
  });
  app.addHook('onSend', async (_request, reply) => {
    if (state.closing) reply.header('connection', 'close');
  });
}
