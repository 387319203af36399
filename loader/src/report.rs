//! What a run produced: each VM's output and outcome, run statistics (per device too), the stderr
//! summary, and the `--out-dir` files (`<i>.out`, `<i>.err`, `status.json`). Formatting only; no
//! OpenCL.

use crate::program::BuildInfo;
use serde::Serialize;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use vv_bundle::abi::Trap;

/// How a VM ended (or where it was when the run stopped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmStatus {
    Exited(u32),
    Trapped { trap: Trap, function: String },
    /// Still running (or waiting for a hypercall) when `--max-launches` or `--timeout` stopped the run.
    Running { function: String },
    /// The device running the VM failed before the VM finished (multi-device runs only; the other
    /// devices' VMs ran on). What the host had taken of its output before the failure is kept
    /// (not what it wrote on the device since it last stopped).
    DeviceFailed { device: String, error: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmOutcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: VmStatus,
    /// The invoke slots (stack rows `0..invoke_slots`) as raw bits: an invoked export's results.
    pub results: Vec<u64>,
    /// With `Invoke::Sequence`: one entry per step that finished, the instantiation first, then
    /// each call in order (a VM stopped by a launch limit has fewer). Empty otherwise.
    pub calls: Vec<CallOutcome>,
}

/// How one step of an `Invoke::Sequence` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// Returned normally; the results as raw bits, one per result of the export.
    Returned(Vec<u64>),
    Trapped { trap: Trap, function: String },
    /// The program called `proc_exit` (the instance is gone; later calls do not run).
    Exited(u32),
}

/// Where the time of a run went.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseTimes {
    /// Allocation, zero-fill, `vv_init` and the initial uploads.
    pub setup: Duration,
    /// Launches of `vv_run`, waited for.
    pub kernel: Duration,
    /// Reading status rows, hypercall headers and data; writing replies back.
    pub transfer: Duration,
    /// Servicing hypercalls on the host.
    pub service: Duration,
}

/// What one device of a run did with its share of the VMs.
#[derive(Debug, Clone)]
pub struct ShardReport {
    /// The device's index in `--list-devices`.
    pub device_index: usize,
    pub device: String,
    /// The VMs it ran (global indices).
    pub vms: Range<usize>,
    pub launches: u64,
    pub hypercalls: u64,
    /// From the start of the run until this device was done.
    pub wall: Duration,
    pub phases: PhaseTimes,
    pub local_size: usize,
    pub build: BuildInfo,
    /// Why the device stopped before its VMs finished; they are `VmStatus::DeviceFailed`.
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RunReport {
    /// Every VM, in VM order (over all devices).
    pub outcomes: Vec<VmOutcome>,
    /// Launches of all devices together (each device's in `shards`).
    pub launches: u64,
    pub hypercalls: u64,
    pub wall: Duration,
    /// The device's name; for several devices, each as `#index name`, comma-separated.
    pub device: String,
    /// The (first) device's build.
    pub build: BuildInfo,
    /// Summed over devices (device-seconds where devices ran at once).
    pub phases: PhaseTimes,
    /// Work-items per group used for `vv_run` (on the first device).
    pub local_size: usize,
    /// One entry per device, in device order: a single-device run has one.
    pub shards: Vec<ShardReport>,
    /// How the whole program of a split bundle took over from the partitions the run started
    /// on; `None` when the run did not start on partitions while it built.
    pub takeover: Option<Takeover>,
}

impl fmt::Display for Takeover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Takeover::After { launch, build } => {
                write!(f, "the whole program (built in {:.3} s) took over from the partitions after launch {launch}", build.as_secs_f64())
            }
            Takeover::Pending => write!(f, "the whole program was still building when the run ended; it goes into the cache for the next start"),
            Takeover::Failed(why) => write!(f, "warning: the whole program did not take over ({why}); the run stayed on the partitions"),
        }
    }
}

/// The whole program of a split bundle taking over from the partitions during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Takeover {
    /// After this many launches; its build had taken this long.
    After { launch: u64, build: Duration },
    /// Still building when the run ended: it goes into the cache when done.
    Pending,
    /// It could not be used, for this reason; the run stayed on the partitions.
    Failed(String),
}

