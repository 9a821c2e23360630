// The pool always starts, and handing work to it never blocks the page's thread: the page
// is loaded (starting the pool) and used over and over while two other processes keep both
// cores busy. A hand-off that could make the page's thread wait on a lock held by a worker
// would, sooner or later, throw "Atomics.wait cannot be called in this context" here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { launch, openPage, runInPage, serve, waitForPool } from './harness.mjs';

const PAGE_LOADS = Number(process.env.STRESS_PAGE_LOADS ?? 120);
const RUNS_IN_ONE_PAGE = Number(process.env.STRESS_RUNS ?? 300);

let browser;
let site;
let hogs = [];

before(async () => {
  browser = await launch();
  site = await serve({ isolated: true });
  // Two busy loops, one per core, for the whole test.
  hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
});

after(async () => {
  for (const hog of hogs) hog.kill('SIGKILL');
  await browser?.close();
  await site?.close();
});

const small = [
  { strategy: 'Pool.map', workers: 2, items: 20, cost: 2000 },
  { strategy: 'rayon.par_iter', workers: 3, items: 50, cost: 2000 },
  { strategy: 'threading.Thread', items: 5, cost: 2000, gil: true },
  { strategy: 'queue.Queue', workers: 4, items: 20, cost: 2000, gil: false },
  { strategy: 'rayon.par_iter', workers: 16, items: 64, cost: 1000 },
  { strategy: 'ProcessPoolExecutor.map', workers: 16, items: 40, cost: 1000 },
];

test(`the pool starts and runs on ${PAGE_LOADS} page loads while both cores are busy`, async () => {
  const failures = [];
  for (let load = 0; load < PAGE_LOADS; load += 1) {
    const page = await openPage(browser, site.url);
    try {
      await waitForPool(page);
      const banner = await page.textContent('.pool-ready, .pool-unavailable');
      if (!/Web Workers ready/.test(banner)) throw new Error(banner);
      const config = small[load % 2];
      const trace = await page.evaluate((c) => window.playground.run(c, { baseline: false }), config);
      if (!trace.results_in_order) throw new Error(`${config.strategy}: wrong results`);
      if (page.problems.length) throw new Error(page.problems.join('; '));
    } catch (error) {
      failures.push(`load ${load}: ${error.message}`);
    } finally {
      await page.context().close();
    }
  }
  assert.deepEqual(failures, []);
});

test(`${RUNS_IN_ONE_PAGE} runs in one page, threads and rayon alternating, while both cores are busy`, async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  const outcome = await page.evaluate(async ([configs, runs]) => {
    const failures = [];
    for (let i = 0; i < runs; i += 1) {
      const config = configs[i % configs.length];
      try {
        const trace = await window.playground.run(config, { baseline: false });
        if (!trace.results_in_order) failures.push(`run ${i} ${config.strategy}: wrong results`);
        const threads = new Set(trace.chunks.map((c) => c.thread));
        const wanted = config.strategy === 'threading.Thread' ? config.items : config.workers;
        if (threads.size > wanted) failures.push(`run ${i} ${config.strategy}: ${threads.size} threads for ${wanted}`);
      } catch (error) {
        failures.push(`run ${i} ${config.strategy}: ${error.message}`);
      }
    }
    return failures;
  }, [small, RUNS_IN_ONE_PAGE]);
  assert.deepEqual(outcome, []);
  assert.deepEqual(page.problems, []);
  // Runs and quick Stops interleaved: the pool stays usable.
  for (let i = 0; i < 20; i += 1) {
    const stopped = await page.evaluate(async (c) => {
      const running = window.playground.run(c, { baseline: false });
      await new Promise((r) => setTimeout(r, 5 + (c.items % 7)));
      window.playground.cancel();
      return running;
    }, { ...small[i % small.length], cost: 200000 + i });
    assert.equal(typeof stopped.stopped, 'boolean');
  }
  const last = await runInPage(page, small[0]);
  assert.equal(last.results_in_order, true);
  assert.deepEqual(page.problems, []);
  await page.close();
});
