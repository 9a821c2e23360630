"""Runs the taught parallel strategies on the real CPython runtime and reports, as JSON,
what CPython really did: how it cut the input into tasks, in which order the workers
took them, when each ran, in which order results reached the result handler, and in
which order the caller got them.

Used by tests/cpython_crosscheck.rs (`cargo test`), which compares these observations
with the playground's model. It can also be run by hand:

    echo '[{"id": "seed", "strategy": "Pool.map", "items": 14, "workers": 5,
            "chunksize": 3, "sleep": {"kind": "uniform", "ms": 2}}]' \
        | python3 tests/cpython/observe.py

Input (stdin): a JSON list of cases, each with
  id        a name for the case, echoed back
  strategy  Pool.map, Pool.map_async, Pool.starmap, Pool.starmap_async, Pool.imap,
            Pool.imap_unordered, Pool.apply, Pool.apply_async, ProcessPoolExecutor.map or
            ThreadPoolExecutor.map
  items     n: the input is the integers 1..n
  workers   processes (Pool, ProcessPoolExecutor) or max_workers (ThreadPoolExecutor)
  chunksize the chunksize passed, or null to let CPython apply its default
  sleep     {"kind": "none" | "uniform" | "later_faster", "ms": float}: item x sleeps
            ms (uniform) or (n - x + 1) * ms (later_faster) before returning x * x, so
            that completion order can be made to differ from input order;
            {"kind": "per_item", "ms": [float, ...]}: item x sleeps ms[x - 1]
  raise_at  (optional) items whose call raises ValueError(f"bad item {x}") after its
            sleep. The caller then catches it as the playground's program does (see
            `caller_catches`); strategies also multiprocessing.Process, threading.Thread
            and queue.Queue.

Output (stdout): a JSON list, one object per case, in input order:
  id, python          the case and the CPython version
  chunksize_used      the chunk size CPython cut the input with (the `size` argument of
                      Pool._get_tasks or the `chunksize` of process._get_chunks), or null
                      if CPython sent one task per item without cutting
  call_queue_size     ProcessPoolExecutor's call queue bound, else null
  threads_started     how many threads ThreadPoolExecutor started (len(executor._threads)),
                      else null
  tasks               every task a worker ran, in the order the workers TOOK them:
                        items   the input items of the task, as the worker received them
                        worker  pid (processes) or native thread id (threads)
                        take    ticket taken while holding the task queue's read lock,
                                so take order is exactly the order tasks left the queue
                        start, end       tickets taken as the task began / finished
                        send    ticket taken while holding the result pipe's write lock,
                                so send order is exactly the order results reached the
                                parent's result handler (null for threads: no pipe)
                        take_ns, start_ns, end_ns, send_ns   monotonic ns since the call
  results             the results in the order the caller got them
  delivered_ns        when the caller got each of them
  returned_ns         when the call (or the caller's loop) was over
  raised              the exceptions the caller caught, as their item numbers, in the
                      order it caught them (apply_async: one per failing get(); the
                      others: at most one, which ended its call or loop)
  printed             items whose exception threading.excepthook printed (threads), or
                      whose process printed its traceback and exited with exitcode 1
                      (multiprocessing.Process)
  ran                 every item whose call began, in item order
  list                multiprocessing.Process, threading.Thread and queue.Queue: the
                      results list, null where no result was stored
  waits_forever       queue.Queue: tasks were left with no worker alive, so q.join()
                      would never return (observed without calling it);
                      multiprocessing.Process: the parent's queue.get() for a missing
                      result timed out (observed with a timeout longer than any item
                      works, every process having exited)

How the observation is made (CPython 3.11-3.13, fork start method):
  - multiprocessing.pool.mapstar / starmapstar (what a Pool worker calls once per chunk)
    and concurrent.futures.process._process_chunk (once per ProcessPoolExecutor batch)
    are wrapped before the pool is created; a task sent without them (imap and
    imap_unordered with chunksize 1, apply_async, ThreadPoolExecutor) is recorded by
    the task function itself.
  - The pools get a fork context whose SimpleQueue takes a ticket inside its read lock
    (a Pool worker's task queue) and inside its write lock (the result queue of Pool and
    ProcessPoolExecutor workers); ProcessPoolExecutor's call queue (_SafeQueue) takes its
    ticket inside its read lock too; ThreadPoolExecutor's work queue is wrapped likewise.
    A ticket taken later, e.g. at chunk start, could race between two workers that took
    consecutive tasks a moment apart; one taken under the queue's own lock cannot.
  - Records live in shared memory (RawArray) created before the fork, indexed by take
    ticket, so nothing is lost when the pool shuts down.
"""

