import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installDraining } from '../../src/server/plugins/draining.js';
import { installErrorHandler } from '../../src/server/plugins/error-handler.js';

/** What clients still connected to a closing replica see. */
function drainingApp(state: { closing: boolean }) {
  const app = Fastify({ return503OnClosing: false });
  installErrorHandler(app);
  installDraining(app, state);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/v1/stems', async () => ({ items: [] }));
  return app;
}

describe('draining', () => {
  it('serves normally, with keep-alive, until closing begins', async () => {
    const app = drainingApp({ closing: false });
    const response = await app.inject({ method: 'GET', url: '/v1/stems' });
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).not.toBe('close');
    await app.close();
  });

  it('refuses new work while closing in the API error model, and closes the connection', async () => {
    const app = drainingApp({ closing: true });
    const response = await app.inject({ method: 'GET', url: '/v1/stems?limit=1' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'NOT_READY', message: expect.any(String) } });
    expect(response.headers.connection).toBe('close');
    expect(response.headers['retry-after']).toBe('1');
    await app.close();
  });

  it('keeps liveness truthful while closing, but asks the client to reconnect elsewhere', async () => {
    const app = drainingApp({ closing: true });
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    await app.close();
  });
});
