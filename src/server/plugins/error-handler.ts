import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, errorBody, toApiError } from '../errors.js';

/** Every error, and unknown routes, leave as `{ error: { code, message, details? } }`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((thrown: FastifyError | Error, request, reply) => {
    const error = toApiError(thrown);
    if (error.statusCode >= 500) request.log.error({ err: thrown }, 'request failed');
    else request.log.info({ code: error.code, msg: error.message }, 'request rejected');
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    // A body refused before its end is left unread: close the connection instead of keeping a
    // paused socket (and the client's upload) alive until the keep-alive timeout.
    const hasBody =
      Number(request.headers['content-length'] ?? 0) > 0 ||
      request.headers['transfer-encoding'] !== undefined;
    if (hasBody && !request.raw.readableEnded) reply.header('connection', 'close');
    return reply.status(error.statusCode).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('NOT_FOUND', `no route ${request.method} ${request.url}`);
    return reply.status(404).send(errorBody(error));
  });
}
