import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, errorBody, toApiError } from '../errors.js';

/** Every error, and unknown routes, leave as `{ error: { code, message, details? } }`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((thrown: FastifyError | Error, request, reply) => {
    const error = toApiError(thrown);
    if (error.statusCode >= 500) request.log.error({ err: thrown }, 'request failed');
    else request.log.info({ code: error.code, msg: error.message }, 'request rejected');
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    // What happens to a body this error leaves unread is `installUnreadBodyDrain`'s job.
    return reply.status(error.statusCode).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('NOT_FOUND', `no route ${request.method} ${request.url}`);
    return reply.status(404).send(errorBody(error));
  });
}
