//! Step-by-step tracing on stderr when `VV_TRACE` is set: allocations, launches, hypercall rounds.
//! For debugging a kernel or a driver; silent otherwise, and never changes what a run does.

use std::sync::OnceLock;

pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| crate::env_flag("VV_TRACE"))
}

/// `eprintln!` prefixed with `vv-trace:`, only when tracing is on.
macro_rules! trace {
    ($($arg:tt)*) => {
        if $crate::trace::enabled() {
            eprintln!("vv-trace: {}", format_args!($($arg)*));
        }
    };
}
