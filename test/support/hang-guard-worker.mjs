// The worker of hang-guard.ts: imports the module (TypeScript, through tsx), calls the function,
// posts what came of it. Plain JavaScript: a worker's own entry cannot be TypeScript here.
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { module, fn, args } = workerData;
const exported = await tsImport(module, import.meta.url);
const f = exported[fn];
if (typeof f !== 'function') throw new Error(`${module} exports no function ${fn}`);
try {
  parentPort.postMessage({ returned: f(...args) });
} catch (err) {
  parentPort.postMessage({
    threw: { name: String(err?.name), ...(typeof err?.code === 'string' ? { code: err.code } : {}), message: String(err?.message) },
  });
}
