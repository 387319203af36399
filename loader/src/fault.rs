//! A test hook: `VV_INJECT_FAULT` makes one device fail on purpose, to check what a multi-device
//! run does when a device fails (on PoCL in tests, and on real GPUs by hand). Unset, it does
//! nothing. Comma-separated items, `DEVICE` being an index from `--list-devices`:
//! - `build@DEVICE`: building the program from source for that device fails;
//! - `launch@DEVICE:N`: the Nth launch of `vv_run` on that device fails (N from 1).

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Build,
    /// The given launch, counted from 1.
    Launch(u64),
}

fn parse(spec: &str) -> Vec<(Stage, usize)> {
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let parsed = match item.split_once('@') {
            Some(("build", dev)) => dev.parse().ok().map(|d| (Stage::Build, d)),
            Some(("launch", rest)) => rest
                .split_once(':')
                .and_then(|(dev, n)| Some((Stage::Launch(n.parse().ok()?), dev.parse().ok()?))),
            _ => None,
        };
        match parsed {
            Some(p) => out.push(p),
            None => eprintln!("vv: ignoring VV_INJECT_FAULT item {item:?} (expected build@DEVICE or launch@DEVICE:N)"),
        }
    }
    out
}

fn faults() -> &'static [(Stage, usize)] {
    static FAULTS: OnceLock<Vec<(Stage, usize)>> = OnceLock::new();
    FAULTS.get_or_init(|| std::env::var("VV_INJECT_FAULT").map(|s| parse(&s)).unwrap_or_default())
}

/// Whether `stage` on device `index` is to fail.
pub fn injected(stage: Stage, index: usize) -> bool {
    faults().contains(&(stage, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items() {
        assert_eq!(parse("build@1, launch@0:3"), vec![(Stage::Build, 1), (Stage::Launch(3), 0)]);
        assert_eq!(parse("launch@0"), vec![]);
        assert_eq!(parse(""), vec![]);
    }
}
