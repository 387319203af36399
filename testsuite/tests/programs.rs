//! The program corpus (`testsuite/programs/*.c`, see its README.md): real C programs of the
//! kinds users run for throughput, each as [`VMS`] VMs on the default OpenCL device, every VM
//! with its own input (`argv[1]` or stdin), and every VM's stdout, stderr and exit code compared
//! byte for byte with the reference engine on the same input.
//!
//! The reference runs on a thread per CPU from one compiled [`reference::Command`]. The device
//! builds of several tests overlap (one CPU each on PoCL), but the many-VM phases (the reference
//! runs and the device run, which use every CPU) take turns: on a 2-core CI machine PoCL slowed
//! down several times over when two kernels and the reference threads shared the cores.
//!
//! Knobs for hunting translator bugs by hand: `VV_PROGRAMS_VMS` sets another VM count (at least
//! 1), `VV_PROGRAMS_FUEL` the fuel per launch (small values make the VMs yield and resume
//! mid-function often), `VV_PROGRAMS_INTERLEAVE` the memory interleave (a power of two up to 65536; each program's
//! default is its own from `bench/corpus.tsv`) and
//! `VV_PROGRAMS_PARTITION_LINES` the partition size (0: one program), `VV_PROGRAMS_SPLIT=whole`
//! runs a split program's whole program instead of its partitions.
//! `VV_PROGRAMS_WRITE_STDIN=DIR` writes the per-VM stdin of the stdin programs to
//! `DIR/PROGRAM/VM`, for `vv-run --stdin-dir DIR/PROGRAM` by hand.

mod common;

use common::*;
use std::sync::Mutex;
use std::time::Instant;
use vv_bundle::{BuildOptions, WarpGather};
use vv_loader::{LoadOptions, RunConfig, Split, Stdin, VmStatus};
use vv_testsuite::reference::{self, CommandOutcome};

const VMS: usize = 512;

/// Held by the test whose many-VM phase (reference runs, then the device run) is going on.
static MANY_VMS: Mutex<()> = Mutex::new(());

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(v.parse().unwrap_or_else(|e| panic!("{name}={v}: {e}")))
}

fn vms() -> usize {
    env_number("VV_PROGRAMS_VMS").filter(|&n| n > 0).map_or(VMS, |n| n as usize)
}

/// Partitions of this many lines, run without the whole program (`Split::Partitions`): PoCL
/// builds the smaller programs faster (this test took 258 s instead of 296 s on 2 cores), and
/// every corpus program then runs split, calls crossing partitions included.
const PARTITION_LINES: u32 = 16000;

/// The program's own vvc options from the bench's corpus.tsv (4th column), which the benchmark
/// runs with: `--interleave N`, `--inline-functions` and `--max-registers N`.
fn corpus_options(program: &str, opts: &mut BuildOptions) {
    let table = String::from_utf8(read("bench/corpus.tsv")).expect("corpus.tsv is UTF-8");
    let line = table
        .lines()
        .find(|l| l.split('\t').next() == Some(program))
        .unwrap_or_else(|| panic!("bench/corpus.tsv has no line for {program}"));
    let column = line.split('\t').nth(3).unwrap_or_else(|| panic!("bench/corpus.tsv: {program} has no options column"));
    let mut words = column.split_whitespace().filter(|&w| w != "-");
    while let Some(word) = words.next() {
        match word {
            "--interleave" => opts.interleave = words.next().and_then(|w| w.parse().ok()).expect("--interleave N"),
            "--inline-functions" => opts.inline_functions = true,
            "--stdout-on-host" => opts.stdout_on_host = true,
            "--warp-gather" => {
                opts.warp_gather = match words.next() {
                    Some("majority") => WarpGather::Majority,
                    Some("lowest") => WarpGather::Lowest,
                    Some("deepest") => WarpGather::Deepest,
                    Some("off") => WarpGather::Off,
                    other => panic!("bench/corpus.tsv: {program}: --warp-gather {other:?}"),
                }
            }
            "--max-registers" => opts.max_registers = words.next().and_then(|w| w.parse().ok()).expect("--max-registers N"),
            other => panic!("bench/corpus.tsv: {program}: option {other} is not known to this test"),
        }
    }
}

