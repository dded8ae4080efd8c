import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago, for a child process (redis-server, nginx) that
 * needs its port on the command line. Another process could take it in between; callers that
 * start a server on it retry with a fresh port when it fails to bind.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
