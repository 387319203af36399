//! `vvc`: the ahead-of-time compiler's command line. All work is in the library.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;
use vv_bundle::abi::HostCall;
use vv_bundle::{BuildOptions, WarpGather};
use vv_compiler::size::parse_size;

#[derive(Parser)]
#[command(name = "vvc", version, about = "Compiles WebAssembly programs into bundles that run thousands of VMs on OpenCL devices")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a .wasm or .wat program into a .vvk bundle for vv-run.
    #[command(after_help = after_help())]
    Build(BuildArgs),
}

#[derive(clap::Args)]
struct BuildArgs {
    /// The program: a WebAssembly binary (.wasm) or text (.wat).
    program: PathBuf,
    /// Where to write the bundle (default: the program's path with a .vvk extension).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Most linear memory one VM may grow to (4MiB, 512KiB, 1GiB or bytes; a multiple of 64 KiB).
    #[arg(long, default_value = "4MiB", value_parser = parse_size)]
    heap_size: u64,
    /// Call-stack bytes per VM (each frame takes 8 bytes per local and operand slot).
    #[arg(long, default_value = "128KiB", value_parser = parse_size)]
    stack_size: u64,
    /// Memory interleave granularity in bytes (a power of two, 1 to 65536): byte a of VM v lives at ((a/W)*nvms+v)*W + a%W.
    /// 1 ran 7 of the 11 corpus programs fastest on an H100; a wider W makes an aligned word one
    /// load (pbkdf2 with 64 and lz77 with 65536 twice as fast; testsuite/bench/RESULTS.md).
    #[arg(long, default_value_t = 1)]
    interleave: u32,
    /// Loop iterations and calls a VM runs per kernel launch before it yields to the host.
    #[arg(long, default_value_t = 1 << 20)]
    fuel: u64,
    /// Generated code larger than this also gets split into OpenCL programs ("partitions") of at
    /// most about this many lines. Device compilers take time that grows with program size
    /// (NVIDIA's 1.2-2.5 ms a line), so on a GPU vv-run starts the VMs on the partitions, built in
    /// parallel, while the whole program builds, and moves them to it once it is built (a call
    /// between partitions costs a kernel launch; the whole program has none). The next start
    /// loads the cached whole program. 0: the whole program only.
    #[arg(long, default_value_t = vv_bundle::DEFAULT_PARTITION_LINES, value_name = "LINES")]
    partition_lines: u32,
    /// Call functions that never leave the kernel (no WASI call, no call_indirect, and calling
    /// only such functions: memcpy, strcmp, free, ...) as plain OpenCL functions instead of through
    /// the dispatcher: no frame on the VM stack, the caller's locals stay in registers. Their
    /// loops cannot yield, so a VM whose loop there runs 2^30 iterations traps (runaway loop)
    /// instead of holding up the launch forever.
    #[arg(long)]
    direct_calls: bool,
    /// Inline every function into the dispatcher: one large kernel that the device compiler
    /// optimizes across calls. Worth trying for programs that make many small calls (on an H100:
    /// json and wordfreq kernels 21-23% faster, scrypt and imgproc slower); builds longer, so a
    /// program split into partitions inlines only its whole program, which builds in the background.
    #[arg(long)]
    inline_functions: bool,
    /// Cap the registers a VM's work-item may use on NVIDIA GPUs (vv-run passes
    /// -cl-nv-maxrregcount=N there; other devices ignore it). Fewer registers let more VMs run at
    /// once: on an H100 at 65536 VMs, 128 made seven of the corpus programs 6-33% faster and json
    /// 34% slower. 0: no cap.
    #[arg(long, default_value_t = 0, value_name = "N")]
    max_registers: u32,
    /// Make every write to stdout a hypercall the host serves, ending the VM's launch, instead of
    /// writing it on the device for the host to take when the VM stops. The launch a write ends
    /// brings a warp's VMs back in step: on an H100, imgproc (which prints as it goes) ran twice
    /// as fast so with --warp-gather majority, but 2.3x slower than on the device with deepest.
    #[arg(long)]
    stdout_on_host: bool,
    /// Which of a warp's VMs the dispatcher runs each round on NVIDIA GPUs of compute capability 8
    /// on (other devices ignore it). VMs of one warp run different functions one group after the
    /// other; running one function a round, while the warp's other VMs wait, lets them meet again.
    /// majority: the function most of the warp's VMs are in; lowest: the function of lowest index
    /// any of them is in; deepest: the function of the VM deepest in its call stack; off: every VM
    /// each round. On an H100 at 16384 VMs: majority made ten of the eleven corpus programs'
    /// kernels 2-59% shorter than off; lowest suits sortbench, regex, nbody and mandelbrot (up to
    /// 43% shorter than majority), deepest json, scrypt and imgproc (38%, 44% and 78% shorter than
    /// the better of majority and lowest; up to 3.1x longer on the other eight).
    /// testsuite/bench/warp_model.sh predicts which suits a program.
    #[arg(long, value_enum, default_value_t = Gather::Majority)]
    warp_gather: Gather,
    /// Also write the generated OpenCL C to this file, for reading (a program split into
    /// partitions also writes each to FILE's name with .p0, .p1, ... before the extension).
    #[arg(long, value_name = "FILE")]
    emit_cl: Option<PathBuf>,
    /// Ignore the bundle cache and compile again.
    #[arg(long)]
    no_cache: bool,
}

