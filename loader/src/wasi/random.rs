//! random_get and the per-VM random stream behind it: SplitMix64 seeded from the OS once per run.
//! Not a cryptographic generator; a request larger than one copy-out is INVAL.

use super::{CopyOut, VmContext};
use std::io::Read;
use vv_bundle::abi::errno;

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast and well distributed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// A seed from `/dev/urandom`, or from the clock where that is missing.
pub fn os_seed() -> u64 {
    let mut b = [0u8; 8];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5EED),
    }
}

pub fn get(ctx: &mut VmContext, buf_ptr: u32, len: u32, out: &mut CopyOut) -> Result<(), u32> {
    if len as usize > out.room() {
        return Err(errno::INVAL);
    }
    let mut bytes = vec![0; len as usize];
    ctx.rng.fill(&mut bytes);
    out.push(buf_ptr, &bytes)
}
