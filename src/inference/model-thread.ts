import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InferenceError, ModelLoadError } from './errors.js';
import { type InferenceLogger, SILENT_LOGGER } from './logger.js';
import type { ModelManifest } from './manifest.js';
import type { MainMessage, SerializedError, ThreadOptions, WorkerMessage } from './model-thread-protocol.js';
import type { ProviderAttempt } from './ort-graphs.js';

/**
 * The onnxruntime sessions, living in a worker thread (`model-worker.ts`). Inputs are copied to
 * the worker (callers may reuse their buffers); outputs are transferred back without a copy.
 *
 * The worker is unref'd while no request is pending, so a caller that forgets `close()` does not
 * keep its process alive, yet an awaited request always does.
 */
export class ModelThread {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (data: Float32Array) => void; reject: (e: Error) => void }
  >();
  private failure: Error | null = null;
  private exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    readonly manifest: ModelManifest,
    readonly activeProvider: ProviderAttempt['provider'],
    readonly providerAttempts: readonly ProviderAttempt[],
    readonly warmUpMs: number,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: WorkerMessage) => this.receive(message));
    worker.on('error', (error) => this.fail(new InferenceError(`model thread crashed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new InferenceError(`model thread exited (code ${code})`)));
    worker.unref();
  }

  static start(options: ThreadOptions, logger: InferenceLogger = SILENT_LOGGER): Promise<ModelThread> {
    const worker = startWorker(options);
    // For the worker's whole life, not just start-up: provider choice, per-batch debug lines.
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'log') logger[message.level](message.details, message.message);
    });
    return new Promise((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'ready') {
          cleanUp();
          resolve(
            new ModelThread(
              worker,
              message.manifest,
              message.activeProvider,
              message.providerAttempts,
              message.warmUpMs,
            ),
          );
        } else if (message.type === 'load-failed') {
          cleanUp();
          reject(new ModelLoadError(message.error.message));
        }
      };
      const onError = (error: Error) => {
        cleanUp();
        reject(new ModelLoadError(`model thread failed to start: ${error.message}`, { cause: error }));
      };
      const onExit = (code: number) => {
        cleanUp();
        reject(new ModelLoadError(`model thread exited during start-up (code ${code})`));
      };
      const cleanUp = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  encode(logMels: Float32Array, batch: number): Promise<Float32Array> {
    return this.request((id) => ({ type: 'encode', id, logMels, batch }));
  }

  predict(embeddings: Float32Array, instrumentIds: readonly number[], batch: number): Promise<Float32Array> {
    return this.request((id) => ({
      type: 'predict',
      id,
      embeddings,
      instrumentIds: [...instrumentIds],
      batch,
    }));
  }

  /** Lets queued runs finish, releases the sessions and ends the thread. */
  async close(): Promise<void> {
    if (this.failure === null) {
      this.failure = new InferenceError('model sessions are closed');
      this.worker.ref();
      this.worker.postMessage({ type: 'close' } satisfies MainMessage);
    }
    await this.exited;
  }

  private request(build: (id: number) => MainMessage): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage(build(id));
    });
  }

  private receive(message: WorkerMessage): void {
    if (message.type !== 'result' && message.type !== 'error') return;
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0 && this.failure === null) this.worker.unref();
    if (message.type === 'result') waiting.resolve(message.data);
    else waiting.reject(rebuildError(message.error));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

function rebuildError(error: SerializedError): Error {
  return error.code === 'MODEL_LOAD_FAILED'
    ? new ModelLoadError(error.message)
    : new InferenceError(error.message);
}

/**
 * The compiled `model-worker.js` beside this module when running from dist/. From source (tsx,
 * vitest) the worker first registers tsx's loader, then imports the TypeScript entry: Node 20
 * applies `--import` loaders in a worker only after resolving its entry file, too late for `.ts`.
 */
function startWorker(options: ThreadOptions): Worker {
  const compiled = fileURLToPath(new URL('./model-worker.js', import.meta.url));
  if (existsSync(compiled)) return new Worker(compiled, { workerData: options });
  const tsxApi = tsxEsmApiUrl();
  const source = new URL('./model-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: options });
}

/** tsx's ESM register API, located through its package.json (its CommonJS build is not usable here). */
function tsxEsmApiUrl(): string {
  const packageJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const entry = manifest.exports['./esm/api']?.import?.default;
  if (!entry)
    throw new ModelLoadError('cannot locate tsx/esm/api to run the model thread from TypeScript source');
  return pathToFileURL(join(dirname(packageJson), entry)).href;
}
