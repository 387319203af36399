//! One run spread over several devices. Each device gets a contiguous share of the VMs (in
//! proportion to its capacity, within what its memory holds: `shard`), builds the program once
//! (devices of one model, driver and options share one build), and is driven by a thread of its
//! own: it launches, services its own VMs' hypercalls as soon as its launch completes and launches
//! again, never waiting for another device. Hypercall servicing draws extra threads from a pool
//! shared by all devices. The report lists every VM in order, as one device would have.
//!
//! Failures: a device that cannot build the program (or set up its context) fails the load, naming
//! every such device. A device that fails during a run does not stop the others: its VMs are
//! reported as `VmStatus::DeviceFailed` with the error and whatever output they made so far, and
//! its `ShardReport` carries the error.

use crate::device::{self, DeviceChoice, DeviceError, DeviceInfo, DeviceSet};
use crate::device_program::DeviceProgram;
use crate::error::{DeviceLoadError, LoadError, RunError};
use crate::hostcalls::HostThreads;
use crate::program::{self, BuildInfo, Programs, Share};
use crate::report::{PhaseTimes, RunReport, ShardReport, VmOutcome, VmStatus};
use crate::run::{execute, outcomes, Prepared, Progress, Shared, ShardInput, Statuses};
use crate::shard;
use crate::vm_state::{FitError, VmLayout};
use crate::wasi::os_seed;
use crate::{LoadOptions, RunConfig};
use std::ops::Range;
use std::time::Instant;
use vv_bundle::Bundle;

/// A bundle built for several devices, ready to run any number of times over all of them.
pub struct MultiLoader {
    devices: Vec<DeviceProgram>,
    bundle: Bundle,
}

impl MultiLoader {
    /// Builds for the chosen devices, one each (a name picks its first match, as for `Loader`),
    /// in the order given: VMs are shared out in that order. A device chosen twice is an error.
    pub fn new(bundle: Bundle, choices: &[DeviceChoice], opts: &LoadOptions) -> Result<MultiLoader, LoadError> {
        let all = device::enumerate()?;
        let mut chosen: Vec<DeviceInfo> = Vec::new();
        for choice in choices {
            let d = device::select(&all, choice)?;
            if chosen.iter().any(|c| c.index == d.index) {
                return Err(DeviceError::Duplicate { index: d.index, name: d.name.clone() }.into());
            }
            chosen.push(d.clone());
        }
        MultiLoader::on_devices(bundle, chosen, opts)
    }

    /// Builds for a set of devices (`DeviceSet::All`: every GPU, else every CPU device), in index
    /// order.
    pub fn with_set(bundle: Bundle, set: &DeviceSet, opts: &LoadOptions) -> Result<MultiLoader, LoadError> {
        let all = device::enumerate()?;
        let chosen = device::select_set(&all, set)?.into_iter().cloned().collect();
        MultiLoader::on_devices(bundle, chosen, opts)
    }