/// The default build options with partitions and the program's own options, but for the knobs
/// above.
fn build_options(program: &str) -> BuildOptions {
    let mut opts = BuildOptions { partition_lines: PARTITION_LINES, ..BuildOptions::default() };
    corpus_options(program, &mut opts);
    if let Some(fuel) = env_number("VV_PROGRAMS_FUEL") {
        opts.fuel = fuel;
    }
    if let Some(w) = env_number("VV_PROGRAMS_INTERLEAVE") {
        opts.interleave = w as u32;
    }
    if let Some(lines) = env_number("VV_PROGRAMS_PARTITION_LINES") {
        opts.partition_lines = lines as u32;
    }
    if let Some(on) = env_number("VV_PROGRAMS_DIRECT_CALLS") {
        opts.direct_calls = on != 0;
    }
    opts
}

/// One program's run: `args` are argv[1..] (`{vm}` becomes the VM index, as in vv-run);
/// `stdin`, when given, is one input per VM. `exits` lists the exit codes the reference may
/// give (anything else, or a trap, means the program or its inputs are wrong, not the device).
struct Case<'a> {
    program: &'a str,
    args: &'a [&'a str],
    stdin: Option<Vec<Vec<u8>>>,
    exits: &'a [i32],
    /// Every VM's reference stdout must contain this (a self-test's verdict, say).
    stdout_has: &'a str,
    /// Answers known from elsewhere (Python's hashlib): VM i's stdout must contain the text.
    known: &'a [(usize, &'a str)],
}

fn argv(name: &str, args: &[&str], vm: usize) -> Vec<String> {
    std::iter::once(name.to_string()).chain(args.iter().map(|a| a.replace("{vm}", &vm.to_string()))).collect()
}

/// Runs every VM's input through the reference engine, on one thread per CPU.
fn reference_outcomes(wasm: &[u8], name: &str, case: &Case, n: usize) -> Vec<CommandOutcome> {
    let command = reference::Command::new(wasm).unwrap_or_else(|e| panic!("{}: reference: {e}", case.program));
    let threads = std::thread::available_parallelism().map(|t| t.get()).unwrap_or(2).min(n);
    let mut slots: Vec<Option<CommandOutcome>> = vec![None; n];
    std::thread::scope(|s| {
        let chunks: Vec<_> = slots
            .chunks_mut(n.div_ceil(threads))
            .enumerate()
            .map(|(t, chunk)| {
                let command = &command;
                let first = t * n.div_ceil(threads);
                s.spawn(move || {
                    for (i, slot) in chunk.iter_mut().enumerate() {
                        let vm = first + i;
                        let input = case.stdin.as_ref().map(|s| s[vm].as_slice()).unwrap_or_default();
                        *slot = Some(command.run(&argv(name, case.args, vm), &[], input));
                    }
                })
            })
            .collect();
        chunks.into_iter().for_each(|h| h.join().unwrap());
    });
    slots.into_iter().map(Option::unwrap).collect()
}

