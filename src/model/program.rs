//! The program a run amounts to, shown above the Run button: a whole script that runs as
//! pasted (imports, the task function, `if __name__ == "__main__":`, a `print` of the
//! results), in Python for the Python strategies and in Rust for Rust's own. Its workload is
//! the run's: `cpu` counts the primes below the cost, `io` sleeps the cost in µs, `fetch`
//! downloads the shipped files from the page's site. `tests/program_runs.rs` runs every
//! strategy's program with real `python3` (and `rustc`) and checks what it prints.
//!
//! Not a simulation: it does not reproduce the playground's timings, and cost shapes other than
//! `uniform` are named in a comment rather than spelled out per item.

use crate::model::config::RunConfig;
use crate::model::files::{request_url, SHIPPED_FILES};
use crate::model::python_script::Script;
use crate::model::raising::{RaiseCost, SLOW_FACTOR};
use crate::model::strategy::{Family, Runner, Strategy};
use crate::model::words::group_digits;
use crate::model::workload::{Shape, WorkloadKind};

/// What the cost setting says, as a comment: `count the primes below 20,000`.
fn cost_comment(config: &RunConfig) -> String {
    let w = &config.workload;
    let what = match w.kind {
        WorkloadKind::Cpu => format!("count the primes below {}", group_digits(u64::from(w.cost))),
        WorkloadKind::Io => format!("wait {} µs", group_digits(u64::from(w.cost))),
        WorkloadKind::Fetch => String::new(),
    };
    if w.shape == Shape::Uniform {
        format!("{what} per item")
    } else {
        format!(
            "{what} per item on average; the playground's '{}' shape (seed {}) varies it item by item",
            w.shape.name(),
            w.seed
        )
    }
}

/// The task function's definitions for a `cpu` or `io` workload: `square` (and `power` for
/// `starmap`).
fn define_work(script: &mut Script, config: &RunConfig) {
    let cost = config.workload.cost;
    match config.workload.kind {
        WorkloadKind::Io => {
            script.import("import time");
            script.define(format!("COST = {cost}  # {}", cost_comment(config)));
            script.define("def work():\n    time.sleep(COST / 1_000_000)  # blocked, as on I/O");
        }
        WorkloadKind::Cpu | WorkloadKind::Fetch => {
            script.define(format!("COST = {cost}  # {}", cost_comment(config)));
            script.define(
                "def work():\n    \"\"\"Counts the primes below COST by trial division.\"\"\"\n    odd_primes = sum(all(n % d for d in range(3, int(n**0.5) + 1, 2)) for n in range(3, COST, 2))\n    return odd_primes + (COST > 2)",
            );
        }
    }
    let raises = config.workload.raises;
    let body = if raises.is_empty() {
        "    work()\n".to_owned()
    } else {
        let numbers: Vec<String> = raises.numbers().iter().map(u32::to_string).collect();
        script.define(format!(
            "RAISE_AT = {{{}}}  # these items raise ValueError",
            numbers.join(", ")
        ));
        let raise = "        raise ValueError(f\"bad item {x}\")\n";
        match raises.cost {
            RaiseCost::Same => format!("    work()\n    if x in RAISE_AT:\n{raise}"),
            RaiseCost::Fast => format!("    if x in RAISE_AT:  # at once\n{raise}    work()\n"),
            RaiseCost::Slow => format!(
                "    work()\n    if x in RAISE_AT:\n        for _ in range({}):  # working {SLOW_FACTOR} times as long first\n            work()\n{raise}",
                SLOW_FACTOR - 1
            ),
        }
    };
    if config.strategy.rule().star_args {
        script.define(format!(
            "def power(x, exponent):\n{body}    return x**exponent"
        ));
    } else {
        script.define(format!("def square(x):\n{body}    return x * x"));
    }
}

