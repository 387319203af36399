//! Reading and writing `.vvk` files: a magic, a format version, a digest of the payload, then the
//! bincode-encoded `Bundle`. Every way a file can be wrong has its own error.

use crate::Bundle;
use sha2::{Digest, Sha256};

pub const MAGIC: [u8; 4] = *b"VVK\x01";
/// Bump whenever `Bundle` or the ABI changes shape.
pub const FORMAT_VERSION: u32 = 12;
const HEADER_LEN: usize = 4 + 4 + 32;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a .vvk bundle (bad magic); build one with `vvc build`")]
    BadMagic,
    #[error("bundle format version {found}, but this vv-run reads version {expected}; rebuild it with a matching `vvc build`")]
    WrongVersion { found: u32, expected: u32 },
    #[error("bundle is truncated ({0} bytes)")]
    Truncated(usize),
    #[error("bundle is corrupt: payload digest does not match")]
    DigestMismatch,
    #[error("bundle is corrupt: {0}")]
    Decode(String),
    #[error("cannot encode bundle: {0}")]
    Encode(String),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// Serializes a bundle into the bytes of a `.vvk` file.
pub fn write_bundle(bundle: &Bundle) -> Result<Vec<u8>, BundleError> {
    let payload = bincode::encode_to_vec(bundle, config()).map_err(|e| BundleError::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Parses the bytes of a `.vvk` file.
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle, BundleError> {
    if bytes.len() < 8 {
        return Err(if bytes.len() >= 4 && bytes[..4] != MAGIC { BundleError::BadMagic } else { BundleError::Truncated(bytes.len()) });
    }
    if bytes[..4] != MAGIC {
        return Err(BundleError::BadMagic);
    }
    let found = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
    if found != FORMAT_VERSION {
        return Err(BundleError::WrongVersion { found, expected: FORMAT_VERSION });
    }
    if bytes.len() < HEADER_LEN {
        return Err(BundleError::Truncated(bytes.len()));
    }
    let payload = &bytes[HEADER_LEN..];
    if Sha256::digest(payload).as_slice() != &bytes[8..HEADER_LEN] {
        return Err(BundleError::DigestMismatch);
    }
    let (bundle, used) = bincode::decode_from_slice(payload, config()).map_err(|e| BundleError::Decode(e.to_string()))?;
    if used != payload.len() {
        return Err(BundleError::Decode(format!("{} trailing bytes", payload.len() - used)));
    }
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BuildOptions, MemoryLayout};

    fn sample() -> Bundle {
        Bundle {
            content_hash: [7; 32],
            source_name: "x.wasm".into(),
            compiler_version: "0".into(),
            options: BuildOptions::default(),
            partitions: vec!["kernel".into()],
            partition_of: vec![0],
            whole: None,
            memory: MemoryLayout { present: true, initial_pages: 1, max_pages: 2, image: vec![1, 2, 3] },
            globals: vec![5],
            exports: vec![],
            imports: vec![],
            function_names: vec!["f".into()],
            invoke_slots: 1,
            stack_rows: 64,
            entry_function: 0,
            command_entry: None,
        }
    }

    #[test]
    fn round_trip() {
        let b = sample();
        assert_eq!(read_bundle(&write_bundle(&b).unwrap()).unwrap(), b);
    }

    #[test]
    fn rejects_corruption() {
        let mut bytes = write_bundle(&sample()).unwrap();
        assert!(matches!(read_bundle(b"nope, not a bundle"), Err(BundleError::BadMagic)));
        assert!(matches!(read_bundle(&bytes[..20]), Err(BundleError::Truncated(20))));
        let mut wrong = bytes.clone();
        wrong[4] = 99;
        assert!(matches!(read_bundle(&wrong), Err(BundleError::WrongVersion { found: 99, .. })));
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(matches!(read_bundle(&bytes), Err(BundleError::DigestMismatch)));
    }
}
