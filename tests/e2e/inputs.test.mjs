// End-to-end: every input is answered, and the page never disagrees with what runs.
// - window.playground.run(x) settles for every x (throwing getters and Proxy traps, wrong
//   types, huge values), leaves no page error, and a later valid call still runs;
// - a link's setting that the strategy does not read is named in a role="alert" with a button
//   that drops it;
// - the controls show the value that runs, for links written loosely;
// - every strategy's bare link is valid, and threading.Thread's runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, runInPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;

before(async () => ({ browser, site } = await startBrowserAndSite()));
after(() => stopBrowserAndSite(browser, site));

/**
 * Calls `playground.run` with the config each named case builds in the page, all at once in
 * one tick, and reports how each settled within `ms` ('resolved', 'rejected: message' or
 * 'pending' when it did not settle: a hang fails the test instead of stalling it).
 */
async function settle(page, names, ms = 10_000) {
  return page.evaluate(async ({ names, ms }) => {
    const cases = {
      throwingGetter: () => ({ get workers() { throw new Error('boom'); } }),
      throwingGetterToo: () => ({ items: 4, get cost() { throw new Error('boom again'); } }),
      throwingGetTrap: () => new Proxy({ workers: 2 }, { get() { throw new Error('get trap'); } }),
      throwingOwnKeys: () => new Proxy({}, { ownKeys() { throw new Error('ownKeys trap'); } }),
      throwingPrototype: () => new Proxy({}, { getPrototypeOf() { throw new Error('prototype trap'); } }),
      revokedProxy: () => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; },
      throwingNonError: () => ({ get items() { throw 42; } }),
      array: () => [],
      date: () => new Date(),
      map: () => new Map([['workers', 2]]),
      regexp: () => /re/,
      numberObject: () => new Number(5),
      string: () => 'workers=2',
      number: () => 5,
      func: () => () => ({ workers: 2 }),
      classInstance: () => new (class Settings { constructor() { this.workers = 2; } })(),
      infinity: () => ({ workers: Infinity }),
      nan: () => ({ workers: NaN }),
      fraction: () => ({ workers: 2.5 }),
      negative: () => ({ workers: -3 }),
      numberForFlag: () => ({ strategy: 'queue.Queue', gil: 1 }),
      objectValue: () => ({ workers: { n: 2 } }),
      hugeValue: () => ({ shape: 'x'.repeat(100_000) }),
      manyUnknownKeys: () => Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])),
      minusZero: () => ({ strategy: 'queue.Queue', workers: 2, items: 4, cost: -0 }),
      undefinedMeansNotGiven: () => ({ strategy: 'queue.Queue', workers: undefined, items: 4, cost: 100 }),
      booleans: () => ({ strategy: 'queue.Queue', workers: 2, items: 4, cost: 100, gil: false }),
      valid: () => ({ strategy: 'Pool.map', workers: 2, items: 8, cost: 100 }),
    };
    const timeout = new Promise((resolve) => setTimeout(() => resolve('pending'), ms));
    const calls = names.map((name) => {
      let promise;
      try {
        promise = window.playground.run(cases[name]());
      } catch (error) {
        return Promise.resolve(`threw synchronously: ${error?.message ?? error}`);
      }
      return Promise.race([
        promise.then((trace) => ({ resolved: trace }), (error) => `rejected: ${error?.message ?? error}`),
        timeout,
      ]);
    });
    const outcomes = await Promise.all(calls);
    return Object.fromEntries(names.map((name, i) => {
      const outcome = outcomes[i];
      if (typeof outcome === 'string') return [name, outcome];
      const { workers, items, cost, gil, strategy } = outcome.resolved;
      return [name, { strategy, workers, items, cost, gil }];
    }));
  }, { names, ms });
}