/// `--warp-gather`'s values (`WarpGather` in the bundle, which does not depend on clap).
#[derive(Clone, Copy, clap::ValueEnum)]
enum Gather {
    Majority,
    Lowest,
    Deepest,
    Off,
}

fn after_help() -> String {
    let of = |module: &str| -> String {
        let names: Vec<&str> = HostCall::ALL.iter().filter(|c| c.module() == module).map(|c| c.name()).collect();
        names.join(", ")
    };
    format!(
        "Examples:\n  vvc build hello.wasm -o hello.vvk\n  vvc build prog.wat --heap-size 16MiB --emit-cl prog.cl\n  \
         vv-run hello.vvk --vms 4096 -- {{vm}}\n\n\
         Bundles are cached by the sha256 of the input, options and compiler ($VV_CACHE_DIR, else ~/.cache/vv):\n\
         building unchanged input again is a cache hit.\n\n\
         Imports a program may use (module wasi_snapshot_preview1):\n  {}\n\
         and, for a program that serves requests in a loop under `vv-run serve` (module env):\n  {}\n\n\
         Also provided, for the official spec tests: module spectest (print functions that do\n\
         nothing, global_i32/i64/f32/f64, table, memory).\n\n\
         Accepted: WebAssembly 2.0 (bulk memory, reference types, multi-value, sign extension,\n\
         saturating conversions); SIMD, threads, tail calls and multiple memories are not.\n",
        of(HostCall::WASI_MODULE),
        of(HostCall::SERVERLESS_MODULE)
    )
}

fn main() {
    if let Err(e) = run() {
        eprintln!("vvc: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let Command::Build(args) = Cli::parse().command;
    // Deeply nested input must not overflow the host stack: compile on a thread with room.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || build(args))
        .context("cannot start the compiler thread")?
        .join()
        .map_err(|_| anyhow::anyhow!("internal compiler error (panic)"))?
}

fn build(args: BuildArgs) -> Result<()> {
    let opts = BuildOptions {
        heap_size: args.heap_size,
        stack_size: args.stack_size,
        interleave: args.interleave,
        fuel: args.fuel,
        partition_lines: args.partition_lines,
        direct_calls: args.direct_calls,
        inline_functions: args.inline_functions,
        max_registers: args.max_registers,
        stdout_on_host: args.stdout_on_host,
        warp_gather: match args.warp_gather {
            Gather::Majority => WarpGather::Majority,
            Gather::Lowest => WarpGather::Lowest,
            Gather::Deepest => WarpGather::Deepest,
            Gather::Off => WarpGather::Off,
        },
    };
    if let Err(e) = vv_compiler::validate_options(&opts) {
        bail!(e);
    }
    let input = std::fs::read(&args.program).with_context(|| format!("cannot read {}", args.program.display()))?;
    let name = args.program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let output = args.output.clone().unwrap_or_else(|| args.program.with_extension("vvk"));
    let hash = vv_compiler::content_hash(&name, &input, &opts);
    let cache_dir = if args.no_cache { None } else { vv_compiler::cache::default_dir() };
    let started = Instant::now();

    let cached = cache_dir.as_deref().and_then(|d| vv_compiler::cache::lookup(d, &hash));
    let (bundle, bytes) = match cached {
        Some(bundle) => {
            let bytes = vv_bundle::write_bundle(&bundle)?;
            eprintln!("vvc: {name}: cache hit ({}), not recompiled", short(&hash));
            (bundle, bytes)
        }
        None => {
            let bundle = vv_compiler::compile(&name, &input, &opts)?;
            let bytes = vv_bundle::write_bundle(&bundle)?;
            if let Some(dir) = &cache_dir {
                if let Err(e) = vv_compiler::cache::store(dir, &hash, &bytes) {
                    eprintln!("vvc: warning: cannot write the bundle cache in {}: {e}", dir.display());
                }
            }
            let parts = match bundle.partitions.len() {
                1 => String::new(),
                n => format!(", and as {n} partitions of at most {} lines", bundle.largest_partition_lines()),
            };
            eprintln!(
                "vvc: {name}: compiled {} functions, {} lines of OpenCL C{parts} in {:.2?} ({})",
                bundle.function_names.len(),
                bundle.whole_lines(),
                started.elapsed(),
                short(&hash)
            );
            (bundle, bytes)
        }
    };
    std::fs::write(&output, &bytes).with_context(|| format!("cannot write {}", output.display()))?;
    if let Some(cl) = &args.emit_cl {
        let whole = bundle.whole.as_ref().unwrap_or(&bundle.partitions[0]);
        std::fs::write(cl, whole).with_context(|| format!("cannot write {}", cl.display()))?;
        if bundle.whole.is_some() {
            for (i, source) in bundle.partitions.iter().enumerate() {
                let path = partition_path(cl, i);
                std::fs::write(&path, source).with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    eprintln!("vvc: wrote {} ({} bytes)", output.display(), bytes.len());
    Ok(())
}

/// `prog.cl` -> `prog.p2.cl`.
fn partition_path(path: &std::path::Path, i: usize) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.p{i}.{}", ext.to_string_lossy()),
        None => format!("{stem}.p{i}"),
    };
    path.with_file_name(name)
}

fn short(hash: &[u8; 32]) -> String {
    hash[..6].iter().map(|b| format!("{b:02x}")).collect()
}
