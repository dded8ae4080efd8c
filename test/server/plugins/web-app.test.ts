import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../../src/server/plugins/error-handler.js';
import { installWebApp, WEB_APP_CSP } from '../../../src/server/plugins/web-app.js';
import { tempDir } from '../../helpers/app.js';

/** The static web-app plugin on a hand-made build folder (the browser test covers the real build). */

const dir = tempDir('stemdex-web-');
const apps: FastifyInstance[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
  dir.remove();
});

async function serve(root: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  await installWebApp(app, root);
  await app.ready();
  apps.push(app);
  return app;
}

describe('installWebApp', () => {
  it('serves index.html and known asset types from memory with their caching rules', async () => {
    const root = join(dir.path, 'built');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(root, 'assets', 'index-abc12345.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets', 'index-abc12345.css'), 'body{}');
    writeFileSync(join(root, 'assets', 'notes.txt'), 'not served');
    writeFileSync(join(root, 'secret.json'), '{}');
    const app = await serve(root);

    for (const url of ['/', '/index.html']) {
      const index = await app.inject({ url });
      expect(index.statusCode).toBe(200);
      expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(index.headers['cache-control']).toBe('no-cache');
      expect(index.headers['content-security-policy']).toBe(WEB_APP_CSP);
      expect(index.headers['x-content-type-options']).toBe('nosniff');
    }
    const script = await app.inject({ url: '/assets/index-abc12345.js' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('console.log(1)');
    expect((await app.inject({ url: '/assets/index-abc12345.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );

    // Only files read at start-up are served: no other type, nothing outside assets/, no traversal.
    for (const url of ['/assets/notes.txt', '/assets/..%2fsecret.json', '/assets/..%2f..%2fpackage.json']) {
      const response = await app.inject({ url });
      expect({ url, status: response.statusCode, code: response.json().error.code }).toEqual({
        url,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
  });

  it('answers / with a NOT_FOUND that says how to build when the web app is not built', async () => {
    const app = await serve(join(dir.path, 'missing'));
    const response = await app.inject({ url: '/' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('npm run build'),
    });
  });
});
