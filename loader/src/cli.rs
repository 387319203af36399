//! Command-line options of `vv-run` (the binary only): clap definitions, the help text with worked
//! examples, and turning options into a `RunConfig`. No OpenCL here.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::collections::hash_map::{Entry, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use vv_loader::{CachePolicy, DeviceChoice, DeviceSet, LoadOptions, RunConfig, Split, Stdin};

const EXAMPLES: &str = "\
Examples:
  Run 4096 copies of a program; each gets its own index as its first argument:
    vv-run prog.vvk --vms 4096 -- {vm}

  Feed every VM the same input, and pass the program its own flags after `--`:
    vv-run wc.vvk --vms 1000 --stdin book.txt -- -l

  Give VM i the file inputs/i as stdin (a missing file is empty input) and keep every output:
    vv-run prog.vvk --vms 100 --stdin-dir inputs --out-dir results
    # results/0.out, results/0.err, ..., results/status.json

  See the OpenCL devices, then choose one by index or by part of its name:
    vv-run --list-devices
    vv-run prog.vvk --vms 16384 --device h100

  Spread one run over every GPU of the host (or two chosen devices); VM i still gets {vm} = i:
    vv-run prog.vvk --vms 100000 --devices all --out-dir results -- {vm}
    vv-run prog.vvk --vms 100000 --devices 0,2

  Run a million VMs, 65536 at a time (a VM that stops hands its place to the next):
    vv-run prog.vvk --vms 1000000 --resident 65536 --out-dir results -- {vm}

  Bound a run that may not finish (VMs still running are reported with their function):
    vv-run prog.vvk --vms 64 --timeout 30 --max-launches 100000

