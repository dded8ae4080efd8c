import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';

/**
 * Serves the web app (built by `npm run build` into `dist/web`) at `/`. The build is a few hundred
 * kilobytes, so it is read into memory once at start-up: no file system access per request and no
 * path from a URL ever reaches the file system. Asset names carry content hashes (Vite), so they
 * are cached for a year; `index.html` is revalidated on every load so a new release is picked up.
 */

/** No inline scripts or styles, nothing from other origins; audio is fetched and decoded as blobs. */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

interface Asset {
  body: Buffer;
  contentType: string;
}

/** `dist/web` of the package this module belongs to (run from `dist/src` or, in tests, from `src`). */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'dist', 'web');
}

async function loadAssets(root: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const dir = join(root, 'assets');
  const names = existsSync(dir) ? await readdir(dir) : [];
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType !== undefined) assets.set(name, { body: await readFile(join(dir, name)), contentType });
  }
  return assets;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', WEB_APP_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

export async function installWebApp(app: FastifyInstance, root = defaultWebRoot()): Promise<void> {
  const indexPath = join(root, 'index.html');
  const index = existsSync(indexPath) ? await readFile(indexPath) : null;
  const assets = await loadAssets(root);
  if (index === null) app.log.warn({ root }, 'web app not built (npm run build): / answers 404');

  const serveIndex = async (_request: unknown, reply: FastifyReply) => {
    if (index === null) throw new ApiError('NOT_FOUND', 'the web app is not built: run `npm run build`');
    return securityHeaders(reply)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(index);
  };
  // Static files cost nothing worth limiting and would eat the client's API budget.
  const hide = { schema: { hide: true }, config: { rateLimit: false as const } };
  app.get('/', hide, serveIndex);
  app.get('/index.html', hide, serveIndex);
  app.get('/assets/:name', hide, async (request, reply) => {
    const { name } = request.params as { name: string };
    const asset = assets.get(name);
    if (asset === undefined) throw new ApiError('NOT_FOUND', `no asset ${name}`);
    return securityHeaders(reply)
      .header('content-type', asset.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(asset.body);
  });
}