/// The lines that call a function returning the whole list (`results = pool.map(…)`), and,
/// when items raise, catch its exception as the caller does.
fn whole_list_call(call: &str, raises: bool, caught: &str) -> Vec<String> {
    if !raises {
        return vec![format!("    results = {call}")];
    }
    vec![
        "    try:".to_owned(),
        format!("        results = {call}"),
        format!("    except ValueError as error:  # {caught}"),
        "        print(\"raised:\", repr(error))".to_owned(),
        "        results = []".to_owned(),
    ]
}

/// The lines of a caller's loop over an iterator of results (`for result in …`), and, when
/// items raise, the `try` around it that catches the exception that ends the loop.
fn loop_call(iterator: &str, order: &str, raises: bool, caught: &str) -> Vec<String> {
    let mut lines = vec!["    results = []".to_owned()];
    if raises {
        lines.push("    try:".to_owned());
        lines.push(format!("        for result in {iterator}:"));
        lines.push(format!("            results.append(result)  # {order}"));
        lines.push(format!("    except ValueError as error:  # {caught}"));
        lines.push("        print(\"raised:\", repr(error))".to_owned());
    } else {
        lines.push(format!("    for result in {iterator}:"));
        lines.push(format!("        results.append(result)  # {order}"));
    }
    lines
}

/// The URLs a fetch run requests, built from the page's `site` as the playground resolves them.
fn define_urls(script: &mut Script, config: &RunConfig, site: &str, count: usize) {
    script.import("import urllib.parse");
    script.define(format!("SITE = {site:?}  # the playground's page"));
    if config.fetch.urls.is_empty() {
        let files: Vec<String> = SHIPPED_FILES
            .iter()
            .map(|f| format!("{:?}", f.path))
            .collect();
        script.define(format!(
            "FILES = [{}]  # shipped with the playground\nURLS = [urllib.parse.urljoin(SITE, f\"{{FILES[i % {}]}}?r={{i}}\") for i in range({count})]",
            files.join(", "),
            SHIPPED_FILES.len()
        ));
    } else {
        let urls: Vec<String> = (0..count)
            .map(|i| format!("{:?}", request_url(i, &config.fetch.urls)))
            .collect();
        script.define(format!(
            "URLS = [urllib.parse.urljoin(SITE, url) for url in [{}]]",
            urls.join(", ")
        ));
    }
}

/// The thread strategies' blocking request, as `requests.get(url).content` in a thread.
fn define_get_size(script: &mut Script, config: &RunConfig) {
    script.import("import urllib.request");
    let latency = match config.workload.cost {
        0 => String::new(),
        cost => {
            script.import("import time");
            format!(
                "\n    time.sleep({})  # the playground's added latency",
                f64::from(cost) / 1e6
            )
        }
    };
    script.define(format!("def get_size(url):\n    \"\"\"Blocks this thread until the body is in (requests.get(url).content works alike).\"\"\"\n    with urllib.request.urlopen(url, timeout=60) as response:\n        body = response.read(){latency}\n    return len(body)"));
}

/// The fetch of `asyncio.gather` and sequential awaits: a GET on the event loop (asyncio
/// streams, no third-party client), with the run's added latency and timeout.
fn define_fetch(script: &mut Script, config: &RunConfig) {
    script.import("import asyncio");
    script.import("import urllib.parse");
    let latency = match config.fetch.latency_ms {
        0 => String::new(),
        ms => format!(
            "    await asyncio.sleep({})  # the playground's added latency\n",
            f64::from(ms) / 1000.0
        ),
    };
    script.define(format!(
        "async def get(url):\n    parts = urllib.parse.urlsplit(url)\n    https = parts.scheme == \"https\"\n    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or (443 if https else 80), ssl=https)\n    target = parts.path + (\"?\" + parts.query if parts.query else \"\")\n    writer.write(f\"GET {{target}} HTTP/1.0\\r\\nHost: {{parts.netloc}}\\r\\n\\r\\n\".encode())\n    status = int((await reader.readline()).split()[1])\n    while (await reader.readline()).strip():\n        pass  # the headers\n{latency}    body = await reader.read()\n    writer.close()\n    if status >= 400:\n        raise OSError(f\"HTTP {{status}}\")\n    return len(body)"
    ));
    let fetch = match config.fetch.timeout_ms {
        Some(ms) => format!(
            "async def fetch(url):\n    return await asyncio.wait_for(get(url), timeout={})",
            f64::from(ms) / 1000.0
        ),
        None => "async def fetch(url):\n    return await get(url)".to_owned(),
    };
    script.define(fetch);
}

