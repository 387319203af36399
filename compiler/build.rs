//! Fingerprints the compiler's own sources and templates, so a bundle's content hash changes
//! whenever the code that generates it does (the bundle cache never serves stale output).

use std::path::Path;

fn visit(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            visit(&p, files);
        } else {
            files.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("src"), root.join("../templates"), root.join("../bundle/src")] {
        println!("cargo:rerun-if-changed={}", dir.display());
        visit(&dir, &mut files);
    }
    files.sort();
    // FNV-1a over paths and contents: a fingerprint, not a security boundary.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f).to_string_lossy().into_owned();
        for b in rel.bytes().chain(std::fs::read(f).unwrap_or_default()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=VVC_SOURCE_FINGERPRINT={h:016x}");
}
