// The worker side of openPkcs12OffThread: opens one PKCS#12 file and answers.
import { parentPort, workerData } from 'node:worker_threads';
import { KeyMaterialError, openPkcs12 } from './key-material.js';

const { der, passphrase, maxIterations } = workerData as { der: Uint8Array; passphrase: string; maxIterations: number };
try {
  parentPort!.postMessage({ ok: true, pair: openPkcs12(Buffer.from(der), passphrase, maxIterations) });
} catch (error) {
  parentPort!.postMessage({ ok: false, message: (error as Error).message, material: error instanceof KeyMaterialError, inFile: error instanceof KeyMaterialError && error.inFile });
}
