/**
 * Worker-thread entry that owns the onnxruntime sessions (see `ModelThread`). onnxruntime-node
 * runs a session synchronously on the thread that calls it; here that thread is this worker, so
 * the service's event loop keeps answering HTTP while a batch runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceLogger } from './logger.js';
import type { MainMessage, ThreadOptions, WorkerMessage } from './model-thread-protocol.js';
import { serializeError } from './model-thread-protocol.js';
import { OrtGraphs } from './ort-graphs.js';

const port = parentPort;
if (!port) throw new Error('model-worker.ts must run in a worker thread');

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const relayLogger: InferenceLogger = {
  info: (details, message) => post({ type: 'log', level: 'info', details, message }),
  warn: (details, message) => post({ type: 'log', level: 'warn', details, message }),
  debug: (details, message) => post({ type: 'log', level: 'debug', details, message }),
};

async function main(): Promise<void> {
  let graphs: OrtGraphs;
  try {
    graphs = await OrtGraphs.load({ ...(workerData as ThreadOptions), logger: relayLogger });
  } catch (error) {
    post({ type: 'load-failed', error: serializeError(error) });
    port!.close();
    return;
  }
  post({
    type: 'ready',
    manifest: graphs.manifest,
    activeProvider: graphs.activeProvider,
    providerAttempts: [...graphs.providerAttempts],
    warmUpMs: graphs.warmUpMs,
  });

  // Requests are handled one at a time, in arrival order: the sessions run synchronously anyway.
  let queue = Promise.resolve();
  port!.on('message', (message: MainMessage) => {
    queue = queue.then(() => handle(graphs, message));
  });
}

async function handle(graphs: OrtGraphs, message: MainMessage): Promise<void> {
  if (message.type === 'close') {
    await graphs.close();
    port!.close();
    return;
  }
  try {
    const data =
      message.type === 'encode'
        ? await graphs.encode(message.logMels, message.batch)
        : await graphs.predict(message.embeddings, message.instrumentIds, message.batch);
    post({ type: 'result', id: message.id, data }, [data.buffer as ArrayBuffer]);
  } catch (error) {
    post({ type: 'error', id: message.id, error: serializeError(error) });
  }
}

void main();
