import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { onFreePort, startServerProcess } from './server-process.js';

/**
 * nginx (Debian package) as the load balancer in front of stemdex replicas, on a loopback port,
 * configured as docs/deploy.md recommends: round robin, X-Forwarded-For appended, request bodies
 * buffered so a request refused by a closing replica's listener goes to the next one, and
 * idempotent requests retried on a replica's 503. Each response names the replica that served
 * it in `X-Upstream`, so tests can tell where requests went.
 */
export interface Nginx {
  url: string;
  stop(): Promise<void>;
  /** nginx's error log, for failure messages. */
  errors(): string;
}

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

export function nginxConfig(dir: string, port: number, upstreams: string[]): string {
  const runningAsRoot = process.getuid?.() === 0;
  return `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${runningAsRoot ? 'user root;' : ''}
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 110m;

  upstream stemdex {
${upstreams.map((address) => `    server ${address} max_fails=1 fail_timeout=10s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://stemdex;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout http_503;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

export async function startNginx(dir: string, upstreams: string[]): Promise<Nginx> {
  // Worker processes may run as another user: they must reach the temp folders.
  chmodSync(dir, 0o755);
  return onFreePort((port) => startOn(dir, port, upstreams));
}

async function startOn(dir: string, port: number, upstreams: string[]): Promise<Nginx> {
  const conf = join(dir, 'nginx.conf');
  const log = join(dir, 'error.log');
  writeFileSync(conf, nginxConfig(dir, port, upstreams));
  const errorLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  const server = await startServerProcess({
    command: NGINX,
    args: ['-p', dir, '-c', conf, '-e', log],
    ready: () => accepts(port),
    failure: (output) => `nginx did not start: ${`${output}${errorLog()}`.slice(-2000)}`,
    // SIGQUIT: graceful; SIGKILL if it lingers.
    stopSignal: 'SIGQUIT',
  });
  return {
    url: `http://127.0.0.1:${port}`,
    errors: () => `${server.output()}${errorLog()}`,
    stop: () => server.stop(),
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
  });
}