test('playground.run answers a throwing, wrong-type or oversized config with a rejection', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  await page.waitForFunction(() => window.playground?.run);
  const expected = {
    throwingGetter: /^rejected: workers: reading it threw 'boom'$/,
    throwingGetterToo: /^rejected: cost: reading it threw 'boom again'$/,
    throwingGetTrap: /^rejected: workers: reading it threw 'get trap'$/,
    throwingOwnKeys: /^rejected: config: reading it threw 'ownKeys trap'$/,
    throwingPrototype: /^rejected: config: reading it threw 'prototype trap'$/,
    revokedProxy: /^rejected: config: reading it threw 'Cannot perform 'getPrototypeOf' on a pro…' \(\d+ characters\)$/,
    throwingNonError: /^rejected: items: reading it threw 'a value that is not an Error'$/,
    array: /^rejected: config: config must be an object .* not an Array$/,
    date: /not a Date$/,
    map: /not a Map$/,
    regexp: /not a RegExp$/,
    numberObject: /not a Number$/,
    string: /^rejected: config: config must be an object .* not a string$/,
    number: /not a number$/,
    func: /not a function$/,
    classInstance: /not a Settings$/,
    infinity: /^rejected: workers: Infinity is not a whole number\. Workers must be a whole number from 1 to 16$/,
    nan: /^rejected: workers: NaN is not a whole number/,
    fraction: /^rejected: workers: 2\.5 is not a whole number/,
    // Pool(-3) raises in CPython too: its words first, then the page's.
    negative: /^rejected: workers: CPython refuses it: multiprocessing\.Pool\(-3\) raises ValueError: Number of processes must be at least 1\. -3 is not a whole number/,
    numberForFlag: /^rejected: gil: expected true or false, not the number 1$/,
    objectValue: /^rejected: workers: expected a number, not an Object$/,
    hugeValue: /^rejected: shape: Cost shape must be one of .*, not 'x{40}…' \(100,000 characters\)$/,
    manyUnknownKeys: /^rejected: options: unknown options 'k0', 'k1', 'k2' and 9,997 more: use strategy, workers/,
  };
  const names = Object.keys(expected);
  const outcomes = await settle(page, names);
  for (const name of names) {
    assert.equal(typeof outcomes[name], 'string', `${name} settles with a rejection, got ${JSON.stringify(outcomes[name])}`);
    assert.match(outcomes[name], expected[name], name);
    assert.ok(outcomes[name].length < 600, `${name}: a short message (${outcomes[name].length} characters)`);
  }
  // Two throwing configs in one tick, then a valid call: it still runs.
  const after = await settle(page, ['throwingGetter', 'throwingGetTrap', 'valid']);
  assert.match(after.throwingGetter, /^rejected:/);
  assert.match(after.throwingGetTrap, /^rejected:/);
  const { strategy, workers, items, cost } = after.valid ?? {};
  assert.deepEqual({ strategy, workers, items, cost }, { strategy: 'Pool.map', workers: 2, items: 8, cost: 100 });
  const again = await settle(page, ['valid']);
  assert.equal(again.valid.strategy, 'Pool.map', 'and so does the next one');
  assert.deepEqual(page.problems, [], 'no page error, no console error');
  await page.close();
});

test('playground.run reads JS numbers and booleans as such, and undefined as not given', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  const outcomes = await settle(page, ['minusZero', 'undefinedMeansNotGiven', 'booleans']);
  assert.deepEqual(outcomes.minusZero, { strategy: 'queue.Queue', workers: 2, items: 4, cost: 0, gil: true });
  assert.equal(outcomes.undefinedMeansNotGiven.workers, 4, 'the default worker count');
  assert.deepEqual(outcomes.booleans, { strategy: 'queue.Queue', workers: 2, items: 4, cost: 100, gil: false });
  assert.equal(await page.isChecked('#gil'), false, 'the controls show the run the API asked for');
  assert.deepEqual(page.problems, []);
  await page.close();
});

/** Links that give a setting the strategy does not read, and the setting. */
const refusedLinks = [
  ['strategy=Pool.apply&items=6&chunksize=3', 'chunksize'],
  ['strategy=asyncio.gather&workers=3', 'workers'],
  ['strategy=Pool.map&gil=true', 'gil'],
  ['strategy=threading.Thread&workers=3', 'workers'],
  ['strategy=rayon.par_iter&chunksize=4', 'chunksize'],
  ['strategy=sequential&limit=2', 'limit'],
  ['strategy=queue.Queue&requests=3', 'requests'],
  ['strategy=Pool.apply_async&chunksize=2', 'chunksize'],
];

test('a setting the strategy does not read is named in an alert, and one click drops it', async () => {
  for (const [query, key] of refusedLinks) {
    const page = await openPage(browser, `${site.url}?${query}`);
    await waitForPool(page);
    const alert = page.locator(`.refused[role="alert"][data-key="${key}"]`);
    assert.equal(await alert.count(), 1, `${query}: one alert for ${key}`);
    const text = await alert.textContent();
    assert.ok(text.includes(`${key}=`), `${query}: the alert names ${key}: ${text}`);
    assert.equal(await page.locator('#run').isDisabled(), true, `${query}: Run waits`);
    if (key === 'chunksize' && query.startsWith('strategy=Pool.apply&')) {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 800 });
        await page.screenshot({ path: new URL(`refused-setting-${width}.png`, shots).pathname });
        // The alert wraps within the controls (the page's own width at 390 px is the
        // layout's business): its button is on screen and clickable.
        const overflow = await page.evaluate(() => {
          const alert = document.querySelector('.refused').getBoundingClientRect();
          const form = document.querySelector('.controls').getBoundingClientRect();
          return alert.right - form.right;
        });
        assert.ok(overflow <= 0, `the alert fits the controls at ${width} px (${overflow} px over)`);
      }
    }
    await page.click(`.drop-setting[data-key="${key}"]`);
    assert.equal(await page.locator('.refused').count(), 0, `${query}: the alert is gone`);
    assert.equal(await page.locator('#run').isEnabled(), true, `${query}: Run is enabled`);
    await page.waitForFunction((k) => !new URLSearchParams(location.search).has(k), key);
    assert.deepEqual(page.problems, [], query);
    if (query.startsWith('strategy=Pool.apply&')) {
      await page.click('#run');
      await page.waitForSelector('.run[data-strategy="Pool.apply"]', { timeout: 60_000 });
    }
    await page.close();
  }
});