import concurrent.futures
import concurrent.futures.process
import json
import multiprocessing
import multiprocessing.context
import multiprocessing.pool
import multiprocessing.queues
import os
import queue
import sys
import threading
import time

from multiprocessing.reduction import ForkingPickler

#: The fields of one task's row in the shared task table.
FIELDS = ("used", "worker", "take", "start", "end", "send",
          "take_ns", "start_ns", "end_ns", "send_ns")
#: The ticket counters, each its own sequence starting at 1.
COUNTERS = ("take", "start", "end", "send")

#: What the current worker thread is doing: `take` (its last take ticket), `in_task`.
STATE = threading.local()
#: The recorder of the case being run (set before the pool forks its workers).
REC = None
#: Seconds each item sleeps in the case being run.
SLEEP_S = {}
#: Monotonic ns at the start of the case being run.
T0 = 0
#: Chunk sizes CPython cut the input with in the case being run (parent side).
CUT_WITH = []
#: How many threads the ThreadPoolExecutor of the case being run started.
THREADS_STARTED = []
#: Pool.imap: what one more next() gave after the caller caught the exception.
AFTER_EXCEPTION = []
#: Items whose call raises in the case being run.
RAISE_AT = set()


def now_ns():
    """Monotonic ns since the case's start; CLOCK_MONOTONIC is shared by all processes."""
    return time.monotonic_ns() - T0


class Recorder:
    """Shared-memory records of one case: a task table indexed by take ticket and, per
    item, the task that received it and its position in that task."""

    def __init__(self, ctx, items, workers):
        # Every take (tasks and the shutdown sentinels) uses a row.
        self.capacity = 2 * (items + workers) + 16
        self.lock = ctx.Lock()
        self.counters = ctx.RawArray("q", len(COUNTERS))
        self.rows = ctx.RawArray("q", (self.capacity + 1) * len(FIELDS))
        self.item_task = ctx.RawArray("q", items + 1)
        self.item_pos = ctx.RawArray("q", items + 1)
        self.item_ran = ctx.RawArray("q", items + 1)

    def next_ticket(self, counter):
        """The next ticket of `counter` (1, 2, 3 ...)."""
        with self.lock:
            i = COUNTERS.index(counter)
            self.counters[i] += 1
            return self.counters[i]

    def set(self, row, field, value):
        """Writes `field` of the task taken with ticket `row`."""
        if not 1 <= row <= self.capacity:
            raise RuntimeError(f"take ticket {row} outside the task table")
        self.rows[row * len(FIELDS) + FIELDS.index(field)] = value

    def get(self, row, field):
        """Reads `field` of the task taken with ticket `row`."""
        return self.rows[row * len(FIELDS) + FIELDS.index(field)]

    def take(self):
        """A worker took a task off the queue (call with the queue's read lock held)."""
        ticket = self.next_ticket("take")
        self.set(ticket, "used", 1)
        self.set(ticket, "take", ticket)
        self.set(ticket, "take_ns", now_ns())
        STATE.take = ticket

    def send(self):
        """A worker sends its task's result (call with the result pipe's write lock held)."""
        row = getattr(STATE, "take", 0)
        if row:
            self.set(row, "send", self.next_ticket("send"))
            self.set(row, "send_ns", now_ns())

    def begin_task(self, items):
        """The current worker begins the task it took last, on `items`."""
        row = STATE.take
        for position, item in enumerate(items):
            self.item_task[item] = row
            self.item_pos[item] = position
        self.set(row, "worker", worker_id())
        self.set(row, "start", self.next_ticket("start"))
        self.set(row, "start_ns", now_ns())
        STATE.in_task = True

    def end_task(self):
        """The current worker finished its task."""
        STATE.in_task = False
        row = STATE.take
        self.set(row, "end", self.next_ticket("end"))
        self.set(row, "end_ns", now_ns())

    def tasks(self, items):
        """Every task that received items, in take order."""
        by_row = {}
        for item in range(1, items + 1):
            row = self.item_task[item]
            if row:
                by_row.setdefault(row, []).append((self.item_pos[item], item))
        tasks = []
        for row in sorted(by_row):
            task = {f: self.get(row, f) for f in FIELDS if f != "used"}
            if not self.get(row, "send"):
                task["send"] = task["send_ns"] = None
            task["items"] = [item for _, item in sorted(by_row[row])]
            tasks.append(task)
        return tasks


