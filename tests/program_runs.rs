#![cfg(not(target_arch = "wasm32"))]
//! The program shown above the Run button runs as pasted, for every strategy: each is written
//! to a file and run with real `python3` (Rust's own strategies compiled with `rustc`, or
//! with Cargo offline for rayon), with small inputs, and must exit 0 and print the
//! results the playground expects. The fetch programs download the shipped files from a small
//! HTTP server this test starts on loopback, serving `www/` as the playground's site does.
//!
//! `python3` (3.8 or later), `rustc` and `cargo` (with rayon in its registry cache, as the
//! playground's own build leaves it) must be on `PATH`: without them these tests fail,
//! they do not skip.

use parallel_playground::model::config::{Inputs, RunConfig};
use parallel_playground::model::files::SHIPPED_FILES;
use parallel_playground::model::program::program;
use parallel_playground::model::strategy::{Delivery, Family, Strategy, WorkerCount};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Serves `www/` on loopback (HTTP/1.0, one thread per connection); returns the site's URL.
fn site() -> &'static str {
    static SITE: OnceLock<String> = OnceLock::new();
    SITE.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        url
    })
}

/// Answers one GET with the file under `www/` (the query ignored), or 404.
fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    let _ = reader.read_line(&mut request_line);
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = target
        .split('?')
        .next()
        .unwrap_or("/")
        .trim_start_matches('/');
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("www").join(path);
    let response = match std::fs::read(&file) {
        Ok(body) if !path.contains("..") => {
            let mut r =
                format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
            r.extend(body);
            r
        }
        _ => b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
    };
    let _ = stream.write_all(&response);
}

