//! Shared helpers of the execution tests: compile a test program, load it on the default
//! OpenCL device (PoCL in CI), run many VMs, and compare each with the reference engine.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;
use vv_bundle::{BuildOptions, Bundle, ValType};
use vv_loader::{DeviceChoice, Invoke, LoadOptions, Loader, RunConfig, RunReport, VmStatus};
use vv_testsuite::reference;

/// The `testsuite/` folder; `VV_TESTSUITE_DIR` overrides it for test binaries run elsewhere
/// (e.g. copied to a GPU machine).
pub fn root() -> PathBuf {
    std::env::var_os("VV_TESTSUITE_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

pub fn compile(rel: &str, opts: &BuildOptions) -> Bundle {
    let name = rel.rsplit('/').next().unwrap();
    vv_compiler::compile(name, &read(rel), opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads a bundle on the default device (`VV_TEST_DEVICE` picks another, by index or name).
pub fn load(bundle: Bundle) -> Loader {
    load_with(bundle, &LoadOptions::default())
}

/// `load` with options.
pub fn load_with(bundle: Bundle, opts: &LoadOptions) -> Loader {
    let device = match std::env::var("VV_TEST_DEVICE") {
        Ok(d) => d.parse().unwrap_or_else(|e| panic!("VV_TEST_DEVICE: {e}")),
        Err(_) => DeviceChoice::Default,
    };
    Loader::with_options(bundle, &device, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// How long one run of a test may take before it stops and the test fails, so that a translation
/// bug that sends a guest into an endless loop fails the test instead of hanging it (generous for
/// PoCL on 2 cores, where the slowest run, json's 512 VMs, takes about a minute).
pub const RUN_TIME_LIMIT: Duration = Duration::from_secs(600);

/// Runs `cfg` under RUN_TIME_LIMIT (unless the test sets a launch or time limit of its own) and
/// fails, naming the VMs, when some were still running at the limit.
pub fn run_limited(loader: &Loader, cfg: RunConfig, what: &str) -> RunReport {
    let own_limit = cfg.max_launches.is_some() || cfg.timeout.is_some();
    let cfg = RunConfig { timeout: cfg.timeout.or(Some(RUN_TIME_LIMIT)), ..cfg };
    let report = loader.run(&cfg).unwrap_or_else(|e| panic!("{what}: {e}"));
    if !own_limit {
        let running: Vec<String> = report
            .outcomes
            .iter()
            .enumerate()
            .filter_map(|(vm, o)| match &o.status {
                VmStatus::Running { function } => Some(format!("VM {vm} in {function}")),
                _ => None,
            })
            .collect();
        assert!(
            running.is_empty(),
            "{what}: {} VMs still running after {:?}: {}",
            running.len(),
            RUN_TIME_LIMIT,
            running.iter().take(8).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    report
}

/// A small deterministic generator for test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

pub const I32_EDGES: &[u32] = &[0, 1, 2, 3, 7, 31, 32, 33, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fffe, 0x8000_0001, 100, 65536];
pub const I64_EDGES: &[u64] = &[
    0, 1, 2, 63, 64, 65, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, u64::MAX, u64::MAX - 1, 0xffff_ffff, 0x1_0000_0000, 12345,
];
pub const F32_EDGES: &[f32] = &[
    0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.1, 3.4e38, -3.4e38, 1e-40, -1e-45, f32::INFINITY, f32::NEG_INFINITY,
    f32::NAN, 2147483520.0, -2147483648.0, 2147483648.0, 4294967040.0, 4294967296.0, 9.2233715e18, -9.223372e18, 1.8446743e19,
    123.456, -0.75, 16777217.0,
];
pub const F64_EDGES: &[f64] = &[
    0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.1, 1.7e308, -1.7e308, 5e-324, -1e-310, f64::INFINITY, f64::NEG_INFINITY,
    f64::NAN, 2147483647.9, -2147483648.9, 2147483648.0, -2147483649.0, 4294967295.5, 4294967296.0, 9.223372036854775e18,
    -9.223372036854777e18, 18446744073709549568.0, 1.8446744073709552e19, 123.456, 4503599627370497.0,
];

pub fn f32_bits(x: f32) -> u64 {
    x.to_bits() as u64
}
pub fn f64_bits(x: f64) -> u64 {
    x.to_bits()
}

/// Random raw bits of a value of type `t`: edge values, small values or random bits.
pub fn arg(rng: &mut Rng, t: ValType) -> u64 {
    let r = rng.next() % 3;
    match t {
        ValType::I32 => match r {
            0 => rng.pick(I32_EDGES) as u64,
            1 => rng.next() % 64,
            _ => rng.next() as u32 as u64,
        },
        ValType::I64 => match r {
            0 => rng.pick(I64_EDGES),
            1 => rng.next() % 64,
            _ => rng.next(),
        },
        ValType::F32 => match r {
            0 | 1 => f32_bits(rng.pick(F32_EDGES)),
            _ => f32_bits((rng.next() % 100_000) as f32 / 64.0 - 700.0),
        },
        ValType::F64 => match r {
            0 | 1 => f64_bits(rng.pick(F64_EDGES)),
            _ => f64_bits((rng.next() % 10_000_000) as f64 / 1024.0 - 4000.0),
        },
        ValType::FuncRef | ValType::ExternRef => vv_bundle::abi::REF_NULL,
    }
}

/// Whether two raw result values agree: bit-exact, except that any NaN matches any NaN
/// (Wasm leaves NaN payloads of arithmetic results open).
pub fn same_value(t: ValType, a: u64, b: u64) -> bool {
    match t {
        ValType::I32 => a as u32 == b as u32,
        ValType::I64 => a == b,
        ValType::F32 => a as u32 == b as u32 || (f32::from_bits(a as u32).is_nan() && f32::from_bits(b as u32).is_nan()),
        ValType::F64 => a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan()),
        ValType::FuncRef | ValType::ExternRef => a as u32 == b as u32,
    }
}

/// One call per VM: export name and raw argument bits.
pub type Call = (String, Vec<u64>);

/// Runs every call as its own VM on the device and checks each against the reference engine:
/// the same results, or the same trap. Returns the report for further checks.
pub fn check_invokes(rel: &str, opts: &BuildOptions, calls: &[Call]) -> RunReport {
    let source = read(rel);
    let wasm = if rel.ends_with(".wat") { wat::parse_bytes(&source).unwrap().into_owned() } else { source };
    let bundle = compile(rel, opts);
    let plan: Vec<(u32, Vec<u64>)> = calls
        .iter()
        .map(|(name, args)| (bundle.export(name).unwrap_or_else(|| panic!("no export {name}")).invoke_index, args.clone()))
        .collect();
    let exports = bundle.exports.clone();
    let loader = load(bundle);
    let cfg = RunConfig { vms: calls.len(), invoke: Invoke::PerVm(plan), ..RunConfig::default() };
    let report = run_limited(&loader, cfg, rel);
    assert_eq!(report.outcomes.len(), calls.len());
    let mut failures = Vec::new();
    for (vm, ((name, args), outcome)) in calls.iter().zip(&report.outcomes).enumerate() {
        let export = exports.iter().find(|e| &e.name == name).unwrap();
        let expected = reference::invoke(&wasm, name, args);
        let ok = match (&outcome.status, &expected) {
            (VmStatus::Exited(0), Ok(values)) => {
                values.len() == export.results.len()
                    && export.results.iter().enumerate().all(|(i, t)| same_value(*t, outcome.results[i], values[i]))
            }
            (VmStatus::Trapped { trap, .. }, Err(msg)) => reference::trap_kind(msg) == Some(trap.name()),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "vm {vm}: {name}({args:x?}): device {:?} results {:x?}, reference {expected:x?}",
                outcome.status,
                &outcome.results[..export.results.len().min(outcome.results.len())]
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} VMs differ from the reference:\n{}", failures.len(), calls.len(), failures.join("\n"));
    report
}

/// Calls to `export` with random arguments (the first argument is the VM index when
/// `selector` is set, so each VM takes a different branch).
pub fn random_calls(bundle_rel: &str, export: &str, n: usize, seed: u64, selector: bool) -> Vec<Call> {
    let bundle = compile(bundle_rel, &small());
    let e = bundle.export(export).unwrap();
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|vm| {
            let args = e
                .params
                .iter()
                .enumerate()
                .map(|(i, t)| if selector && i == 0 { vm as u64 } else { arg(&mut rng, *t) })
                .collect();
            (export.to_string(), args)
        })
        .collect()
}

/// Build options for small test programs: a small heap keeps device memory low.
pub fn small() -> BuildOptions {
    BuildOptions { heap_size: 4 * 65536, ..BuildOptions::default() }
}