def worker_id():
    """The pid in a worker process, the native thread id in a worker thread."""
    if multiprocessing.parent_process() is not None:
        return os.getpid()
    return threading.get_native_id()


def square(x):
    """The task function: sleeps as the case says, returns x * x. Run as a task of its
    own (not inside a chunk), it records itself as one."""
    own_task = not getattr(STATE, "in_task", False)
    if own_task:
        REC.begin_task([x])
    REC.item_ran[x] = 1
    try:
        if SLEEP_S.get(x):
            time.sleep(SLEEP_S[x])
        if x in RAISE_AT:
            raise ValueError(f"bad item {x}")
    finally:
        if own_task:
            REC.end_task()
    return x * x


def power(x, exponent):
    """starmap's function: square(x) is x ** 2."""
    assert exponent == 2
    return square(x)


def item_of(error):
    """The item number of a task's ValueError('bad item x')."""
    return int(str(error).rsplit(" ", 1)[1])


ORIGINAL_MAPSTAR = multiprocessing.pool.mapstar
ORIGINAL_STARMAPSTAR = multiprocessing.pool.starmapstar
ORIGINAL_PROCESS_CHUNK = concurrent.futures.process._process_chunk
ORIGINAL_GET_TASKS = multiprocessing.pool.Pool._get_tasks
ORIGINAL_GET_CHUNKS = concurrent.futures.process._get_chunks


def observed_mapstar(args):
    """multiprocessing.pool.mapstar, recording the chunk: args is (func, items)."""
    REC.begin_task(list(args[1]))
    try:
        return ORIGINAL_MAPSTAR(args)
    finally:
        REC.end_task()


def observed_starmapstar(args):
    """multiprocessing.pool.starmapstar, recording the chunk: args is (func, tuples)."""
    REC.begin_task([arguments[0] for arguments in args[1]])
    try:
        return ORIGINAL_STARMAPSTAR(args)
    finally:
        REC.end_task()


def observed_process_chunk(fn, chunk):
    """concurrent.futures.process._process_chunk, recording the batch of argument tuples."""
    REC.begin_task([arguments[0] for arguments in chunk])
    try:
        return ORIGINAL_PROCESS_CHUNK(fn, chunk)
    finally:
        REC.end_task()


def observed_get_tasks(func, it, size):
    """Pool._get_tasks, recording the chunk size Pool cuts with (parent side)."""
    CUT_WITH.append(size)
    return ORIGINAL_GET_TASKS(func, it, size)


def observed_get_chunks(*iterables, chunksize):
    """process._get_chunks, recording the chunk size the executor cuts with."""
    CUT_WITH.append(chunksize)
    return ORIGINAL_GET_CHUNKS(*iterables, chunksize=chunksize)