fn config(query: &str) -> RunConfig {
    Inputs::from_query(query)
        .validate()
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("playground-programs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs a Python program; its standard output, or a panic with its error output.
fn run_python(name: &str, code: &str) -> String {
    let file = scratch(&format!("{name}.py"));
    std::fs::write(&file, code).unwrap();
    let output = Command::new("python3")
        .arg(&file)
        .output()
        .expect("python3 on PATH runs the shown programs");
    assert!(
        output.status.success(),
        "{name} exited with {}:\n{}\n--- program ---\n{code}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Compiles and runs a Rust program (a `main.rs`): with `rustc` alone, or as a Cargo
/// project depending on rayon when it uses rayon (built offline, from the registry cache
/// the playground's own build filled, in a target directory kept between runs).
fn run_rust(name: &str, code: &str) -> String {
    let output = if code.contains("rayon") {
        let project = scratch(name);
        std::fs::create_dir_all(project.join("src")).unwrap();
        std::fs::write(
            project.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nrayon = \"1.12\"\n"),
        )
        .unwrap();
        std::fs::write(project.join("src/main.rs"), code).unwrap();
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/program-runs");
        Command::new("cargo")
            .args(["run", "--offline", "--quiet", "--release"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(&project)
            .output()
            .expect("cargo on PATH")
    } else {
        let source = scratch(&format!("{name}.rs"));
        let binary = scratch(name);
        std::fs::write(&source, code).unwrap();
        let compiled = Command::new("rustc")
            .args(["--edition", "2021", "-O", "-o"])
            .arg(&binary)
            .arg(&source)
            .output()
            .expect("rustc on PATH");
        assert!(
            compiled.status.success(),
            "{name} does not compile:\n{}\n--- program ---\n{code}",
            String::from_utf8_lossy(&compiled.stderr)
        );
        Command::new(&binary).output().unwrap()
    };
    assert!(
        output.status.success(),
        "{name} failed ({}):\n{}\n--- program ---\n{code}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn squares(n: u64) -> String {
    let list: Vec<String> = (1..=n).map(|x| (x * x).to_string()).collect();
    format!("[{}]\n", list.join(", "))
}

fn sizes(n: usize) -> String {
    let list: Vec<String> = (0..n)
        .map(|i| SHIPPED_FILES[i % SHIPPED_FILES.len()].bytes.to_string())
        .collect();
    format!("[{}]\n", list.join(", "))
}

/// The printed list's numbers, sorted (for completion order).
fn sorted_numbers(printed: &str) -> Vec<u64> {
    let mut numbers: Vec<u64> = printed
        .trim()
        .trim_matches(['[', ']'])
        .split(", ")
        .map(|n| n.parse().unwrap())
        .collect();
    numbers.sort_unstable();
    numbers
}

#[test]
fn every_strategy_s_program_runs_as_pasted_and_prints_the_results() {
    for strategy in Strategy::ALL {
        let name = strategy.name();
        let query = if strategy.is_fetch() {
            format!("strategy={name}&requests=5&latency_ms=10&timeout_ms=5000")
        } else if strategy.rule().workers == WorkerCount::OnePerItem {
            format!("strategy={name}&items=6&cost=300")
        } else {
            format!("strategy={name}&workers=3&items=6&cost=300")
        };
        let config = config(&query);
        let code = program(&config, site());
        let file_name = name.replace('.', "_");
        let printed = if strategy.family() == Family::Rust {
            run_rust(&file_name, &code)
        } else {
            run_python(&file_name, &code)
        };
        if strategy.is_fetch() {
            assert_eq!(printed, sizes(5), "{name}");
        } else if strategy.delivery() == Delivery::AsCompleted {
            assert_eq!(
                sorted_numbers(&printed),
                (1..=6).map(|x| x * x).collect::<Vec<u64>>(),
                "{name}: every result, in completion order"
            );
        } else {
            assert_eq!(printed, squares(6), "{name}");
        }
    }
}

#[test]
fn the_thread_strategies_fetch_programs_download_the_shipped_files() {
    for strategy in ["ThreadPoolExecutor.map", "threading.Thread", "queue.Queue"] {
        let config = config(&format!("strategy={strategy}&items=6&workload=fetch"));
        let printed = run_python(
            &format!("{}_fetch", strategy.replace('.', "_")),
            &program(&config, site()),
        );
        assert_eq!(printed, sizes(6), "{strategy}");
    }
}

#[test]
fn io_shapes_chunk_sizes_and_limits_run_too() {
    for query in [
        "strategy=Pool.map&workers=5&items=14&chunksize=3&cost=300",
        "strategy=Pool.starmap&workers=2&items=6&workload=io&cost=500&shape=random&seed=4",
        "strategy=Pool.starmap_async&workers=5&items=14&chunksize=3&cost=300",
        "strategy=Pool.apply&workers=2&items=6&workload=io&cost=500",
        "strategy=queue.Queue&workers=2&items=6&workload=io&cost=500&gil=false",
        "strategy=ProcessPoolExecutor.map&workers=2&items=6&chunksize=4&cost=300",
        "strategy=static&workers=4&items=10&workload=io&cost=500",
    ] {
        let config = config(query);
        let code = program(&config, site());
        let printed = if config.strategy == Strategy::Static {
            run_rust("static_io", &code)
        } else {
            run_python("variant", &code)
        };
        assert_eq!(printed, squares(config.items as u64), "{query}");
    }
    let limited = config("strategy=asyncio.gather&requests=6&limit=2&latency_ms=0");
    assert_eq!(
        run_python("gather_limited", &program(&limited, site())),
        sizes(6)
    );
}

#[test]
fn programs_whose_items_raise_catch_the_exception_where_cpython_raises_it() {
    // (settings, what the program prints: each exception caught, then the results list).
    for (query, expected) in [
        (
            "strategy=Pool.map&workers=2&items=8&chunksize=2&cost=300&raise_at=3",
            "raised: ValueError('bad item 3')\n[]\n",
        ),
        (
            "strategy=Pool.starmap&workers=2&items=6&chunksize=3&cost=300&raise_at=2&raise_cost=slow",
            "raised: ValueError('bad item 2')\n[]\n",
        ),
        (
            "strategy=Pool.imap&workers=2&items=8&chunksize=2&cost=300&raise_at=3",
            "raised: ValueError('bad item 3')\n[1, 4]\n",
        ),
        (
            "strategy=Pool.imap_unordered&workers=1&items=4&cost=300&raise_at=2&raise_cost=fast",
            "raised: ValueError('bad item 2')\n[1]\n",
        ),
        (
            "strategy=Pool.apply_async&workers=2&items=6&cost=300&raise_at=2,5",
            "raised: ValueError('bad item 2')\nraised: ValueError('bad item 5')\n[1, 9, 16, 36]\n",
        ),
        (
            "strategy=Pool.apply&workers=2&items=6&cost=300&raise_at=3",
            "raised: ValueError('bad item 3')\n[1, 4]\n",
        ),
        (
            "strategy=ThreadPoolExecutor.map&workers=1&items=5&cost=300&raise_at=3",
            "raised: ValueError('bad item 3')\n[1, 4]\n",
        ),
        (
            "strategy=ProcessPoolExecutor.map&workers=1&items=5&cost=300&raise_at=3",
            "raised: ValueError('bad item 3')\n[1, 4]\n",
        ),
        (
            "strategy=threading.Thread&items=4&cost=300&raise_at=2",
            "[1, None, 9, 16]\n",
        ),
        (
            "strategy=queue.Queue&workers=2&items=6&cost=300&raise_at=1",
            "[None, 4, 9, 16, 25, 36]\n",
        ),
    ] {
        let code = program(&config(query), site());
        assert!(code.contains("raise ValueError(f\"bad item {x}\")"), "{query}");
        assert_eq!(run_python("raising", &code), expected, "{query}\n{code}");
    }
}

#[test]
fn rayon_programs_whose_items_return_err_print_the_first_err_and_no_vec() {
    for query in [
        "strategy=rayon.par_iter&workers=2&items=8&cost=300&raise_at=3",
        "strategy=rayon.par_iter&workers=2&items=8&workload=io&cost=300&raise_at=5&raise_cost=slow",
        "strategy=rayon.par_iter&workers=1&items=4&cost=300&raise_at=1&raise_cost=fast",
    ] {
        let config = config(query);
        let code = program(&config, site());
        assert!(code.contains("Result<Vec<u64>, String>"), "{query}");
        let item = config.workload.raises.numbers()[0];
        assert_eq!(
            run_rust("rayon_err", &code),
            format!("Err: \"bad item {item}\"\n"),
            "{query}\n{code}"
        );
    }
}