/// VM counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub exited: usize,
    pub exited_zero: usize,
    pub trapped: usize,
    pub running: usize,
    /// VMs whose device failed under them.
    pub device_failed: usize,
}

/// Traps and still-running VMs the summary lists by name.
const LISTED: usize = 5;

impl RunReport {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for o in &self.outcomes {
            match o.status {
                VmStatus::Exited(code) => {
                    c.exited += 1;
                    c.exited_zero += (code == 0) as usize;
                }
                VmStatus::Trapped { .. } => c.trapped += 1,
                VmStatus::Running { .. } => c.running += 1,
                VmStatus::DeviceFailed { .. } => c.device_failed += 1,
            }
        }
        c
    }

    /// The devices that failed during the run: (shard, error).
    pub fn device_errors(&self) -> impl Iterator<Item = (&ShardReport, &str)> {
        self.shards.iter().filter_map(|s| s.error.as_deref().map(|e| (s, e)))
    }

    /// 0 when every VM exited with code 0; 3 when a device failed during the run; else 1.
    pub fn exit_code(&self) -> i32 {
        let c = self.counts();
        if self.device_errors().next().is_some() || c.device_failed > 0 {
            3
        } else if c.exited_zero == self.outcomes.len() {
            0
        } else {
            1
        }
    }

    /// The short summary `vv-run` prints on stderr.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let n = self.outcomes.len();
        let secs = self.wall.as_secs_f64();
        let mut s = String::new();
        let multi = self.shards.len() > 1;
        if multi {
            let _ = writeln!(s, "vv-run: {} devices", self.shards.len());
        } else {
            let _ = writeln!(s, "vv-run: device: {}", self.device);
        }
        let _ = write!(
            s,
            "vv-run: {n} VMs: {} exited ({} with code 0), {} trapped, {} still running",
            c.exited, c.exited_zero, c.trapped, c.running
        );
        if c.device_failed > 0 {
            let _ = write!(s, ", {} not finished because their device failed", c.device_failed);
        }
        s.push('\n');
        let done = (c.exited + c.trapped) as f64;
        let p = &self.phases;
        let _ = writeln!(
            s,
            "vv-run: {} launches, {} hypercalls serviced, wall {secs:.3} s, {:.0} VMs/s ({}setup {:.3} s, kernel {:.3} s, transfer {:.3} s, host calls {:.3} s)",
            self.launches,
            self.hypercalls,
            if secs > 0.0 { done / secs } else { 0.0 },
            if multi { "summed over devices: " } else { "" },
            p.setup.as_secs_f64(),
            p.kernel.as_secs_f64(),
            p.transfer.as_secs_f64(),
            p.service.as_secs_f64(),
        );
        if multi {
            for sh in &self.shards {
                let share = if n > 0 { 100.0 * sh.vms.len() as f64 / n as f64 } else { 0.0 };
                let _ = write!(
                    s,
                    "vv-run:   device #{} {}: VMs {}..{} ({}, {share:.1}%), {} launches, {} hypercalls, ",
                    sh.device_index,
                    sh.device,
                    sh.vms.start,
                    sh.vms.end,
                    sh.vms.len(),
                    sh.launches,
                    sh.hypercalls,
                );
                let q = &sh.phases;
                let _ = match &sh.error {
                    None => writeln!(
                        s,
                        "done at {:.3} s (setup {:.3} s, kernel {:.3} s, transfer {:.3} s, host calls {:.3} s)",
                        sh.wall.as_secs_f64(),
                        q.setup.as_secs_f64(),
                        q.kernel.as_secs_f64(),
                        q.transfer.as_secs_f64(),
                        q.service.as_secs_f64()
                    ),
                    Some(e) => writeln!(s, "FAILED at {:.3} s: {e}", sh.wall.as_secs_f64()),
                };
            }
        }
        if let Some(t) = &self.takeover {
            let _ = writeln!(s, "vv-run: {t}");
        }
        for (sh, e) in self.device_errors() {
            let _ = writeln!(
                s,
                "vv-run: error: device #{} ({}) failed: {e}; its VMs {}..{} did not finish (status.json: \"device_error\")",
                sh.device_index, sh.device, sh.vms.start, sh.vms.end
            );
        }
        let mut listed = 0;
        for (vm, o) in self.outcomes.iter().enumerate() {
            let line = match &o.status {
                VmStatus::Trapped { trap, function } => format!("VM {vm} trapped: {trap} in {function}"),
                VmStatus::Running { function } => format!("VM {vm} still running in {function}"),
                VmStatus::Exited(_) | VmStatus::DeviceFailed { .. } => continue,
            };
            if listed == LISTED {
                let _ = writeln!(s, "vv-run: ... (see status.json with --out-dir for all)");
                break;
            }
            let _ = writeln!(s, "vv-run: {line}");
            listed += 1;
        }
        s
    }

    /// `status.json`: an array with one entry per VM, in order, one line each.
    pub fn status_json(&self) -> String {
        let lines: Vec<String> = self.outcomes.iter().enumerate().map(|(vm, o)| status_entry(vm, &o.status)).collect();
        format!("[\n  {}\n]\n", lines.join(",\n  "))
    }

    /// Writes `DIR/<i>.out`, `DIR/<i>.err` and `DIR/status.json`, creating `DIR` if needed.
    pub fn write_out_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (vm, o) in self.outcomes.iter().enumerate() {
            std::fs::write(dir.join(format!("{vm}.out")), &o.stdout)?;
            std::fs::write(dir.join(format!("{vm}.err")), &o.stderr)?;
        }
        std::fs::write(dir.join("status.json"), self.status_json())
    }
}