    /// Builds on every device at once: one build per kind of device (same cache key), the other
    /// devices of a kind loading that build's binary once it is done; with the binary in the
    /// cache, every device loads it at once.
    fn on_devices(bundle: Bundle, devices: Vec<DeviceInfo>, opts: &LoadOptions) -> Result<MultiLoader, LoadError> {
        if devices.is_empty() {
            return Err(DeviceError::EmptySet.into());
        }
        let which = Programs::shared(&bundle, opts.split);
        let lines = which.largest_lines(&bundle);
        let options: Vec<String> = devices.iter().map(|d| program::build_options(d, lines, &bundle.options, &opts.extra_build_options)).collect();
        let keys: Vec<String> = devices.iter().zip(&options).map(|(d, o)| program::cache_key(&bundle.content_hash, 0, d, o)).collect();
        let sources = which.sources(&bundle);
        let cached = |i: usize| {
            sources.iter().all(|&(index, _)| {
                let path = program::cache_path(&bundle.content_hash, index, &devices[i], &options[i], opts.cache, opts.cache_dir.as_deref());
                path.ok().flatten().is_some_and(|p| p.is_file())
            })
        };
        // The device each one takes its binary from: the first of its kind, or itself where it
        // is the first or the binary is in the cache (then all load it at once).
        let leader: Vec<usize> =
            (0..devices.len()).map(|i| if cached(i) { i } else { keys.iter().position(|k| *k == keys[i]).unwrap() }).collect();
        let leaders: Vec<usize> = (0..devices.len()).filter(|&i| leader[i] == i).collect();
        let mut opened: Vec<Option<Opened>> = devices.iter().map(|_| None).collect();

        let jobs = leaders.iter().map(|&i| {
            let followed = leader.iter().enumerate().any(|(j, &l)| l == i && j != i);
            (&devices[i], if followed { Share::Lead } else { Share::None })
        });
        for (&i, r) in leaders.iter().zip(open_parallel(&bundle, opts, jobs.collect())) {
            opened[i] = Some(r);
        }
        // Followers of a leader that failed are not tried: the same build would fail the same way.
        let followers: Vec<usize> = (0..devices.len()).filter(|&i| leader[i] != i && matches!(opened[leader[i]], Some(Ok(_)))).collect();
        let jobs = followers.iter().map(|&i| {
            let share = match &opened[leader[i]] {
                Some(Ok((_, Some(binaries)))) => Share::Follow { from_device: devices[leader[i]].index, binaries },
                _ => Share::None,
            };
            (&devices[i], share)
        });
        let results = open_parallel(&bundle, opts, jobs.collect());
        for (&i, r) in followers.iter().zip(results) {
            opened[i] = Some(r);
        }

        let mut ok = Vec::new();
        let mut failures = Vec::new();
        for (i, r) in opened.into_iter().enumerate() {
            let d = &devices[i];
            let error = match r {
                Some(Ok((p, _))) => {
                    ok.push(p);
                    continue;
                }
                Some(Err(error)) => error,
                None => LoadError::SameKindFailed { device: devices[leader[i]].index },
            };
            failures.push(DeviceLoadError { index: d.index, name: d.name.clone(), error });
        }
        if !failures.is_empty() {
            return Err(LoadError::Devices { failures, devices: devices.len() });
        }
        Ok(MultiLoader { devices: ok, bundle })
    }

    pub fn devices(&self) -> Vec<&DeviceInfo> {
        self.devices.iter().map(|d| &d.device).collect()
    }