test('the controls show the value that runs, for links written loosely', async () => {
  const shown = async (query, check) => {
    const page = await openPage(browser, `${site.url}?${query}`);
    await waitForPool(page);
    await check(page);
    assert.deepEqual(page.problems, [], query);
    await page.close();
  };
  await shown('strategy=%20static%20&workers=2&items=8&cost=100', async (page) => {
    assert.equal(await page.inputValue('#strategy'), 'static');
    await page.click('#run');
    await page.waitForSelector('.run[data-strategy="static"]', { timeout: 60_000 });
  });
  await shown('strategy=queue.Queue&workers=2&items=4&cost=100&gil=TRUE', async (page) => {
    assert.equal(await page.isChecked('#gil'), true);
    assert.deepEqual(await runInPage(page, { strategy: 'queue.Queue', workers: 2, items: 4, cost: 100, gil: 'TRUE' }).then((t) => t.gil), true);
  });
  await shown('strategy=queue.Queue&gil=False', async (page) => {
    assert.equal(await page.isChecked('#gil'), false);
  });
  await shown('shape=%20Random%20', async (page) => {
    assert.equal(await page.inputValue('#shape'), 'random');
    await page.waitForFunction(() => location.search.includes('shape=random'));
  });
  await shown('strategy=asyncio.gather&return_exceptions=True', async (page) => {
    assert.equal(await page.isChecked('#return_exceptions'), true);
  });
  await shown('strategy=pool.MAP&workers=%2003', async (page) => {
    assert.equal(await page.inputValue('#strategy'), 'Pool.map');
    assert.equal(await page.inputValue('#workers'), '3');
  });
  await shown('shape=wavy', async (page) => {
    assert.equal(await page.locator('#shape option:checked').textContent(), "'wavy'", 'not another shape');
    assert.match(await page.textContent('.field-error[data-key="shape"]'), /not 'wavy'/);
  });
  for (const [query, key, message] of [
    ['items=1,2,3', 'items', /'1,2,3' is not a whole number \(digits only/],
    ['items=+5', 'items', /'\+5' is not a whole number/],
    ['items=5_', 'items', /'5_' is not a whole number/],
    ['strategy=sequential&urls=//example.com/x', 'urls', /fetch it from another site \('example.com'\)/],
    ['strategy=sequential&urls=/%5Cexample.com/x', 'urls', /fetch it from another site \('example.com'\)/],
  ]) {
    await shown(query, async (page) => {
      assert.match(await page.textContent(`.field-error[data-key="${key}"]`), message, query);
      assert.equal(await page.locator('#run').isDisabled(), true, query);
    });
  }
});

test('every strategy\'s bare link is valid, and threading.Thread\'s runs', async () => {
  const strategies = [
    'Pool.map', 'Pool.map_async', 'Pool.imap', 'Pool.imap_unordered', 'Pool.starmap', 'Pool.starmap_async', 'Pool.apply', 'Pool.apply_async',
    'ProcessPoolExecutor.map', 'multiprocessing.Process', 'ThreadPoolExecutor.map', 'threading.Thread', 'queue.Queue', 'rayon.par_iter',
    'static', 'asyncio.gather', 'sequential',
  ];
  for (const strategy of strategies) {
    const page = await openPage(browser, `${site.url}?strategy=${strategy}`);
    await page.waitForSelector('#strategy');
    assert.equal(await page.inputValue('#strategy'), strategy);
    assert.equal(await page.locator('[role="alert"]').count(), 0, `${strategy}: no message`);
    if (strategy === 'threading.Thread') {
      await waitForPool(page);
      assert.equal(await page.inputValue('#items'), '16', 'its limit, not 100');
      await page.click('#run');
      await page.waitForSelector('.run[data-strategy="threading.Thread"]', { timeout: 60_000 });
      assert.equal(await page.locator('.run-error').count(), 0);
    }
    assert.deepEqual(page.problems, [], strategy);
    await page.close();
  }
});