/// One VM's `status.json` entry, keys in a fixed order (`vm` first).
#[derive(Serialize)]
struct Entry<'a> {
    vm: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trap: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    running: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<&'a str>,
}

/// One VM's `status.json` entry as compact JSON.
pub fn status_entry(vm: usize, status: &VmStatus) -> String {
    let none = Entry { vm, exit: None, trap: None, running: None, function: None, device_error: None, device: None };
    let entry = match status {
        VmStatus::Exited(code) => Entry { exit: Some(*code), ..none },
        VmStatus::Trapped { trap, function } => Entry { trap: Some(trap.name()), function: Some(function), ..none },
        VmStatus::Running { function } => Entry { running: Some(true), function: Some(function), ..none },
        VmStatus::DeviceFailed { device, error } => Entry { device_error: Some(error), device: Some(device), ..none },
    };
    serde_json::to_string(&entry).expect("JSON of plain values")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::BinarySource;
    use serde_json::{json, Value};

    fn build() -> BuildInfo {
        BuildInfo { source: BinarySource::Built, time: Duration::ZERO, partitions: 1, options: String::new(), cache_file: None, note: None }
    }

    fn shard(device_index: usize, vms: Range<usize>, error: Option<&str>) -> ShardReport {
        ShardReport {
            device_index,
            device: "fake".into(),
            vms,
            launches: 3,
            hypercalls: 7,
            wall: Duration::from_millis(500),
            phases: PhaseTimes::default(),
            local_size: 1,
            build: build(),
            error: error.map(String::from),
        }
    }

    pub(crate) fn report(statuses: Vec<VmStatus>) -> RunReport {
        let n = statuses.len();
        RunReport {
            outcomes: statuses
                .into_iter()
                .enumerate()
                .map(|(i, status)| VmOutcome { stdout: format!("out {i}").into(), stderr: vec![], status, results: vec![], calls: vec![] })
                .collect(),
            launches: 3,
            hypercalls: 7,
            wall: Duration::from_millis(500),
            device: "fake".into(),
            build: build(),
            phases: PhaseTimes::default(),
            local_size: 1,
            shards: vec![shard(0, 0..n, None)],
            takeover: None,
        }
    }

    #[test]
    fn several_devices_and_a_failed_one() {
        let lost = VmStatus::DeviceFailed { device: "#1 fake".into(), error: "OpenCL error while running vv_run: CL_OUT_OF_RESOURCES".into() };
        let mut r = report(vec![VmStatus::Exited(0), VmStatus::Exited(0), lost.clone(), lost]);
        r.shards = vec![shard(0, 0..2, None), shard(1, 2..4, Some("OpenCL error while running vv_run: CL_OUT_OF_RESOURCES"))];
        assert_eq!(r.counts().device_failed, 2);
        assert_eq!(r.exit_code(), 3);
        let s = r.summary();
        assert!(s.contains("vv-run: 2 devices"), "{s}");
        assert!(s.contains("4 VMs: 2 exited (2 with code 0), 0 trapped, 0 still running, 2 not finished because their device failed"), "{s}");
        assert!(s.contains("device #0 fake: VMs 0..2 (2, 50.0%), 3 launches, 7 hypercalls, done at 0.500 s"), "{s}");
        assert!(s.contains("device #1 fake: VMs 2..4 (2, 50.0%), 3 launches, 7 hypercalls, FAILED at 0.500 s: OpenCL error"), "{s}");
        assert!(s.contains("error: device #1 (fake) failed: OpenCL error while running vv_run: CL_OUT_OF_RESOURCES; its VMs 2..4 did not finish"), "{s}");
        let v: Value = serde_json::from_str(&r.status_json()).unwrap();
        assert_eq!(v[1], json!({"vm": 1, "exit": 0}));
        assert_eq!(v[3], json!({"vm": 3, "device_error": "OpenCL error while running vv_run: CL_OUT_OF_RESOURCES", "device": "#1 fake"}));
        r.shards[1].error = None;
        r.outcomes.truncate(2);
        assert_eq!(r.exit_code(), 0);
    }

    fn mixed() -> RunReport {
        report(vec![
            VmStatus::Exited(0),
            VmStatus::Exited(3),
            VmStatus::Trapped { trap: Trap::IntegerDivideByZero, function: "div".into() },
            VmStatus::Running { function: "spin".into() },
        ])
    }

    #[test]
    fn status_json_entries() {
        let v: Value = serde_json::from_str(&mixed().status_json()).unwrap();
        assert_eq!(
            v,
            json!([
                {"vm": 0, "exit": 0},
                {"vm": 1, "exit": 3},
                {"vm": 2, "trap": "integer_divide_by_zero", "function": "div"},
                {"vm": 3, "running": true, "function": "spin"},
            ])
        );
    }

    #[test]
    fn status_json_reads_vm_first_one_per_line() {
        let text = mixed().status_json();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[1], r#"  {"vm":0,"exit":0},"#);
        assert_eq!(lines[3], r#"  {"vm":2,"trap":"integer_divide_by_zero","function":"div"},"#);
        assert_eq!(lines[4], r#"  {"vm":3,"running":true,"function":"spin"}"#);
    }

    #[test]
    fn counts_and_exit_code() {
        let r = mixed();
        assert_eq!(r.counts(), Counts { exited: 2, exited_zero: 1, trapped: 1, running: 1, device_failed: 0 });
        assert_eq!(r.exit_code(), 1);
        assert_eq!(report(vec![VmStatus::Exited(0); 3]).exit_code(), 0);
        assert_eq!(report(vec![VmStatus::Exited(0), VmStatus::Exited(1)]).exit_code(), 1);
    }

    #[test]
    fn summary_names_traps() {
        let s = mixed().summary();
        assert!(s.contains("4 VMs: 2 exited (1 with code 0), 1 trapped, 1 still running"), "{s}");
        assert!(s.contains("VM 2 trapped: integer_divide_by_zero in div"), "{s}");
        assert!(s.contains("VM 3 still running in spin"), "{s}");
        assert!(s.contains("3 launches, 7 hypercalls serviced"), "{s}");
        assert!(s.contains("6 VMs/s"), "3 finished in 0.5 s: {s}");
    }

    #[test]
    fn summary_lists_only_a_few() {
        let r = report(vec![VmStatus::Trapped { trap: Trap::Unreachable, function: "f".into() }; 20]);
        assert_eq!(r.summary().matches("trapped: unreachable").count(), LISTED);
    }

    #[test]
    fn out_dir_files() {
        let dir = std::env::temp_dir().join(format!("vv-report-test-{}", std::process::id()));
        let r = mixed();
        r.write_out_dir(&dir).unwrap();
        assert_eq!(std::fs::read(dir.join("1.out")).unwrap(), b"out 1");
        assert_eq!(std::fs::read(dir.join("3.err")).unwrap(), b"");
        assert_eq!(std::fs::read_to_string(dir.join("status.json")).unwrap(), r.status_json());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