    /// Each device's build, in device order.
    pub fn build_infos(&self) -> Vec<(&DeviceInfo, &BuildInfo)> {
        self.devices.iter().map(|d| (&d.device, &d.build)).collect()
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The VMs each device runs, in device order: consecutive ranges sized by `shard::split`
    /// with each device's capacity (compute units x clock; equal shares where a device reports
    /// none) as weight and the VMs its memory holds as limit (none with a resident count).
    pub fn plan(&self, vms: usize, resident: Option<usize>) -> Result<Vec<Range<usize>>, RunError> {
        let layout = VmLayout::new(&self.bundle, crate::output::stdout_on_device(&self.bundle));
        let mut weights: Vec<u64> = self.devices.iter().map(|d| d.device.capacity()).collect();
        if weights.contains(&0) {
            weights.fill(1);
        }
        // With a resident count, a device's share is not bounded by its memory (its slots are).
        let limit = |d: &DeviceProgram| match resident {
            Some(_) => u64::MAX,
            None => layout.max_vms(d.device.global_mem, d.device.buffer_limit()),
        };
        let limits: Vec<u64> = self.devices.iter().map(limit).collect();
        match shard::split(vms as u64, &weights, &limits) {
            Some(counts) => Ok(shard::ranges(&counts)),
            None => {
                let total: u64 = limits.iter().sum();
                let each = self.devices.iter().zip(&limits).map(|(d, l)| format!("{} {l}", d.device.label())).collect::<Vec<_>>();
                Err(FitError {
                    nvms: vms as u64,
                    max_vms: total,
                    device: format!("the {} devices together", self.devices.len()),
                    reason: format!("each holds at most: {}", each.join(", ")),
                    per_vm: device::human_bytes(layout.bytes_per_vm()),
                    breakdown: layout.breakdown(),
                }
                .into())
            }
        }
    }

    /// Runs `cfg.vms` VMs over all devices. Fails before anything runs for a bad configuration
    /// or VMs that do not fit; a device failing during the run fails only its VMs (see the
    /// module notes). `cfg.max_launches` counts each device's launches; `cfg.timeout` the run's
    /// time.
    pub fn run(&self, cfg: &RunConfig) -> Result<RunReport, RunError> {
        let start = Instant::now();
        if cfg.vms == 0 {
            return Err(RunError::Config("at least one VM is needed".into()));
        }
        let ranges = self.plan(cfg.vms, cfg.resident)?;
        let seed = cfg.seed.unwrap_or_else(os_seed);
        let mut preps = Vec::new();
        let mut inputs = Vec::new();
        for (dev, range) in self.devices.iter().zip(&ranges) {
            if range.is_empty() {
                preps.push(None);
            } else {
                let prep = Prepared::new(dev, &self.bundle, cfg, crate::refill::resident(cfg, range.len())).map_err(|e| match e {
                    RunError::Config(m) => RunError::Config(format!("device {}: {m}", dev.device.label())),
                    e => e,
                })?;
                preps.push(Some(prep));
            }
            inputs.push(ShardInput::new(&self.bundle, cfg, start, range.clone(), seed)?);
        }
        let local_sizes: Vec<usize> = preps.iter().map(|p| p.as_ref().map_or(0, Prepared::local_size)).collect();
        let threads = HostThreads::for_devices(preps.iter().flatten().count());
        let shared = Shared { bundle: &self.bundle, cfg, start, threads: &threads };
        let mut progress = vec![Progress::default(); self.devices.len()];
        let mut done_at = vec![start.elapsed(); self.devices.len()];

        let results: Vec<Option<Result<Statuses, String>>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .devices
                .iter()
                .zip(preps)
                .zip(inputs.iter_mut())
                .zip(progress.iter_mut().zip(done_at.iter_mut()))
                .map(|(((dev, prep), input), (progress, done_at))| {
                    let shared = &shared;
                    prep.map(|prep| {
                        s.spawn(move || {
                            let r = execute(shared, dev, prep, input, progress);
                            *done_at = start.elapsed();
                            r
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.map(|h| match h.join() {
                        Ok(r) => r.map_err(|e| e.to_string()),
                        Err(p) => Err(format!("its thread panicked: {}", panic_text(&p))),
                    })
                })
                .collect()
        });

        let mut all: Vec<VmOutcome> = Vec::with_capacity(cfg.vms);
        let mut shards = Vec::new();
        let mut phases = PhaseTimes::default();
        for (i, ((dev, input), result)) in self.devices.iter().zip(inputs).zip(results).enumerate() {
            let error = match result {
                None => None,
                Some(Ok(statuses)) => {
                    all.extend(outcomes(input.contexts, statuses, input.steps));
                    None
                }
                Some(Err(error)) => {
                    let failed = VmStatus::DeviceFailed { device: dev.device.label(), error: error.clone() };
                    let statuses = input.contexts.iter().map(|_| (failed.clone(), vec![0; self.bundle.invoke_slots as usize])).collect();
                    all.extend(outcomes(input.contexts, statuses, input.steps));
                    Some(error)
                }
            };
            let p = &progress[i];
            phases.setup += p.phases.setup;
            phases.kernel += p.phases.kernel;
            phases.transfer += p.phases.transfer;
            phases.service += p.phases.service;
            shards.push(ShardReport {
                device_index: dev.device.index,
                device: dev.device.name.clone(),
                vms: ranges[i].clone(),
                launches: p.launches,
                hypercalls: p.hypercalls,
                wall: done_at[i],
                phases: p.phases,
                local_size: local_sizes[i],
                build: dev.build.clone(),
                error,
            });
        }
        assert_eq!(all.len(), cfg.vms, "every VM is reported");
        let device = if self.devices.len() == 1 {
            self.devices[0].device.name.clone()
        } else {
            self.devices.iter().map(|d| d.device.label()).collect::<Vec<_>>().join(", ")
        };
        Ok(RunReport {
            outcomes: all,
            launches: shards.iter().map(|s| s.launches).sum(),
            hypercalls: shards.iter().map(|s| s.hypercalls).sum(),
            wall: start.elapsed(),
            device,
            build: self.devices[0].build.clone(),
            phases,
            local_size: local_sizes.iter().copied().find(|&l| l > 0).unwrap_or(0),
            shards,
            takeover: None,
        })
    }
}

type Opened = Result<(DeviceProgram, Option<program::Binaries>), LoadError>;

/// Opens each device of `jobs` on a thread of its own; results in the order of `jobs`.
fn open_parallel(bundle: &Bundle, opts: &LoadOptions, jobs: Vec<(&DeviceInfo, Share)>) -> Vec<Opened> {
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|(dev, share)| s.spawn(move || DeviceProgram::open(bundle, dev, opts, share))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| Err(LoadError::Panicked(panic_text(&p))))).collect()
    })
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "(no message)".into())
}
