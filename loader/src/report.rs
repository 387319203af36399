//! What a run produced: each VM's output and outcome, run statistics, the stderr summary, and the
//! `--out-dir` files (`<i>.out`, `<i>.err`, `status.json`). Formatting only; no OpenCL.

use crate::program::BuildInfo;
use serde::Serialize;
use std::fmt::Write as _;
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmOutcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: VmStatus,
    /// The invoke slots (stack rows `0..invoke_slots`) as raw bits: an invoked export's results.
    pub results: Vec<u64>,
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

#[derive(Debug, Clone)]
pub struct RunReport {
    pub outcomes: Vec<VmOutcome>,
    pub launches: u64,
    pub hypercalls: u64,
    pub wall: Duration,
    pub device: String,
    pub build: BuildInfo,
    pub phases: PhaseTimes,
    /// Work-items per group used for `vv_run`.
    pub local_size: usize,
}

/// VM counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub exited: usize,
    pub exited_zero: usize,
    pub trapped: usize,
    pub running: usize,
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
            }
        }
        c
    }

    /// 0 when every VM exited with code 0, else 1.
    pub fn exit_code(&self) -> i32 {
        let c = self.counts();
        if c.exited_zero == self.outcomes.len() {
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
        let _ = writeln!(s, "vv-run: device: {}", self.device);
        let _ = writeln!(
            s,
            "vv-run: {n} VMs: {} exited ({} with code 0), {} trapped, {} still running",
            c.exited, c.exited_zero, c.trapped, c.running
        );
        let done = (c.exited + c.trapped) as f64;
        let p = &self.phases;
        let _ = writeln!(
            s,
            "vv-run: {} launches, {} hypercalls serviced, wall {secs:.3} s, {:.0} VMs/s (setup {:.3} s, kernel {:.3} s, transfer {:.3} s, host calls {:.3} s)",
            self.launches,
            self.hypercalls,
            if secs > 0.0 { done / secs } else { 0.0 },
            p.setup.as_secs_f64(),
            p.kernel.as_secs_f64(),
            p.transfer.as_secs_f64(),
            p.service.as_secs_f64(),
        );
        let mut listed = 0;
        for (vm, o) in self.outcomes.iter().enumerate() {
            let line = match &o.status {
                VmStatus::Trapped { trap, function } => format!("VM {vm} trapped: {trap} in {function}"),
                VmStatus::Running { function } => format!("VM {vm} still running in {function}"),
                VmStatus::Exited(_) => continue,
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
}

/// One VM's `status.json` entry as compact JSON.
pub fn status_entry(vm: usize, status: &VmStatus) -> String {
    let none = Entry { vm, exit: None, trap: None, running: None, function: None };
    let entry = match status {
        VmStatus::Exited(code) => Entry { exit: Some(*code), ..none },
        VmStatus::Trapped { trap, function } => Entry { trap: Some(trap.name()), function: Some(function), ..none },
        VmStatus::Running { function } => Entry { running: Some(true), function: Some(function), ..none },
    };
    serde_json::to_string(&entry).expect("JSON of plain values")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::BinarySource;
    use serde_json::{json, Value};

    pub(crate) fn report(statuses: Vec<VmStatus>) -> RunReport {
        RunReport {
            outcomes: statuses
                .into_iter()
                .enumerate()
                .map(|(i, status)| VmOutcome { stdout: format!("out {i}").into(), stderr: vec![], status, results: vec![] })
                .collect(),
            launches: 3,
            hypercalls: 7,
            wall: Duration::from_millis(500),
            device: "fake".into(),
            build: BuildInfo { source: BinarySource::Built, time: Duration::ZERO, options: String::new(), cache_file: None, note: None },
            phases: PhaseTimes::default(),
            local_size: 1,
        }
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
        assert_eq!(r.counts(), Counts { exited: 2, exited_zero: 1, trapped: 1, running: 1 });
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
