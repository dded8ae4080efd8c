import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './free-port.js';

/**
 * A server binary (Debian package) run as a child process for a test: spawned, polled until it
 * answers, stopped with a graceful signal and SIGKILL if it lingers. The test helpers for nginx
 * and redis-server differ only in their command line, readiness probe and stop signal.
 */
export interface ServerProcess {
  /** The child's stdout and stderr so far, for failure messages. */
  output(): string;
  /** Sends `stopSignal`, then SIGKILL after 5 s, and waits for the child to exit. */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  command: string;
  args: readonly string[];
  /** Resolves true once the server serves (polled every 50 ms). */
  ready: () => Promise<boolean>;
  /** The error message when it exits or is not ready in time, given its output so far. */
  failure: (output: string) => string;
  stopSignal: NodeJS.Signals;
  startTimeoutMs?: number;
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(options.command, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  while (!(await options.ready())) {
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(options.failure(output));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(options.stopSignal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `start` on a free loopback port, or on `port` when given. Another process may take a free port
 * between freePort() and the server binding it, so a chosen port is retried up to 3 more times.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, port?: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const chosen = port ?? (await freePort());
    try {
      return await start(chosen);
    } catch (error) {
      if (port !== undefined || attempt >= 3) throw error;
    }
  }
}
