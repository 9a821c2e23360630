// Starts wasm-bindgen-rayon's thread pool from a Web Worker of its own (the pool host)
// instead of from the page. Starting a pool ends in rayon's `build_global`, which hands each
// thread over on a channel guarded by a lock and waits for the threads to be primed: on the
// page's thread a contended lock means `Atomics.wait`, which the browser forbids there
// ("Atomics.wait cannot be called in this context"). A worker may block, so the whole start
// runs here, and the page only awaits a message.
//
// This file is both the page's helper (`startPoolHost`) and the host worker's script: the
// worker is started from this file's own URL and waits for its start message.

const hosts = []; // Keeps the host worker referenced for as long as the page lives.

export function startPoolHost(mainJS, module, memory, threads) {
  return new Promise((resolve, reject) => {
    const host = new Worker(new URL(import.meta.url), { type: 'module', name: 'pool host' });
    hosts.push(host);
    host.addEventListener('message', ({ data }) => {
      if (data?.type === 'pool_host_ready') resolve();
      else if (data?.type === 'pool_host_failed') reject(new Error(data.message));
    });
    host.addEventListener('error', (event) => {
      reject(new Error(event.message || 'the pool host worker could not load its script'));
    });
    host.postMessage({ type: 'pool_host_start', mainJS, module, memory, threads });
  });
}

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  self.addEventListener('message', async ({ data }) => {
    if (data?.type !== 'pool_host_start') return;
    try {
      const pkg = await import(data.mainJS);
      await pkg.default({ module_or_path: data.module, memory: data.memory });
      await pkg.pool_host_start(data.threads);
      pkg.pool_host_park_residents();
      postMessage({ type: 'pool_host_ready' });
    } catch (error) {
      postMessage({ type: 'pool_host_failed', message: String(error?.message ?? error) });
    }
  });
}