def observed_call_queue_get(self, block=True, timeout=None):
    """multiprocessing.queues.Queue.get (3.11-3.13) for ProcessPoolExecutor's call queue,
    taking the take ticket while the read lock is held."""
    if not block or timeout is not None:
        return ORIGINAL_CALL_QUEUE_GET(self, block, timeout)
    if self._closed:
        raise ValueError(f"Queue {self!r} is closed")
    with self._rlock:
        res = self._recv_bytes()
        REC.take()
    self._sem.release()
    return ForkingPickler.loads(res)


ORIGINAL_CALL_QUEUE_GET = concurrent.futures.process._SafeQueue.get


class ObservedSimpleQueue(multiprocessing.queues.SimpleQueue):
    """multiprocessing.queues.SimpleQueue (3.11-3.13) taking a take ticket under its read
    lock and a send ticket under its write lock. Pool workers get tasks from one and put
    results into another; ProcessPoolExecutor workers put results into one. (The parent
    side of both pools reads and writes the raw pipe, not these methods.)"""

    def get(self):
        with self._rlock:
            res = self._reader.recv_bytes()
            REC.take()
        return ForkingPickler.loads(res)

    def put(self, obj):
        obj = ForkingPickler.dumps(obj)
        with self._wlock:
            REC.send()
            self._writer.send_bytes(obj)


class ObservedForkContext(multiprocessing.context.ForkContext):
    """The fork context, with observed simple queues."""

    def SimpleQueue(self):
        return ObservedSimpleQueue(ctx=self.get_context())


class ObservedWorkQueue:
    """ThreadPoolExecutor's work queue (a queue.SimpleQueue) with a take ticket taken
    under a lock held across the blocking get, so take order is queue order."""

    def __init__(self, inner):
        self._inner = inner
        self._lock = threading.Lock()

    def get(self, block=True, timeout=None):
        with self._lock:
            item = self._inner.get(block, timeout)
            REC.take()
        return item

    def __getattr__(self, name):
        return getattr(self._inner, name)


def install():
    """Puts the observed functions where CPython looks them up when a call is made."""
    multiprocessing.pool.mapstar = observed_mapstar
    multiprocessing.pool.starmapstar = observed_starmapstar
    multiprocessing.pool.Pool._get_tasks = staticmethod(observed_get_tasks)
    concurrent.futures.process._process_chunk = observed_process_chunk
    concurrent.futures.process._get_chunks = observed_get_chunks
    concurrent.futures.process._SafeQueue.get = observed_call_queue_get


def collect(iterator, raised):
    """Iterates as the caller does, noting when each result arrived; an exception ends
    the loop (caught, its item noted in `raised`)."""
    results, at = [], []
    try:
        for result in iterator:
            results.append(result)
            at.append(now_ns())
    except ValueError as error:
        raised.append(item_of(error))
    return results, at


def next_after_exception(iterator):
    """What one more next() gives a caller that caught the iterator's exception: "result",
    "StopIteration" or "ValueError"."""
    try:
        next(iterator)
    except StopIteration:
        return "StopIteration"
    except ValueError:
        return "ValueError"
    return "result"


def whole_list(call, n, raised):
    """A call that returns the whole list, or raises (caught, its item noted)."""
    try:
        results = call()
    except ValueError as error:
        raised.append(item_of(error))
        return [], []
    return results, [now_ns()] * n


def get_each(handles, raised):
    """apply_async's caller: each handle's get() in call order, each in its own try."""
    results, at = [], []
    for handle in handles:
        try:
            results.append(handle.get())
            at.append(now_ns())
        except ValueError as error:
            raised.append(item_of(error))
    return results, at