Several devices (--devices): each device gets a consecutive share of the VMs in proportion to its
compute units x clock (identical GPUs: equal shares), at most what its memory holds; the split
depends only on the devices and N. Each device builds the program once (devices of one model share
one build) and runs its share on its own host thread, serving its VMs' calls as its launches
complete, without waiting for the other devices. Outputs, status.json and the summary list the VMs
in order as one device would; the summary also gives each device's share, launches and time.
--max-launches counts each device's launches; --timeout the whole run's time.
If a device cannot build the program, nothing runs: the error names each device that failed.
If a device fails during the run, the others run on; its VMs are reported as not finished, with
the device and the error (status.json: {\"vm\": i, \"device_error\": \"...\", \"device\": \"#k name\"};
*.out/*.err hold what the host had taken of their output before the failure), and vv-run exits
with status 3.

Output: without --out-dir, VM 0's stdout and stderr pass through to vv-run's own; a summary of all
VMs (exits, traps, launches, hypercalls, VMs per second) always goes to stderr.
Exit status: 0 if every VM exited with code 0, 1 if any did not, 2 for usage or setup errors,
3 if a device failed during the run (the VMs it held did not finish).
Environment:
  VV_CACHE_DIR         where device binaries are cached (else $XDG_CACHE_HOME/vv, else ~/.cache/vv);
  VV_TRACE=1           print each setup step, launch and hypercall round on stderr
  VV_IGNORE_MAX_ALLOC=1  let one buffer exceed the device's CL_DEVICE_MAX_MEM_ALLOC_SIZE
                       (always so on NVIDIA, whose driver allows it)
  VV_HOST_STDIN=1      serve every read of stdin as a hypercall instead of on the device (to compare)
  VV_HOST_STDOUT=1     serve every write to stdout as a hypercall, as with vvc build --stdout-on-host";

/// Run a compiled WebAssembly program (a .vvk bundle from `vvc build`) as many independent VMs
/// on an OpenCL device, one VM per work-item; their WASI calls are served by the host.
#[derive(Debug, Parser)]
#[command(name = "vv-run", version, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct Opts {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The bundle to run, as written by `vvc build`.
    #[arg(value_name = "PROG.vvk", required_unless_present_any = ["list_devices"])]
    pub prog: Option<PathBuf>,

    /// How many VMs (independent copies of the program) to run.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 1)]
    pub vms: usize,

    /// Device: an index from --list-devices or part of a device name (case-insensitive).
    /// Default: the first GPU of any platform, else the first CPU device.
    #[arg(long, short = 'd', value_name = "X", conflicts_with = "devices")]
    pub device: Option<DeviceChoice>,

    /// Spread the VMs over several devices: `all` (every GPU; with no GPU, every CPU device) or a
    /// comma-separated list of indices and name parts (a name picks every device it matches),
    /// e.g. `0,2` or `h100`. See "Several devices" below.
    #[arg(long, value_name = "all|X,Y,...")]
    pub devices: Option<DeviceSet>,

    /// List the OpenCL devices and exit.
    #[arg(long)]
    pub list_devices: bool,

    /// File every VM reads as stdin (`-` for vv-run's own stdin).
    #[arg(long, value_name = "FILE", conflicts_with = "stdin_dir")]
    pub stdin: Option<PathBuf>,

    /// Directory whose file DIR/<i> is VM i's stdin; a missing file means empty input.
    #[arg(long, value_name = "DIR")]
    pub stdin_dir: Option<PathBuf>,

    /// Environment variable for every VM (repeatable). VMs see no other environment.
    #[arg(long = "env", short = 'e', value_name = "K=V", value_parser = parse_env)]
    pub env: Vec<(String, String)>,

    /// Write DIR/<i>.out, DIR/<i>.err and DIR/status.json for every VM.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Keep at most N VMs on the device at once (on each device, with --devices): when a VM
    /// stops, the next VM not yet started takes its place. Runs more VMs than the device's memory
    /// holds (VMs/s stays that of the VMs that fit: a launch still waits for its slowest VM).
    /// WASI commands only.
    #[arg(long, value_name = "N")]
    pub resident: Option<usize>,

    /// Stop after N kernel launches (of each device, with --devices).
    #[arg(long, value_name = "N")]
    pub max_launches: Option<u64>,

    /// Stop after SECS seconds (checked between launches).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    #[command(flatten)]
    pub device_flags: DeviceFlags,

    /// Arguments for the program (argv[1..]); `{vm}` becomes the VM's index.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Keep N VMs resident on the device and answer HTTP requests with them (see `vv-run serve --help`).
    Serve(crate::serve_cli::ServeOpts),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CacheArg {
    On,
    Off,
}

pub fn parse_env(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected K=V, got {s:?}")),
    }
}

/// Build and cache options of either command.
/// How the device runs and builds: the flags `vv-run` and `vv-run serve` share.
#[derive(Debug, clap::Args)]
pub struct DeviceFlags {
    /// Work-items per work-group. Default: 1 on CPU devices, 64 on GPUs.
    #[arg(long, value_name = "N")]
    pub local_size: Option<usize>,

    /// Whether to keep built device binaries in the cache directory and reuse them.
    #[arg(long, value_enum, default_value_t = CacheArg::On, value_name = "WHEN")]
    pub binary_cache: CacheArg,

    /// Extra OpenCL build options, e.g. "-cl-opt-disable" for big programs on PoCL. On NVIDIA GPUs
    /// also: -DVV_NO_WARP_SYNC (do not bring a warp's lanes together at each dispatcher round),
    /// -DVV_GATHER_MAJORITY, -DVV_GATHER_LOWEST, -DVV_GATHER_DEEPEST or -DVV_GATHER_OFF (in place of
    /// the bundle's `vvc build --warp-gather`), -DVV_COUNT_LANES (print how many lanes of each warp do work). On any device:
    /// -DVV_COUNT_DISPATCH (print each VM's dispatcher entries and fuel per launch),
    /// -DVV_TRACE_ROUNDS (print every dispatcher round of every VM, for
    /// testsuite/bench/warp_model.py), -DVV_COUNT_MEMORY (print each VM's accesses to its linear
    /// memory and their bytes per launch, for testsuite/bench/memory_traffic.sh).
    #[arg(long, value_name = "OPTS", allow_hyphen_values = true)]
    pub cl_options: Option<String>,

    /// Seed of the VMs' random_get streams (default: from the OS).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// For a bundle that vvc split into partitions besides the whole program (programs over
    /// `vvc build --partition-lines`): `auto` runs the whole program when its device binary is
    /// cached, the device is a CPU or the binary cache is off; otherwise the VMs start on the
    /// partitions, built in
    /// parallel, while the whole program builds in another process, and move onto it once it is
    /// built (a call between partitions costs a launch; the whole program has none). `whole` and
    /// `partitions` use only those.
    #[arg(long, value_enum, default_value_t = SplitArg::Auto, value_name = "WHICH")]
    pub split: SplitArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SplitArg {
    Auto,
    Whole,
    Partitions,
}

impl DeviceFlags {
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            cache: match self.binary_cache {
                CacheArg::On => CachePolicy::Always,
                CacheArg::Off => CachePolicy::Never,
            },
            cache_dir: None,
            extra_build_options: self.cl_options.clone().unwrap_or_default(),
            build_helper: std::env::current_exe().ok(),
            split: match self.split {
                SplitArg::Auto => Split::Auto,
                SplitArg::Whole => Split::Whole,
                SplitArg::Partitions => Split::Partitions,
            },
        }
    }
}

impl Opts {
    pub fn load_options(&self) -> LoadOptions {
        self.device_flags.load_options()
    }

    pub fn run_config(&self) -> Result<RunConfig> {
        if self.vms == 0 {
            bail!("--vms must be at least 1");
        }
        if self.resident == Some(0) {
            bail!("--resident must be at least 1");
        }
        let timeout = match self.timeout {
            Some(s) if !(s.is_finite() && s > 0.0) => bail!("--timeout must be a positive number of seconds"),
            Some(s) => Some(Duration::from_secs_f64(s)),
            None => None,
        };
        Ok(RunConfig {
            vms: self.vms,
            args: self.args.clone(),
            stdin: self.stdin_input()?,
            env: self.env.clone(),
            max_launches: self.max_launches,
            timeout,
            local_size: self.device_flags.local_size,
            seed: self.device_flags.seed,
            resident: self.resident,
            ..RunConfig::default()
        })
    }

    fn stdin_input(&self) -> Result<Stdin> {
        if let Some(file) = &self.stdin {
            let bytes = if file == Path::new("-") {
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut v).context("reading stdin")?;
                v
            } else {
                std::fs::read(file).with_context(|| format!("reading --stdin {}", file.display()))?
            };
            return Ok(Stdin::Same(bytes.into()));
        }
        if let Some(dir) = &self.stdin_dir {
            if !dir.is_dir() {
                bail!("--stdin-dir {} is not a directory", dir.display());
            }
            let inputs = read_stdin_dir(dir, self.vms)?;
            return Ok(Stdin::PerVm(inputs));
        }
        Ok(Stdin::None)
    }
}

/// File DIR/<i> for each VM i (a missing file is empty input). A file that several names lead to
/// (links to one input, the way a benchmark gives 65536 VMs 512 inputs) is read once and shared.
fn read_stdin_dir(dir: &Path, vms: usize) -> Result<Vec<Arc<[u8]>>> {
    let empty: Arc<[u8]> = Arc::from(&b""[..]);
    let mut seen: HashMap<(u64, u64), Arc<[u8]>> = HashMap::new();
    (0..vms)
        .map(|vm| {
            let path = dir.join(vm.to_string());
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(empty.clone()),
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            };
            let read = || std::fs::read(&path).map(Arc::from).with_context(|| format!("reading {}", path.display()));
            match seen.entry((meta.dev(), meta.ino())) {
                Entry::Occupied(e) => Ok(e.get().clone()),
                Entry::Vacant(e) => Ok(e.insert(read()?).clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Opts::command().debug_assert();
    }

    #[test]
    fn parses_a_typical_run() {
        let o = Opts::try_parse_from(["vv-run", "p.vvk", "--vms", "8", "--env", "A=b=c", "-d", "1", "--", "{vm}", "-x"]).unwrap();
        assert_eq!(o.vms, 8);
        assert_eq!(o.env, vec![("A".to_string(), "b=c".to_string())]);
        assert_eq!(o.device, Some(DeviceChoice::Index(1)));
        assert_eq!(o.args, vec!["{vm}", "-x"]);
        assert!(Opts::try_parse_from(["vv-run", "--list-devices"]).is_ok());
        let slots = Opts::try_parse_from(["vv-run", "p.vvk", "--vms", "8", "--resident", "3"]).unwrap();
        assert_eq!(slots.run_config().unwrap().resident, Some(3));
        let none = Opts::try_parse_from(["vv-run", "p.vvk", "--resident", "0"]).unwrap();
        assert!(none.run_config().unwrap_err().to_string().contains("--resident must be at least 1"));
        assert!(Opts::try_parse_from(["vv-run"]).is_err());
        assert!(Opts::try_parse_from(["vv-run", "p.vvk", "--env", "novalue"]).is_err());
        assert!(Opts::try_parse_from(["vv-run", "p.vvk", "--stdin", "a", "--stdin-dir", "b"]).is_err());
    }

    #[test]
    fn parses_device_sets() {
        let o = Opts::try_parse_from(["vv-run", "p.vvk", "--devices", "all"]).unwrap();
        assert_eq!(o.devices, Some(DeviceSet::All));
        let o = Opts::try_parse_from(["vv-run", "p.vvk", "--devices", "0,h100"]).unwrap();
        assert_eq!(o.devices, Some(DeviceSet::List(vec![DeviceChoice::Index(0), DeviceChoice::Name("h100".into())])));
        assert!(Opts::try_parse_from(["vv-run", "p.vvk", "--devices", "0,"]).is_err());
        assert!(Opts::try_parse_from(["vv-run", "p.vvk", "--devices", "all", "--device", "0"]).is_err(), "one or the other");
    }

    #[test]
    fn stdin_dir_reads_each_file_once() {
        let dir = std::env::temp_dir().join(format!("vv-cli-stdin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("1"), b"one").unwrap();
        std::fs::write(dir.join("2"), b"two").unwrap();
        std::os::unix::fs::symlink("1", dir.join("3")).unwrap();
        let o = Opts::try_parse_from(["vv-run", "p.vvk", "--vms", "5", "--stdin-dir", dir.to_str().unwrap()]).unwrap();
        let Stdin::PerVm(inputs) = o.run_config().unwrap().stdin else { panic!("one input per VM") };
        let text: Vec<&[u8]> = inputs.iter().map(|b| &b[..]).collect();
        assert_eq!(text, [&b""[..], b"one", b"two", b"one", b""]);
        assert!(Arc::ptr_eq(&inputs[1], &inputs[3]), "a link to a file read before shares its bytes");
        assert!(!Arc::ptr_eq(&inputs[1], &inputs[2]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
