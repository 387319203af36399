//! The copy-out half of a hypercall reply: segments of bytes the device writes into the VM's
//! memory, encoded in the `hc_data` format of `abi`. Never grows past `abi::HC_DATA_BYTES`.

use vv_bundle::abi::{errno, HC_DATA_BYTES};

/// Bytes of the segment count that starts the encoding.
const COUNT_BYTES: usize = 4;
/// Bytes of one segment's (address, length) entry.
pub const SEGMENT_OVERHEAD: usize = 8;

/// Segments a host call writes back into guest memory, bounded to one hypercall data buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyOut {
    /// (guest address, length) of each segment, in order.
    segments: Vec<(u32, u32)>,
    /// The bytes of all segments, concatenated.
    bytes: Vec<u8>,
}

impl CopyOut {
    pub fn new() -> CopyOut {
        CopyOut::default()
    }

    /// Bytes the encoding takes now.
    pub fn encoded_len(&self) -> usize {
        COUNT_BYTES + SEGMENT_OVERHEAD * self.segments.len() + self.bytes.len()
    }

    /// Payload bytes one more segment could carry.
    pub fn room(&self) -> usize {
        HC_DATA_BYTES.saturating_sub(self.encoded_len() + SEGMENT_OVERHEAD)
    }

    /// Adds a segment. `Err(errno)`: FAULT when it wraps the 32-bit address space, INVAL when it
    /// does not fit the data buffer.
    pub fn push(&mut self, addr: u32, data: &[u8]) -> Result<(), u32> {
        if addr as u64 + data.len() as u64 > 1 << 32 {
            return Err(errno::FAULT);
        }
        if self.encoded_len() + SEGMENT_OVERHEAD + data.len() > HC_DATA_BYTES {
            return Err(errno::INVAL);
        }
        self.segments.push((addr, data.len() as u32));
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    pub fn push_u32(&mut self, addr: u32, value: u32) -> Result<(), u32> {
        self.push(addr, &value.to_le_bytes())
    }

    pub fn push_u64(&mut self, addr: u32, value: u64) -> Result<(), u32> {
        self.push(addr, &value.to_le_bytes())
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// `u32 count, count x (u32 address, u32 length), then the bytes`, little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.encoded_len()];
        self.encode_into(&mut out);
        out
    }

    /// `encode` into the first `encoded_len()` bytes of `out`.
    pub fn encode_into(&self, out: &mut [u8]) {
        let (head, bytes) = out[..self.encoded_len()].split_at_mut(COUNT_BYTES + SEGMENT_OVERHEAD * self.segments.len());
        head[..COUNT_BYTES].copy_from_slice(&(self.segments.len() as u32).to_le_bytes());
        for (entry, &(addr, len)) in head[COUNT_BYTES..].chunks_exact_mut(SEGMENT_OVERHEAD).zip(&self.segments) {
            entry[..4].copy_from_slice(&addr.to_le_bytes());
            entry[4..].copy_from_slice(&len.to_le_bytes());
        }
        bytes.copy_from_slice(&self.bytes);
    }

    /// Parses an encoding back into (address, bytes) segments; `None` if it is malformed.
    pub fn decode(encoded: &[u8]) -> Option<Vec<(u32, Vec<u8>)>> {
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(encoded.get(at..at + 4)?.try_into().ok()?))
        };
        let count = word(0)? as usize;
        let mut at = COUNT_BYTES.checked_add(count.checked_mul(SEGMENT_OVERHEAD)?)?;
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let addr = word(COUNT_BYTES + i * SEGMENT_OVERHEAD)?;
            let len = word(COUNT_BYTES + i * SEGMENT_OVERHEAD + 4)? as usize;
            out.push((addr, encoded.get(at..at + len)?.to_vec()));
            at += len;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_count_table_then_bytes() {
        let mut c = CopyOut::new();
        c.push_u32(0x10, 0xAABBCCDD).unwrap();
        c.push(0x20, b"hi").unwrap();
        let e = c.encode();
        assert_eq!(e.len(), c.encoded_len());
        assert_eq!(&e[..4], &2u32.to_le_bytes());
        assert_eq!(&e[4..12], &[0x10, 0, 0, 0, 4, 0, 0, 0]);
        assert_eq!(&e[12..20], &[0x20, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(&e[20..], &[0xDD, 0xCC, 0xBB, 0xAA, b'h', b'i']);
        assert_eq!(CopyOut::decode(&e).unwrap(), vec![(0x10, vec![0xDD, 0xCC, 0xBB, 0xAA]), (0x20, b"hi".to_vec())]);
    }

    #[test]
    fn empty_encodes_as_zero_count() {
        assert_eq!(CopyOut::new().encode(), vec![0, 0, 0, 0]);
    }

    #[test]
    fn bounded_by_data_buffer() {
        let mut c = CopyOut::new();
        let room = c.room();
        assert_eq!(room, HC_DATA_BYTES - 4 - 8);
        assert_eq!(c.push(0, &vec![0; room + 1]), Err(errno::INVAL));
        c.push(0, &vec![0; room]).unwrap();
        assert_eq!(c.encoded_len(), HC_DATA_BYTES);
        assert_eq!(c.room(), 0);
        assert_eq!(c.push(0, &[]), Err(errno::INVAL));
    }

    #[test]
    fn rejects_wrapping_address() {
        let mut c = CopyOut::new();
        assert_eq!(c.push(u32::MAX - 1, &[1, 2, 3]), Err(errno::FAULT));
        assert_eq!(c.push(u32::MAX - 2, &[1, 2, 3]), Ok(()));
    }

    #[test]
    fn decode_rejects_truncation() {
        let mut c = CopyOut::new();
        c.push(4, b"abc").unwrap();
        let e = c.encode();
        assert!(CopyOut::decode(&e[..e.len() - 1]).is_none());
        assert!(CopyOut::decode(&[1, 0]).is_none());
    }
}