def run_pool(case, ctx, items, kwargs, raised):
    """A multiprocessing.Pool strategy, as the tutorial writes it."""
    strategy, n = case["strategy"], len(items)
    pool = ctx.Pool(case["workers"])
    try:
        if strategy == "Pool.map":
            results, at = whole_list(lambda: pool.map(square, items, **kwargs), n, raised)
        elif strategy == "Pool.map_async":
            results, at = whole_list(
                lambda: pool.map_async(square, items, **kwargs).get(), n, raised)
        elif strategy == "Pool.starmap":
            results, at = whole_list(
                lambda: pool.starmap(power, [(x, 2) for x in items], **kwargs), n, raised)
        elif strategy == "Pool.starmap_async":
            results, at = whole_list(
                lambda: pool.starmap_async(power, [(x, 2) for x in items], **kwargs).get(),
                n, raised)
        elif strategy == "Pool.apply":
            if kwargs:
                raise ValueError("apply takes no chunksize")
            results, at = collect((pool.apply(square, (x,)) for x in items), raised)
        elif strategy == "Pool.imap":
            iterator = pool.imap(square, items, **kwargs)
            results, at = collect(iterator, raised)
            if raised:
                AFTER_EXCEPTION.append(next_after_exception(iterator))
        elif strategy == "Pool.imap_unordered":
            results, at = collect(pool.imap_unordered(square, items, **kwargs), raised)
        elif strategy == "Pool.apply_async":
            if kwargs:
                raise ValueError("apply_async takes no chunksize")
            handles = [pool.apply_async(square, (x,)) for x in items]
            results, at = get_each(handles, raised)
        else:
            raise ValueError(f"unknown strategy {strategy}")
    finally:
        pool.close()
        pool.join()
    return results, at, None


def run_process_pool_executor(case, ctx, items, kwargs, raised):
    """ProcessPoolExecutor(max_workers).map(f, items[, chunksize])."""
    with concurrent.futures.ProcessPoolExecutor(case["workers"], mp_context=ctx) as executor:
        call_queue_size = executor._call_queue._maxsize
        results, at = collect(executor.map(square, items, **kwargs), raised)
    return results, at, call_queue_size


def run_thread_pool_executor(case, items, kwargs, raised):
    """ThreadPoolExecutor(max_workers).map(f, items)."""
    with concurrent.futures.ThreadPoolExecutor(case["workers"]) as executor:
        executor._work_queue = ObservedWorkQueue(executor._work_queue)
        results, at = collect(executor.map(square, items, **kwargs), raised)
        THREADS_STARTED.append(len(executor._threads))
    return results, at, None


def run_threads(items, printed):
    """threading.Thread per item, started then joined in order; threading.excepthook
    notes (instead of printing) each exception."""
    results = [None] * len(items)

    def run(i, x):
        REC.take()
        results[i] = square(x)

    threading.excepthook = lambda args: printed.append(item_of(args.exc_value))
    threads = [threading.Thread(target=run, args=(i, x)) for i, x in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_processes(ctx, items, printed):
    """multiprocessing.Process per item, each putting (i, square(x)) on one
    multiprocessing.Queue, all started, then the parent's queue.get() once per item, then
    each join(), as the playground's program does. A child whose square(x) raises prints
    the traceback and exits with exitcode 1, putting nothing: the parent's get() for it
    would wait forever, so it is made with a timeout (every process has exited by then).
    Returns the results list and whether a get() would have waited forever."""
    results, q = [None] * len(items), ctx.Queue()

    def run(i, x):
        REC.take()
        q.put((i, square(x)))

    processes = [ctx.Process(target=run, args=(i, x)) for i, x in enumerate(items)]
    for process in processes:
        process.start()
    waits_forever = False
    for _ in items:
        try:
            i, result = q.get(timeout=1 + max(SLEEP_S.values(), default=0))
        except queue.Empty:
            waits_forever = True
            break
        results[i] = result
    for process in processes:
        process.join()
    printed.extend(x for x, p in zip(items, processes) if p.exitcode == 1)
    return results, waits_forever


def run_queue(case, items, printed):
    """queue.Queue drained by `workers` threads, each task_done() in a finally (a worker
    that raises dies). Returns the results list and whether q.join() would wait forever:
    tasks left and no worker alive (then q.join() is not called)."""
    results, q = [None] * len(items), queue.Queue()

    def worker():
        while True:
            i, x = q.get()
            REC.take()
            try:
                results[i] = square(x)
            finally:
                q.task_done()

    threading.excepthook = lambda args: printed.append(item_of(args.exc_value))
    for i, x in enumerate(items):
        q.put((i, x))
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(case["workers"])]
    for thread in threads:
        thread.start()
    while q.unfinished_tasks and any(t.is_alive() for t in threads):
        time.sleep(0.001)
    waits_forever = q.unfinished_tasks > 0
    if not waits_forever:
        q.join()
    return results, waits_forever