fn check(case: Case) {
    let n = vms();
    let rel = format!("programs/{}.wasm", case.program);
    let wasm = read(&rel);
    if let (Some(dir), Some(inputs)) = (std::env::var_os("VV_PROGRAMS_WRITE_STDIN"), &case.stdin) {
        let dir = std::path::Path::new(&dir).join(case.program);
        std::fs::create_dir_all(&dir).unwrap();
        for (vm, input) in inputs.iter().enumerate() {
            std::fs::write(dir.join(vm.to_string()), input).unwrap();
        }
    }
    let started = Instant::now();
    let bundle = compile(&rel, &build_options(case.program));
    let name = bundle.source_name.clone();
    let cfg = RunConfig {
        vms: n,
        args: case.args.iter().map(|a| a.to_string()).collect(),
        stdin: case.stdin.clone().map(Stdin::per_vm).unwrap_or_default(),
        ..RunConfig::default()
    };
    let split = match std::env::var("VV_PROGRAMS_SPLIT").as_deref() {
        Ok("whole") => Split::Whole,
        Ok("partitions") | Err(_) => Split::Partitions,
        Ok(other) => panic!("VV_PROGRAMS_SPLIT={other}: whole or partitions"),
    };
    let loader = load_with(bundle, &LoadOptions { split, ..LoadOptions::default() });
    let build_time = started.elapsed();
    let turn = MANY_VMS.lock().unwrap_or_else(|e| e.into_inner());
    let t = Instant::now();
    let want = reference_outcomes(&wasm, &name, &case, n);
    let ref_time = t.elapsed();
    let report = run_limited(&loader, cfg, case.program);
    drop(turn);
    assert_eq!(report.outcomes.len(), n);

    // The reference itself must behave as the program promises.
    for (vm, w) in want.iter().enumerate() {
        let ok = matches!(w.exit, Ok(code) if case.exits.contains(&code)) && w.stdout_str().contains(case.stdout_has);
        assert!(ok, "{} vm {vm}: reference gave {:?}\nstdout {}\nstderr {}", case.program, w.exit, w.stdout_str(), w.stderr_str());
    }
    for &(vm, text) in case.known.iter().filter(|(vm, _)| *vm < n) {
        assert!(want[vm].stdout_str().contains(text), "{} vm {vm}: reference stdout lacks {text}:\n{}", case.program, want[vm].stdout_str());
    }

    let mut failures = Vec::new();
    for (vm, (o, w)) in report.outcomes.iter().zip(&want).enumerate() {
        let exit_ok = match (&o.status, &w.exit) {
            (VmStatus::Exited(code), Ok(want_code)) => *code as i32 == *want_code,
            _ => false,
        };
        if !exit_ok || o.stdout != w.stdout || o.stderr != w.stderr {
            failures.push(format!(
                "vm {vm} (argv {:?}): device {:?}, reference {:?}\n  device stdout {:?}\n  reference    {:?}\n  device stderr {:?}\n  reference    {:?}",
                argv(&name, case.args, vm),
                o.status,
                w.exit,
                String::from_utf8_lossy(&o.stdout),
                w.stdout_str(),
                String::from_utf8_lossy(&o.stderr),
                w.stderr_str(),
            ));
        }
    }
    let out_bytes: usize = report.outcomes.iter().map(|o| o.stdout.len()).sum();
    println!(
        "{}: {n} VMs, {} launches, {} hypercalls, {out_bytes} stdout bytes; {}; compile+load {:.2} s; kernel {:.2} s, run {:.2} s; reference {:.2} s; total {:.2} s",
        case.program,
        report.launches,
        report.hypercalls,
        report.build,
        build_time.as_secs_f64(),
        report.phases.kernel.as_secs_f64(),
        report.wall.as_secs_f64(),
        ref_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{}: {} of {n} VMs differ from the reference:\n{}",
        case.program,
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

#[test]
fn pbkdf2_sha256() {
    check(Case { program: "pbkdf2", args: &["user{vm}"], stdin: None, exits: &[0], stdout_has: "self-test ok", known: PBKDF2_KNOWN });
}

/// `hashlib.pbkdf2_hmac('sha256', b'user3', b'vv-salt', 64, 64).hex()` and the same for user500.
const PBKDF2_KNOWN: &[(usize, &str)] = &[
    (3, "pbkdf2(user3, vv-salt, 64) = 96aa7f2690f39b683aae52c585dc49bc2c9b6dd8d959f31789697ec0859f5c3aa79ae7554f4fa814205fb1ac8b7ba60d635937d65a3cd7cda43b4ca7129c82dd\n"),
    (500, "pbkdf2(user500, vv-salt, 64) = 20a43f46624db343b40ae03761cafe5681c945d0771637a2b66f590d38ee3f1ccc699ac88723007e8ad89613c358d3eb8e78c46bb7b756af8f3b1b9a014cfe6c\n"),
];

/// `hashlib.scrypt(b'pw-3!', salt=b'vv-NaCl', n=512, r=5, p=1, dklen=32).hex()` and pw-500!.
const SCRYPT_KNOWN: &[(usize, &str)] = &[
    (3, "scrypt(pw-3!, vv-NaCl, N=512, r=5, p=1) = c15613dbaa7853a2f7d33862035b8e8da098a22c7c3bf54d22648c9f36c21161\n"),
    (500, "scrypt(pw-500!, vv-NaCl, N=512, r=5, p=1) = ce6608736ab8372cbec12faea79edd5053da0f3e5fada7f90d32baac85dd0fa0\n"),
];

#[test]
fn scrypt_memory_hard_kdf() {
    check(Case { program: "scrypt", args: &["pw-{vm}!"], stdin: None, exits: &[0], stdout_has: "self-test ok", known: SCRYPT_KNOWN });
}

#[test]
fn imgproc_blur_resize_sobel() {
    check(Case { program: "imgproc", args: &["{vm}"], stdin: None, exits: &[0], stdout_has: "median fnv=", known: &[] });
}

#[test]
fn lz77_round_trip() {
    check(Case { program: "lz77", args: &["{vm}"], stdin: None, exits: &[0], stdout_has: "round trip ok", known: &[] });
}

#[test]
fn regex_and_kmp_search() {
    check(Case { program: "regex", args: &["{vm}"], stdin: None, exits: &[0], stdout_has: "kmp=", known: &[] });
}

#[test]
fn nbody_simulation() {
    check(Case { program: "nbody", args: &["{vm}"], stdin: None, exits: &[0], stdout_has: "float drift", known: &[] });
}

#[test]
fn mandelbrot_escape_time() {
    check(Case { program: "mandelbrot", args: &["{vm}"], stdin: None, exits: &[0], stdout_has: "mean smooth=", known: &[] });
}

#[test]
fn sortbench_qsort_function_pointers() {
    check(Case { program: "sortbench", args: &["{vm}"], stdin: None, exits: &[0], stdout_has: "bsearch found=", known: &[] });
}

#[test]
fn allocstress_malloc_free() {
    check(Case { program: "allocstress", args: &["{vm}"], stdin: None, exits: &[0], stdout_has: "corrupt=0", known: &[] });
}

/// Text for wordfreq: words from a vocabulary with a per-VM skew and, one in eight, words made
/// of two syllables (a tail of rarer words), punctuation, mixed case, some non-ASCII bytes, and
/// lines of varied length; 8-12 KiB.
fn text_input(vm: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "I", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you",
        "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will",
        "would", "who", "so", "no", "kernel", "device", "memory", "launch", "work-item", "don't", "it's", "GPU",
        "OpenCL", "wasm", "Straße", "naïve", "1984", "x86_64", "",
    ];
    const SYLLABLES: &[&str] = &["ka", "ri", "mo", "to", "ne", "sa", "lu", "vi", "da", "po", "ber", "gen", "tal", "ist", "ro", "mi"];
    let mut rng = Rng::new(vm as u64 + 1);
    let target = 8000 + (vm % 5) * 1000;
    let skew = 1 + vm % 4;
    let mut s = String::new();
    let mut line = 0;
    while s.len() < target {
        let w = if rng.next().is_multiple_of(8) {
            // a made-up word of two syllables, the first skewed towards the start of the list
            let a = (rng.next() % 16).min(rng.next() % 16) as usize;
            format!("{}{}", SYLLABLES[a], SYLLABLES[(rng.next() % 16) as usize])
        } else {
            // a skewed pick: the minimum of `skew` uniform picks favours early words
            let i = (0..skew).map(|_| (rng.next() % WORDS.len() as u64) as usize).min().unwrap();
            WORDS[i].to_string()
        };
        if rng.next().is_multiple_of(13) {
            s.push_str(&w.to_uppercase());
        } else {
            s.push_str(&w);
        }
        line += w.len() + 1;
        match rng.next() % 17 {
            0 => s.push_str(", "),
            1 => s.push_str(". "),
            2 => s.push_str(" -- "),
            3 if line > 40 => {
                s.push('\n');
                line = 0;
            }
            _ => s.push(' '),
        }
    }
    if vm.is_multiple_of(5) {
        s.push('\n');
    }
    s.into_bytes()
}

#[test]
fn wordfreq_stdin_histogram() {
    let n = vms();
    let stdin: Vec<Vec<u8>> = (0..n).map(text_input).collect();
    check(Case { program: "wordfreq", args: &[], stdin: Some(stdin), exits: &[0], stdout_has: "letters:", known: &[] });
}

/// A JSON value of at most `depth` levels, with escapes, non-ASCII text, \u escapes (surrogate
/// pairs too) and numbers of every form.
fn json_value(rng: &mut Rng, depth: u32, out: &mut String) {
    let pick = if depth == 0 { rng.next() % 6 } else { rng.next() % 9 };
    match pick {
        0 => out.push_str(["null", "true", "false"][(rng.next() % 3) as usize]),
        1 => out.push_str(&((rng.next() % 2_000_001) as i64 - 1_000_000).to_string()),
        2 => {
            let v = ["0", "-0", "0.5", "-12.25e3", "1E-7", "3.14159265358979", "6.02214076e23", "123456789012345678901", "2.5E+2", "-0.0"];
            out.push_str(v[(rng.next() % v.len() as u64) as usize]);
        }
        3 => out.push_str(&format!("{}.{:03}", rng.next() % 10_000, rng.next() % 1000)),
        4 | 5 => {
            let parts = [
                "plain", "with space", "tab\\t", "quote\\\"", "back\\\\slash", "new\\nline", "slash\\/", "\\u00e9t\\u00E9",
                "\\ud83d\\ude80", "caf\u{e9}", "\u{65e5}\u{672c}", "\\u0001ctl", "\\b\\f\\r", "",
            ];
            out.push('"');
            for _ in 0..1 + rng.next() % 3 {
                out.push_str(parts[(rng.next() % parts.len() as u64) as usize]);
            }
            out.push('"');
        }
        6 | 7 => {
            out.push('{');
            let n = rng.next() % 6;
            for i in 0..n {
                if i > 0 {
                    out.push_str(if rng.next().is_multiple_of(3) { " , " } else { "," });
                }
                let key = ["id", "name", "tags", "x", "y", "z", "value", "b", "a", "\\u0041", "nested", ""];
                out.push_str(&format!("\"{}{}\":", key[(rng.next() % key.len() as u64) as usize], rng.next() % 4));
                if rng.next().is_multiple_of(4) {
                    out.push_str("\n  ");
                }
                json_value(rng, depth - 1, out);
            }
            out.push('}');
        }
        _ => {
            out.push('[');
            let n = rng.next() % 7;
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                json_value(rng, depth - 1, out);
            }
            out.push(']');
        }
    }
}

