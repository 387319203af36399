//! Options of `vv-run serve` (the binary only): clap definitions, the help text with worked
//! examples, and turning options into a `ServeConfig`. No OpenCL here.

use crate::cli::{parse_env, DeviceFlags};
use anyhow::{bail, Result};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use vv_loader::serve::{Batching, ServeConfig};
use vv_loader::DeviceChoice;

const EXAMPLES: &str = "\
Examples:
  Serve a WASI command: each request is one run, its body the program's stdin:
    vv-run serve wordfreq.vvk --vms 4096
    curl --data-binary @book.txt http://127.0.0.1:8000/run
    # {\"stdout\":\"...\",\"stderr\":\"\",\"exit_code\":0,\"on_device_execution_time_ns\":1830000}
    curl --data-binary @in.json 'http://127.0.0.1:8000/run?arg=--sort&arg=keys'

  Serve a resident guest (it imports env.serverless_invoke and env.serverless_response and
  loops): the answer is the guest's response bytes:
    vv-run serve hasher.vvk --vms 4096 --batch-timeout 5
    curl --data 'hello' http://127.0.0.1:8000/run

  Many requests in one call (the batch API of VectorVisor's clients):
    curl -H 'content-type: application/json' \\
      -d '{\"requests\": [{\"req\": \"a b a\", \"req_id\": 1}, {\"req\": \"c\", \"req_id\": 2}]}' \\
      http://127.0.0.1:8000/batch_submit
    # {\"requests\":{\"1\":{\"response\":\"...\",\"on_device_execution_time_ns\":...},\"2\":{...}}}

  Health and Prometheus metrics:
    curl http://127.0.0.1:8000/healthz
    curl http://127.0.0.1:8000/metrics

Batching: requests wait in a queue of --queue entries (more get 503 with Retry-After). While
every VM is idle, a launch starts once --batch-size requests wait or the first has waited
--batch-timeout ms; while VMs run, waiting requests join at the next launch.
A request not done in --request-timeout seconds gets 504 and its VM is reset. A VM that traps
(or a resident guest that exits) answers 500 naming the trap, is reset, and serves again; other
requests are not affected. Bodies over --max-body get 413.
Command VMs start each request from the program's initial memory, reset on the device.
SIGINT or SIGTERM: stop taking connections, finish the requests in flight, exit 0.";

/// Serve a bundle over HTTP: N VMs stay resident on the device; requests are batched into them.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ServeOpts {
    /// The bundle to serve, as written by `vvc build`.
    #[arg(value_name = "PROG.vvk")]
    pub prog: PathBuf,

    /// VMs kept on the device: the most requests served at once.
    #[arg(long, short = 'n', value_name = "N", default_value_t = 1024)]
    pub vms: usize,

    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// Milliseconds the first waiting request may wait for others before a launch.
    #[arg(long, value_name = "MS", default_value_t = 2.0)]
    pub batch_timeout: f64,

    /// Launch without waiting once this many requests wait (default: every free VM).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,

    /// Requests that may wait for a VM (default: 4 x --vms); more get 503.
    #[arg(long, value_name = "N")]
    pub queue: Option<usize>,

    /// Seconds a request may take before it gets 504.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub request_timeout: f64,

    /// Largest request body in bytes (default 1 MiB for commands; resident guests take at most
    /// 65524, what one serverless_invoke delivers).
    #[arg(long, value_name = "BYTES")]
    pub max_body: Option<usize>,

    /// Device: an index from --list-devices or part of a device name.
    #[arg(long, short = 'd', value_name = "X")]
    pub device: Option<DeviceChoice>,

    /// Environment variable for every VM (repeatable).
    #[arg(long = "env", short = 'e', value_name = "K=V", value_parser = parse_env)]
    pub env: Vec<(String, String)>,

    #[command(flatten)]
    pub device_flags: DeviceFlags,

    /// argv[1..] of a resident guest (a command takes its arguments per request, `?arg=`).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

fn seconds(what: &str, s: f64) -> Result<Duration> {
    if !(s.is_finite() && s >= 0.0) {
        bail!("{what} must be a non-negative number");
    }
    Ok(Duration::from_secs_f64(s))
}

impl ServeOpts {
    pub fn config(&self) -> Result<ServeConfig> {
        if self.vms == 0 {
            bail!("--vms must be at least 1");
        }
        let request_timeout = seconds("--request-timeout", self.request_timeout)?;
        if request_timeout.is_zero() {
            bail!("--request-timeout must be positive");
        }
        Ok(ServeConfig {
            vms: self.vms,
            listen: self.listen,
            batching: Batching {
                size: self.batch_size.unwrap_or(self.vms).max(1),
                timeout: seconds("--batch-timeout", self.batch_timeout / 1000.0)?,
            },
            queue: self.queue.unwrap_or(self.vms.saturating_mul(4)),
            request_timeout,
            max_body: self.max_body,
            env: self.env.clone(),
            args: self.args.clone(),
            local_size: self.device_flags.local_size,
            seed: self.device_flags.seed,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Command, Opts};
    use clap::Parser;

    #[test]
    fn parses_serve_and_keeps_plain_runs() {
        let o = Opts::try_parse_from(["vv-run", "serve", "p.vvk", "--vms", "64", "--batch-timeout", "5", "--listen", "0.0.0.0:9000"]).unwrap();
        let Some(Command::Serve(s)) = o.command else { panic!("not serve: {o:?}") };
        let cfg = s.config().unwrap();
        assert_eq!((cfg.vms, cfg.queue, cfg.batching.size), (64, 256, 64));
        assert_eq!(cfg.batching.timeout.as_millis(), 5);
        assert_eq!(cfg.listen.to_string(), "0.0.0.0:9000");
        let o = Opts::try_parse_from(["vv-run", "serve", "p.vvk"]).unwrap();
        let Some(Command::Serve(s)) = o.command else { panic!() };
        assert_eq!(s.config().unwrap().listen.to_string(), "127.0.0.1:8000", "loopback by default");
        let plain = Opts::try_parse_from(["vv-run", "p.vvk", "--vms", "8"]).unwrap();
        assert!(plain.command.is_none() && plain.prog.is_some());
        assert!(Opts::try_parse_from(["vv-run", "serve"]).is_err(), "serve needs a bundle");
        let zero = Opts::try_parse_from(["vv-run", "serve", "p.vvk", "--vms", "0"]).unwrap();
        let Some(Command::Serve(s)) = zero.command else { panic!() };
        assert!(s.config().is_err());
    }
}
