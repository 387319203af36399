//! The bundle cache: built `.vvk` files kept under their content hash, so an unchanged input
//! is never compiled twice. A damaged cache entry is ignored and rebuilt, never fatal.

use std::path::{Path, PathBuf};
use vv_bundle::Bundle;

/// `$VV_CACHE_DIR`, else `$XDG_CACHE_HOME/vv`, else `$HOME/.cache/vv`, with `bundles/` below.
pub fn default_dir() -> Option<PathBuf> {
    let base = if let Some(d) = std::env::var_os("VV_CACHE_DIR") {
        PathBuf::from(d)
    } else if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        PathBuf::from(d).join("vv")
    } else {
        PathBuf::from(std::env::var_os("HOME")?).join(".cache").join("vv")
    };
    Some(base.join("bundles"))
}

fn entry(dir: &Path, hash: &[u8; 32]) -> PathBuf {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.vvk"))
}

/// The cached bundle with this hash, if present and intact.
pub fn lookup(dir: &Path, hash: &[u8; 32]) -> Option<Bundle> {
    let bytes = std::fs::read(entry(dir, hash)).ok()?;
    vv_bundle::read_bundle(&bytes).ok().filter(|b| &b.content_hash == hash)
}

/// Stores bundle bytes under their hash (atomically: write then rename).
pub fn store(dir: &Path, hash: &[u8; 32], bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = entry(dir, hash);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}
