import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LogLine {
  msg?: string;
  level?: number;
  [field: string]: unknown;
}

/** `stemdex serve` as a container runs it: its own process, configured by environment only. */
export interface ServeProcess {
  url: string;
  /** The JSON log lines printed so far (pino, one object per line). */
  logs: () => LogLine[];
  /** Waits until a log line satisfies `match`, or fails after `timeoutMs`. */
  waitForLog: (match: (line: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>;
  exited: Promise<{ code: number | null; at: number }>;
  kill: (signal: NodeJS.Signals) => void;
}

export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      STEMDEX_HOST: '127.0.0.1',
      STEMDEX_PORT: '0',
      STEMDEX_LOG_LEVEL: 'info',
      STEMDEX_EXECUTION_PROVIDERS: 'cpu',
      STEMDEX_AUDIO_WORKERS: '1',
      STEMDEX_INTRA_OP_THREADS: '1',
      ...env,
    },
  });
  let text = '';
  const lines: LogLine[] = [];
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
    const complete = text.split('\n');
    text = complete.pop() ?? '';
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ msg: line });
      }
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const waitForLog = async (match: (line: LogLine) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find(match);
      if (found) return found;
      if (hasExited || Date.now() > deadline) {
        throw new Error(`log line not seen; log so far:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const listening = await waitForLog((line) => /Server listening at/.test(line.msg ?? ''), 120_000);
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(listening.msg ?? '')?.[1];
  if (url === undefined) throw new Error(`no address in ${listening.msg}`);
  return { url, logs: () => [...lines], waitForLog, exited, kill: (signal) => child.kill(signal) };
}

export const withMessage = (message: string) => (line: LogLine) => line.msg === message;