/// A JSON string of about `len` bytes of prose: words, some escapes, non-ASCII text.
fn json_text(rng: &mut Rng, len: usize, out: &mut String) {
    const WORDS: &[&str] = &[
        "the", "kernel", "launches", "on", "every", "device", "and", "memory", "is", "interleaved", "so", "that", "a",
        "load", "of", "one", "word", "touches", "many", "VMs", "caf\u{e9}", "na\u{ef}ve", "\u{65e5}\u{672c}", "x86_64",
        "2026", "\\\"quoted\\\"", "tab\\t", "line\\n", "\\u00e9t\\u00E9", "\\ud83d\\ude80", "back\\\\slash", "slash\\/",
    ];
    out.push('"');
    let start = out.len();
    // plain words; the last seven (escapes) only in one string of ten
    let plain = if rng.next().is_multiple_of(10) { WORDS.len() } else { WORDS.len() - 7 };
    while out.len() - start < len {
        out.push_str(WORDS[(rng.next() % plain as u64) as usize]);
        out.push(if rng.next().is_multiple_of(11) { ',' } else { ' ' });
    }
    out.push('"');
}

/// VM `vm`'s JSON document (38-59 KiB): an object of records (titles and bodies of prose, tags,
/// numbers, nested values); every 16th document is broken in one of several ways (the program
/// must report it on stderr and exit 1).
fn json_input(vm: usize) -> Vec<u8> {
    let mut rng = Rng::new(vm as u64 + 1000);
    let mut s = String::from("{\"vm\": ");
    s.push_str(&vm.to_string());
    s.push_str(", \"records\": [");
    for i in 0..44 + rng.next() % 16 {
        if i > 0 {
            s.push_str(",\n");
        }
        s.push_str(&format!("{{\"id\": {i}, \"title\": "));
        let len = 20 + (rng.next() % 40) as usize;
        json_text(&mut rng, len, &mut s);
        s.push_str(", \"body\": ");
        let len = 400 + (rng.next() % 800) as usize;
        json_text(&mut rng, len, &mut s);
        s.push_str(", \"tags\": [");
        for t in 0..rng.next() % 5 {
            if t > 0 {
                s.push(',');
            }
            s.push_str(&format!("\"t{}\"", rng.next() % 50));
        }
        s.push_str("], \"ok\": ");
        s.push_str(["true", "false", "null"][(rng.next() % 3) as usize]);
        s.push_str(", \"value\": ");
        let depth = 1 + (rng.next() % 2) as u32;
        json_value(&mut rng, depth, &mut s);
        s.push('}');
    }
    s.push_str("], \"deep\": ");
    let depth = vm % 40;
    s.push_str(&"[".repeat(depth));
    s.push_str("\"bottom\"");
    s.push_str(&"]".repeat(depth));
    s.push_str("}\n");
    if vm % 16 == 15 {
        let broken = ["{\"a\": [1, 2", "{\"a\" 1}", "[\"\\x\"]", "[01]", "[1.]", "{\"a\": tru}", "[\"\\ud800\"]", "[1] 2", "\"\u{1}\""];
        let b = broken[(vm / 16) % broken.len()];
        s = if vm % 32 == 31 { format!("{s}{b}") } else { b.to_string() };
    }
    s.into_bytes()
}

#[test]
fn json_parse_serialize() {
    let n = vms();
    let stdin: Vec<Vec<u8>> = (0..n).map(json_input).collect();
    check(Case { program: "json", args: &[], stdin: Some(stdin), exits: &[0, 1], stdout_has: "", known: &[] });
}