def sleeps(case):
    """Seconds item x sleeps, by the case's sleep pattern."""
    n, sleep = case["items"], case.get("sleep") or {"kind": "none"}
    kind = sleep["kind"]
    if kind == "per_item":
        return {x: each / 1000 for x, each in enumerate(sleep["ms"], start=1)}
    ms = float(sleep.get("ms", 0))
    if kind == "none":
        return {}
    if kind == "uniform":
        return {x: ms / 1000 for x in range(1, n + 1)}
    if kind == "later_faster":
        return {x: (n - x + 1) * ms / 1000 for x in range(1, n + 1)}
    raise ValueError(f"unknown sleep kind {kind}")


def run_case(case):
    """Runs one case and returns its observation."""
    global REC, SLEEP_S, T0, RAISE_AT
    ctx = ObservedForkContext()
    items = list(range(1, case["items"] + 1))
    REC = Recorder(ctx, len(items), case["workers"])
    SLEEP_S = sleeps(case)
    RAISE_AT = set(case.get("raise_at") or [])
    CUT_WITH.clear()
    THREADS_STARTED.clear()
    AFTER_EXCEPTION.clear()
    kwargs = {} if case.get("chunksize") is None else {"chunksize": case["chunksize"]}
    strategy = case["strategy"]
    raised, printed, listed, waits_forever = [], [], None, False
    T0 = time.monotonic_ns()
    if strategy.startswith("Pool."):
        results, at, call_queue_size = run_pool(case, ctx, items, kwargs, raised)
    elif strategy == "ProcessPoolExecutor.map":
        results, at, call_queue_size = run_process_pool_executor(
            case, ctx, items, kwargs, raised)
    elif strategy == "ThreadPoolExecutor.map":
        results, at, call_queue_size = run_thread_pool_executor(case, items, kwargs, raised)
    elif strategy == "multiprocessing.Process":
        listed, waits_forever = run_processes(ctx, items, printed)
        results, at, call_queue_size = [], [], None
    elif strategy == "threading.Thread":
        listed = run_threads(items, printed)
        results, at, call_queue_size = [], [], None
    elif strategy == "queue.Queue":
        listed, waits_forever = run_queue(case, items, printed)
        results, at, call_queue_size = [], [], None
    else:
        raise ValueError(f"unknown strategy {strategy}")
    returned_ns = now_ns()
    if len(CUT_WITH) > 1:
        raise RuntimeError(f"the input was cut {len(CUT_WITH)} times: {CUT_WITH}")
    return {
        "id": case["id"],
        "python": sys.version.split()[0],
        "chunksize_used": CUT_WITH[0] if CUT_WITH else None,
        "call_queue_size": call_queue_size,
        "threads_started": THREADS_STARTED[0] if THREADS_STARTED else None,
        "tasks": REC.tasks(len(items)),
        "results": results,
        "delivered_ns": at,
        "returned_ns": returned_ns,
        "raised": raised,
        "printed": sorted(printed),
        "ran": [x for x in items if REC.item_ran[x]],
        "list": listed,
        "waits_forever": waits_forever,
        "next_after_exception": AFTER_EXCEPTION[0] if AFTER_EXCEPTION else None,
    }


def main():
    """Reads the cases from stdin, prints the observations to stdout."""
    if sys.version_info < (3, 11):
        sys.exit(f"observe.py needs CPython 3.11 or later (the rules taught are "
                 f"3.11-3.13's), not {sys.version.split()[0]}")
    if sys.platform == "win32":
        sys.exit("observe.py needs the fork start method (Linux or macOS)")
    install()
    cases = json.load(sys.stdin)
    json.dump([run_case(case) for case in cases], sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