/// The executor's map in its `with` block (already opened), then the print: `list(…)`, or,
/// when items raise, a loop that catches the exception at that item. `note` is a comment on
/// the call (or empty).
fn executor_map(script: &mut Script, call: &str, raises: bool, note: &str) {
    if raises {
        if !note.is_empty() {
            script.line(format!("   {note}"));
        }
        loop_call(
            call,
            "in input order",
            true,
            "at that item; the futures not yet started are cancelled",
        )
        .into_iter()
        .for_each(|line| script.line(line));
    } else {
        script.line(format!("    results = list({call}){note}"));
    }
    script.line("print(results)");
}

/// A `with multiprocessing.Pool(…) as pool:` block around `body`, then the print.
fn in_pool(script: &mut Script, workers: &Workers, body: &[String]) {
    script.import("import multiprocessing");
    script.line(format!(
        "with multiprocessing.Pool({}) as pool:{}",
        workers.argument, workers.comment
    ));
    body.iter().for_each(|line| script.line(line.clone()));
    script.line("print(results)");
}

/// The worker count as the program passes it: as given, or left out (the library's default)
/// with a comment saying what that is on this machine.
struct Workers {
    /// `4`, or empty.
    argument: String,
    /// `max_workers=4`, or empty.
    keyword: String,
    /// `  # os.cpu_count(): 2 here`, or empty.
    comment: String,
}

impl Workers {
    fn of(config: &RunConfig) -> Self {
        let w = config.workers;
        match config.strategy.rule().default_workers.formula() {
            Some(formula) if !config.workers_given() => Self {
                argument: String::new(),
                keyword: String::new(),
                comment: format!("  # {formula}: {w} here"),
            },
            _ => Self {
                argument: w.to_string(),
                keyword: format!("max_workers={w}"),
                comment: String::new(),
            },
        }
    }
}

