import { connect } from 'node:net';
import { onFreePort, startServerProcess } from './server-process.js';

/** A throwaway redis-server (Debian package) on a loopback port: no persistence, gone when stopped. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

export function startRedis(port?: number): Promise<RedisServer> {
  return onFreePort(startOn, port);
}

async function startOn(port: number): Promise<RedisServer> {
  const server = await startServerProcess({
    command: 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    ready: () => answersPing(port),
    failure: (output) => `redis-server did not start on port ${port}: ${output.slice(-2000)}`,
    stopSignal: 'SIGTERM',
  });
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => server.stop() };
}

/** One inline PING over a fresh connection, answered +PONG within a second. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
