// A PKCS#12 file sent through the API is opened in a worker thread of its own: its key derivation
// (node-forge, pure JavaScript) never holds the thread that answers the API and ingest, and a
// worker that takes longer than `timeoutMs` (iterations hidden inside encrypted content) is stopped.
import { Worker } from 'node:worker_threads';
import { KeyMaterialError } from './key-material.js';

export function openPkcs12OffThread(der: Buffer, passphrase: string, maxIterations: number, timeoutMs = 10_000): Promise<{ cert: string; key: string }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./pkcs12-worker.js', import.meta.url), { workerData: { der, passphrase, maxIterations } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new KeyMaterialError(`opening the PKCS#12 file took longer than ${timeoutMs / 1000} s; it was stopped`, true));
    }, timeoutMs);
    worker.once('message', (answer: { ok: true; pair: { cert: string; key: string } } | { ok: false; message: string; material: boolean; inFile: boolean }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (answer.ok) resolve(answer.pair);
      else reject(answer.material ? new KeyMaterialError(answer.message, answer.inFile) : new Error(answer.message));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