/// The program for `config`, fetching from `site` (the page's address, e.g.
/// `http://127.0.0.1:8080/`) when it fetches.
pub fn program(config: &RunConfig, site: &str) -> String {
    use Strategy::*;
    let w = config.workers;
    let n = config.items + 1;
    let chunksize = config
        .chunksize
        .map(|c| format!(", chunksize={c}"))
        .unwrap_or_default();
    let mut script = Script::default();
    let fetch = config.workload.kind == WorkloadKind::Fetch;
    if config.strategy.is_fetch() {
        define_urls(&mut script, config, site, config.fetch.requests);
        define_fetch(&mut script, config);
    } else if fetch {
        define_urls(&mut script, config, site, config.items);
        define_get_size(&mut script, config);
    } else if config.strategy.family() != Family::Rust {
        define_work(&mut script, config);
    }
    let (task, inputs) = if fetch {
        ("get_size", "URLS".to_owned())
    } else {
        ("square", format!("range(1, {n})"))
    };
    if config.strategy.is_threaded() && !config.gil {
        script.define(
            "# GIL off: threads compute in parallel only on free-threaded Python (python3.13t).",
        );
    }
    let workers = Workers::of(config);
    let raises = !config.workload.raises.is_empty();
    const AFTER_EVERY_CHUNK: &str =
        "the first exception to arrive, raised once every chunk is back";
    match config.strategy {
        PoolMap => in_pool(
            &mut script,
            &workers,
            &whole_list_call(
                &format!("pool.map(square, range(1, {n}){chunksize})"),
                raises,
                AFTER_EVERY_CHUNK,
            ),
        ),
        PoolMapAsync => in_pool(
            &mut script,
            &workers,
            &whole_list_call(
                &format!("pool.map_async(square, range(1, {n}){chunksize}).get()"),
                raises,
                AFTER_EVERY_CHUNK,
            ),
        ),
        PoolStarmap | PoolStarmapAsync => {
            let (method, get) = if config.strategy == PoolStarmap {
                ("starmap", "")
            } else {
                ("starmap_async", ".get()")
            };
            script.import("import multiprocessing");
            script.import("from itertools import repeat");
            in_pool(
                &mut script,
                &workers,
                &whole_list_call(
                    &format!("pool.{method}(power, zip(range(1, {n}), repeat(2)){chunksize}){get}"),
                    raises,
                    AFTER_EVERY_CHUNK,
                ),
            );
        }
        PoolApply if raises => in_pool(
            &mut script,
            &workers,
            &[
                "    results = []".to_owned(),
                "    try:".to_owned(),
                format!("        for x in range(1, {n}):"),
                "            results.append(pool.apply(square, (x,)))  # each call blocks: one task at a time".to_owned(),
                "    except ValueError as error:  # raised by the failing item's call: the calls after it are never made".to_owned(),
                "        print(\"raised:\", repr(error))".to_owned(),
            ],
        ),
        PoolApply => in_pool(
            &mut script,
            &workers,
            &[format!(
                "    results = [pool.apply(square, (x,)) for x in range(1, {n})]  # each call blocks: one task at a time"
            )],
        ),
        PoolApplyAsync => {
            let mut lines = vec![format!(
                "    pending = [pool.apply_async(square, (x,)) for x in range(1, {n})]"
            )];
            if raises {
                lines.extend([
                    "    results = []".to_owned(),
                    "    for p in pending:  # in call order".to_owned(),
                    "        try:".to_owned(),
                    "            results.append(p.get())".to_owned(),
                    "        except ValueError as error:  # only this call's get() raises"
                        .to_owned(),
                    "            print(\"raised:\", repr(error))".to_owned(),
                ]);
            } else {
                lines.push("    results = [p.get() for p in pending]  # in call order".to_owned());
            }
            in_pool(&mut script, &workers, &lines)
        }
        PoolImap | PoolImapUnordered => {
            let (method, order) = if config.strategy == PoolImap {
                ("imap", "each once it and every earlier one are back")
            } else {
                ("imap_unordered", "in the order they complete")
            };
            let caught = if config.strategy == PoolImap {
                "at the failing chunk's turn: the loop ends there"
            } else {
                "when the failing chunk's result arrives: the loop ends there"
            };
            let mut lines = loop_call(
                &format!("pool.{method}(square, range(1, {n}){chunksize})"),
                order,
                raises,
                caught,
            );
            if raises {
                // Leaving the with block would terminate() the pool: the playground lets the
                // other chunks run to the end.
                lines.push("    pool.close()".to_owned());
                lines.push("    pool.join()  # the other chunks run to the end".to_owned());
            }
            in_pool(&mut script, &workers, &lines);
        }
        ProcessPoolMap => {
            script.import("from concurrent.futures import ProcessPoolExecutor");
            script.line(format!(
                "with ProcessPoolExecutor({}) as executor:{}",
                workers.keyword, workers.comment
            ));
            executor_map(
                &mut script,
                &format!("executor.map(square, range(1, {n}){chunksize})"),
                raises,
                "",
            );
        }
        ThreadPoolMap => {
            script.import("from concurrent.futures import ThreadPoolExecutor");
            script.line(format!(
                "with ThreadPoolExecutor({}) as executor:{}",
                workers.keyword, workers.comment
            ));
            let ignored = if chunksize.is_empty() {
                ""
            } else {
                "  # ignored: only ProcessPoolExecutor uses chunksize"
            };
            executor_map(
                &mut script,
                &format!("executor.map({task}, {inputs}{chunksize})"),
                raises,
                ignored,
            );
        }
        MultiprocessingProcess => {
            script.import("import multiprocessing");
            let exits = if raises {
                "  # if it raises, the process prints the traceback and exits with exitcode 1, putting nothing"
            } else {
                ""
            };
            script.define(format!(
                "def run(queue, i, x):\n    queue.put((i, {task}(x))){exits}"
            ));
            script.line(format!("items = list({inputs})"));
            script.line("queue = multiprocessing.Queue()");
            script.line("processes = [multiprocessing.Process(target=run, args=(queue, i, x)) for i, x in enumerate(items)]");
            script.line("for p in processes:");
            script.line("    p.start()  # a new process each");
            script.line("results = [None] * len(items)");
            script.line("for _ in items:");
            if raises {
                script.line("    i, result = queue.get()  # waits forever once only the results of processes that raised are missing");
            } else {
                script.line("    i, result = queue.get()");
            }
            script.line("    results[i] = result");
            script.line("for p in processes:");
            script.line("    p.join()");
            script.line("print(results)");
        }
        ThreadingThread => {
            script.import("import threading");
            script.define(format!(
                "def run(results, i, x):\n    results[i] = {task}(x)"
            ));
            script.line(format!("items = list({inputs})"));
            script.line("results = [None] * len(items)");
            script.line("threads = [threading.Thread(target=run, args=(results, i, x)) for i, x in enumerate(items)]");
            script.line("for t in threads:");
            script.line("    t.start()");
            script.line("for t in threads:");
            script.line("    t.join()");
            script.line("print(results)");
        }
        QueueQueue => {
            script.import("import queue");
            script.import("import threading");
            if raises {
                script.define(format!(
                    "def worker(q, results):\n    while True:\n        i, x = q.get()\n        try:\n            results[i] = {task}(x)\n        finally:\n            q.task_done()  # a worker that raises dies here"
                ));
            } else {
                script.define(format!(
                    "def worker(q, results):\n    while True:\n        i, x = q.get()\n        results[i] = {task}(x)\n        q.task_done()"
                ));
            }
            script.line(format!("items = list({inputs})"));
            script.line("results = [None] * len(items)");
            script.line("q = queue.Queue()");
            script.line("for i, x in enumerate(items):");
            script.line("    q.put((i, x))");
            script.line(format!("for _ in range({w}):  # worker threads"));
            script.line(
                "    threading.Thread(target=worker, args=(q, results), daemon=True).start()",
            );
            if raises {
                script.line("q.join()  # waits forever if every worker died with tasks left");
            } else {
                script.line("q.join()");
            }
            script.line("print(results)");
        }
        AsyncioGather => {
            script.asynchronous = true;
            let return_exceptions = if config.fetch.return_exceptions {
                "True"
            } else {
                "False"
            };
            match config.fetch.limit {
                Some(limit) => {
                    script.line(format!(
                        "sem = asyncio.Semaphore({limit})  # at most {limit} in flight"
                    ));
                    script.line("");
                    script.line("async def limited(url):");
                    script.line("    async with sem:");
                    script.line("        return await fetch(url)");
                    script.line("");
                    script.line(format!("results = await asyncio.gather(*(limited(url) for url in URLS), return_exceptions={return_exceptions})"));
                }
                None => script.line(format!("results = await asyncio.gather(*(fetch(url) for url in URLS), return_exceptions={return_exceptions})")),
            }
            script.line("print(results)");
        }
        Sequential => {
            script.asynchronous = true;
            if config.fetch.return_exceptions {
                script.line("results = []");
                script.line("for url in URLS:  # one after another; errors kept in place");
                script.line("    try:");
                script.line("        results.append(await fetch(url))");
                script.line("    except Exception as error:");
                script.line("        results.append(error)");
            } else {
                script.line("results = [await fetch(url) for url in URLS]");
            }
            script.line("print(results)");
        }
        RayonParIter | Static => return rust_program(config),
    }
    script.render()
}

