// A process of a process pool: a module Web Worker with its own instance of the playground's
// module and its own memory (the glue creates a fresh one when none is passed), sharing
// nothing with the page or the other processes. The parent talks to it only by messages of
// bytes, as CPython's pipes do: a task message in, the pickled results out. Nothing here
// needs cross-origin isolation: the page posts the compiled module (a WebAssembly.Module may
// be posted to a worker of the same agent cluster), never its memory.
//
// This file is both the page's helper (`startProcess`, `postTasks`) and the process's script:
// the worker is started from this file's own URL and waits for its start message.

const now = () => performance.timeOrigin + performance.now();

/** Starts a process; `onMessage(data)` receives what it says (its replies to tasks, as
 * bytes; `ready`, `progress`, `died`) until `endProcess` ends it. */
export function startProcess(mainJS, module, name, onMessage) {
  const worker = new Worker(new URL(import.meta.url), { type: 'module', name });
  const tell = (data) => {
    if (!ended.has(worker)) onMessage(data);
  };
  worker.addEventListener('message', ({ data }) => tell(data));
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    tell({ type: 'died', message: event.message || 'the process could not load its script' });
  });
  worker.addEventListener('messageerror', () => {
    tell({ type: 'died', message: 'a message from the process could not be read' });
  });
  worker.postMessage({ type: 'process_start', mainJS, module });
  return worker;
}

/** Processes ended: nothing they said after is passed on (the page has let go of them). */
const ended = new WeakSet();

/** Ends a process at once (`terminate`); whatever it still says is dropped. */
export function endProcess(worker) {
  ended.add(worker);
  worker.terminate();
}

/** Sends task messages to a process, in order, in one message: `bytes` holds them one after
 * another, the first ending at `ends[0]`, the next at `ends[1]`, and so on (both are views of
 * the page's module memory, read here at once). One task goes as its own bytes, several as an
 * Array of them; each is copied out (a few dozen bytes: a copy costs less than a transfer). */
export function postTasks(worker, bytes, ends) {
  if (ends.length === 1) {
    worker.postMessage(bytes.slice(0, ends[0]));
    return;
  }
  const tasks = [];
  let start = 0;
  for (const end of ends) {
    tasks.push(bytes.slice(start, end));
    start = end;
  }
  worker.postMessage(tasks);
}

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  let pkg = null;
  const die = (error) => {
    postMessage({ type: 'died', message: String(error?.message ?? error) });
    close();
  };
  self.addEventListener('message', async ({ data }) => {
    if (data?.type === 'process_start') {
      try {
        const glue = await import(data.mainJS);
        await glue.default({ module_or_path: data.module });
        pkg = glue;
        postMessage({ type: 'ready', at: now() });
      } catch (error) {
        die(error);
      }
    } else if (data instanceof Uint8Array || Array.isArray(data)) {
      // A task, or several in order: each one's reply, its results and their times, goes
      // back as bytes as soon as it is done.
      for (const task of data instanceof Uint8Array ? [data] : data) {
        // The page's progress display hears of the items done, at most every 100 ms.
        let told = now();
        const itemDone = (done) => {
          const at = now();
          if (at - told >= 100) {
            told = at;
            postMessage({ type: 'progress', done });
          }
        };
        try {
          const reply = pkg.process_serve(task, itemDone);
          postMessage(reply, [reply.buffer]);
        } catch (error) {
          die(error);
          return;
        }
      }
    }
  });
}
