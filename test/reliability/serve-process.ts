import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A `stemdex serve` child process (the real CLI) on a free loopback port. */
export interface ServeProcess {
  url: string;
  pid: number;
  log: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
  /** RSS of the child in MB (from /proc; NaN where unavailable). */
  rssMb: () => number;
}

export class ServeStartError extends Error {
  readonly code = 'SERVE_START_FAILED';
}

export async function startServe(env: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      STEMDEX_HOST: '127.0.0.1',
      STEMDEX_PORT: '0',
      STEMDEX_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString();
    // Keep the tail only: a long soak logs every request.
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match?.[1]) {
        clearInterval(timer);
        resolve(match[1]);
      } else if (gone || Date.now() > deadline) {
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new ServeStartError(`stemdex serve did not start: ${log.slice(-4000)}`));
      }
    }, 25);
  });
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    log: () => log,
    exited,
    kill: (signal) => {
      child.kill(signal);
    },
    rssMb: () => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
        return kb === undefined ? Number.NaN : Number(kb) / 1024;
      } catch {
        return Number.NaN;
      }
    },
  };
}