/// Rust's own strategies, as a whole `main.rs` (rayon needs `rayon` in Cargo.toml).
fn rust_program(config: &RunConfig) -> String {
    let (w, items) = (config.workers, config.items);
    let cost = config.workload.cost;
    let work = match config.workload.kind {
        WorkloadKind::Io => format!(
            "const COST: u64 = {cost}; // {}\n\nfn work() {{\n    std::thread::sleep(std::time::Duration::from_micros(COST));\n}}",
            cost_comment(config)
        ),
        WorkloadKind::Cpu | WorkloadKind::Fetch => format!(
            "const COST: u64 = {cost}; // {}\n\nfn work() -> usize {{\n    let is_prime = |n: u64| (2..).take_while(|d| d * d <= n).all(|d| n % d != 0);\n    std::hint::black_box((2..COST).filter(|&n| is_prime(n)).count())\n}}",
            cost_comment(config)
        ),
    };
    let square = "fn square(x: u64) -> u64 {\n    work();\n    x * x\n}";
    let raises = config.workload.raises;
    if config.strategy.rule().runner == Runner::Rayon && !raises.is_empty() {
        let numbers: Vec<String> = raises.numbers().iter().map(u32::to_string).collect();
        let check = "    if RAISE_AT.contains(&x) {\n        return Err(format!(\"bad item {x}\"));\n    }\n";
        let body = match raises.cost {
            RaiseCost::Same => format!("    work();\n{check}"),
            RaiseCost::Fast => format!("    // at once\n{check}    work();\n"),
            RaiseCost::Slow => format!(
                "    work();\n    if RAISE_AT.contains(&x) {{\n        for _ in 1..{SLOW_FACTOR} {{\n            work(); // working {SLOW_FACTOR} times as long first\n        }}\n    }}\n{check}"
            ),
        };
        return format!(
            "use rayon::prelude::*;\n\n{work}\n\nconst RAISE_AT: [u64; {}] = [{}]; // these items return Err\n\n// Rust has no exceptions: a failing item returns Err.\nfn square(x: u64) -> Result<u64, String> {{\n{body}    Ok(x * x)\n}}\n\nfn main() {{\n    let pool = rayon::ThreadPoolBuilder::new().num_threads({w}).build().unwrap();\n    // Collecting into a Result stops at an Err: rayon skips the items not yet started and\n    // returns the first Err stored, and no Vec.\n    let results: Result<Vec<u64>, String> = pool.install(|| (1..={items}u64).into_par_iter().map(square).collect());\n    match results {{\n        Ok(results) => println!(\"{{results:?}}\"),\n        Err(error) => println!(\"Err: {{error:?}}\"),\n    }}\n}}\n",
            numbers.len(),
            numbers.join(", ")
        );
    }
    if config.strategy.rule().runner == Runner::Rayon {
        format!(
            "use rayon::prelude::*;\n\n{work}\n\n{square}\n\nfn main() {{\n    let pool = rayon::ThreadPoolBuilder::new().num_threads({w}).build().unwrap();\n    let results: Vec<u64> = pool.install(|| (1..={items}u64).into_par_iter().map(square).collect());\n    println!(\"{{results:?}}\");\n}}\n"
        )
    } else {
        let block = config.resolved_chunksize();
        format!(
            "{work}\n\n{square}\n\nfn main() {{\n    let items: Vec<u64> = (1..={items}).collect();\n    // {w} threads, one contiguous block of {block} items each\n    let results: Vec<u64> = std::thread::scope(|s| {{\n        let blocks: Vec<_> = items\n            .chunks({block})\n            .map(|block| s.spawn(move || block.iter().map(|&x| square(x)).collect::<Vec<u64>>()))\n            .collect();\n        blocks.into_iter().flat_map(|b| b.join().unwrap()).collect()\n    }});\n    println!(\"{{results:?}}\");\n}}\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;

    fn program_of(query: &str) -> String {
        program(
            &Inputs::from_query(query).validate().unwrap(),
            "http://127.0.0.1:8080/",
        )
    }

    #[test]
    fn workers_left_out_are_left_out_of_the_program_too() {
        let default = program_of("strategy=Pool.map&items=10");
        assert!(default.contains("with multiprocessing.Pool() as pool:  # os.cpu_count(): "));
        let given = program_of("strategy=Pool.map&workers=3&items=10");
        assert!(given.contains("with multiprocessing.Pool(3) as pool:\n"));
        let tpe = program_of("strategy=ThreadPoolExecutor.map&items=10");
        assert!(
            tpe.contains("with ThreadPoolExecutor() as executor:  # min(32, os.cpu_count() + 4): ")
        );
        let ppe = program_of("strategy=ProcessPoolExecutor.map&workers=2&items=10");
        assert!(ppe.contains("with ProcessPoolExecutor(max_workers=2) as executor:\n"));
    }

    #[test]
    fn the_seed_example_defines_square_and_guards_main() {
        let code = program_of("strategy=Pool.map&workers=5&items=14&chunksize=3&cost=2000");
        assert!(code.starts_with("import multiprocessing\n"), "{code}");
        assert!(code.contains("def square(x):\n    work()\n    return x * x"));
        assert!(code.contains(
            "if __name__ == \"__main__\":\n    with multiprocessing.Pool(5) as pool:\n        results = pool.map(square, range(1, 15), chunksize=3)\n    print(results)\n"
        ));
        assert!(code.contains("COST = 2000  # count the primes below 2,000 per item"));
    }

    #[test]
    fn pool_apply_is_a_loop_of_blocking_calls_and_starmap_async_gets_its_list() {
        let apply = program_of("strategy=Pool.apply&workers=3&items=5");
        assert!(apply.contains(
            "        results = [pool.apply(square, (x,)) for x in range(1, 6)]  # each call blocks: one task at a time\n"
        ));
        let raising = program_of("strategy=Pool.apply&workers=3&items=5&raise_at=2");
        assert!(raising.contains(
            "        try:\n            for x in range(1, 6):\n                results.append(pool.apply(square, (x,)))"
        ));
        let rayon = program_of("strategy=rayon.par_iter&workers=2&items=5&raise_at=2,4");
        assert!(rayon.contains("const RAISE_AT: [u64; 2] = [2, 4]; // these items return Err"));
        assert!(rayon.contains("fn square(x: u64) -> Result<u64, String> {"));
        let processes = program_of("strategy=multiprocessing.Process&items=3&raise_at=2");
        assert!(processes.contains("exits with exitcode 1, putting nothing"));
        assert!(processes.contains("queue.get()  # waits forever once only the results of processes that raised are missing"));
        let star = program_of("strategy=Pool.starmap_async&workers=3&items=5&chunksize=2");
        assert!(star.contains(
            "        results = pool.starmap_async(power, zip(range(1, 6), repeat(2)), chunksize=2).get()\n"
        ));
    }

    #[test]
    fn shapes_and_the_gil_are_said_where_the_code_cannot_show_them() {
        let code =
            program_of("strategy=queue.Queue&workload=io&cost=500&shape=random&seed=7&gil=false");
        assert!(code.contains("COST = 500  # wait 500 µs per item on average; the playground's 'random' shape (seed 7)"));
        assert!(code.contains("free-threaded"));
    }

    #[test]
    fn fetches_request_the_shipped_files_from_the_page_site() {
        let code = program_of("strategy=ThreadPoolExecutor.map&workers=4&items=8&workload=fetch");
        assert!(code.contains("SITE = \"http://127.0.0.1:8080/\""));
        assert!(code.contains("for i in range(8)]"));
        assert!(code.contains("results = list(executor.map(get_size, URLS))"));
        let gather = program_of("strategy=asyncio.gather&requests=3&limit=2&latency_ms=250");
        assert!(gather.contains("await asyncio.sleep(0.25)"));
        assert!(gather.contains("sem = asyncio.Semaphore(2)"));
        assert!(gather.contains("    asyncio.run(main())"));
    }

    #[test]
    fn the_python_shown_for_sequential_awaits_is_the_loop_that_runs() {
        // Without return_exceptions the comprehension leaves at the first exception …
        let stops = program_of("strategy=sequential");
        assert!(stops.contains("    results = [await fetch(url) for url in URLS]\n"));
        // … with it, each exception is kept in its place and the loop goes on.
        let keeps = program_of("strategy=sequential&return_exceptions=true");
        assert!(keeps.contains("except Exception as error:\n            results.append(error)"));
    }
}
