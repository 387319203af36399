//! vv-run: loads a `.vvk` bundle, picks an OpenCL device (or several), runs N VMs and reports
//! their outcomes. Thin: options in `cli.rs`, all work in the `vv_loader` library.

mod cli;
mod serve_cli;

use anyhow::{Context, Result};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use vv_loader::{device, read_bundle_file, serve, DeviceChoice, DeviceInfo, Loader, MultiLoader};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(vv_loader::build_helper::HELPER_ARG) {
        // A partition build for a parent vv-run (see build_helper), not a command for people.
        return match vv_loader::build_helper::helper_main(&args[2..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        };
    }
    let opts = cli::Opts::parse();
    match run(&opts) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("vv-run: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(opts: &cli::Opts) -> Result<u8> {
    if let Some(cli::Command::Serve(serve)) = &opts.command {
        return serve_main(serve);
    }
    if opts.list_devices {
        print!("{}", device::format_list(&device::enumerate()?));
        return Ok(0);
    }
    let path = opts.prog.as_ref().context("no bundle given")?;
    let bundle = read_bundle_file(path)?;
    let cfg = opts.run_config()?;

    let devices = device::enumerate()?;
    // A single-device loader lives until the end: a whole program still building (see `--split`)
    // is waited for after the outputs.
    let mut single = None;
    let report = if let Some(set) = &opts.devices {
        let chosen = device::select_set(&devices, set)?;
        for dev in &chosen {
            describe(dev);
        }
        let choices: Vec<DeviceChoice> = chosen.iter().map(|d| DeviceChoice::Index(d.index)).collect();
        let loader = MultiLoader::new(bundle, &choices, &opts.load_options())?;
        for (dev, build) in loader.build_infos() {
            eprintln!("vv-run: device #{}: {build}", dev.index);
        }
        loader.run(&cfg)?
    } else {
        let dev = device::select(&devices, opts.device.as_ref().unwrap_or(&DeviceChoice::Default))?;
        describe(dev);
        let loader = Loader::with_options(bundle, &DeviceChoice::Index(dev.index), &opts.load_options())?;
        eprintln!("vv-run: {}", loader.build_info());
        single.insert(loader).run(&cfg)?
    };
    if let Some(dir) = &opts.out_dir {
        report.write_out_dir(dir).with_context(|| format!("writing outputs to {}", dir.display()))?;
        eprintln!("vv-run: wrote {} VMs' outputs and status.json to {}", report.outcomes.len(), dir.display());
    } else if let Some(first) = report.outcomes.first() {
        std::io::stdout().write_all(&first.stdout)?;
        std::io::stdout().flush()?;
        std::io::stderr().write_all(&first.stderr)?;
    }
    eprint!("{}", report.summary());
    match single.as_ref().and_then(Loader::finish_whole_program) {
        Some(Ok(took)) => eprintln!("vv-run: the whole program built in {:.3} s; cached for the next start", took.as_secs_f64()),
        Some(Err(why)) => eprintln!("vv-run: warning: the whole program did not build: {why}"),
        None => {}
    }
    Ok(report.exit_code() as u8)
}

fn serve_main(opts: &serve_cli::ServeOpts) -> Result<u8> {
    let cfg = opts.config()?;
    let bundle = read_bundle_file(&opts.prog)?;
    let devices = device::enumerate()?;
    let dev = device::select(&devices, opts.device.as_ref().unwrap_or(&DeviceChoice::Default))?;
    describe(dev);
    let loader = Loader::with_options(bundle, &DeviceChoice::Index(dev.index), &opts.device_flags.load_options())?;
    eprintln!("vv-run: {}", loader.build_info());
    let style = serve::Style::of(loader.bundle());
    restore_default_signal_actions();
    let summary = serve::serve(&loader, &cfg, shutdown_signal(), |addr| {
        eprintln!("vv-run: serving {} ({style:?} style) with {} VMs on http://{addr}", opts.prog.display(), cfg.vms);
    })?;
    eprintln!(
        "vv-run: stopped after {} requests ({} answered with a result), {} launches",
        summary.requests, summary.completed, summary.launches
    );
    Ok(0)
}

/// LLVM inside PoCL installs SIGINT/SIGTERM handlers that re-raise with the default action; the
/// server's handlers would chain into them and the process would die instead of draining.
fn restore_default_signal_actions() {
    #[cfg(unix)]
    // SAFETY: setting the default action of two signals; no handler of ours is replaced.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
    }
}

/// Resolves at SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = interrupt => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = interrupt.await;
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    eprintln!("vv-run: shutting down: finishing the requests in flight");
}

fn describe(dev: &DeviceInfo) {
    eprintln!("vv-run: device #{}: {} ({}, {}, driver {})", dev.index, dev.name, dev.kind, dev.platform, dev.driver_version);
}
