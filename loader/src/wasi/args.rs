//! args_* and environ_*: a list of strings laid out as a pointer table plus NUL-terminated bytes.
//! Both calls share this code; sizes must agree with what the `get` call writes.

use super::CopyOut;
use vv_bundle::abi::errno;

/// Stores the string count at `count_ptr` and the buffer size (with NULs) at `size_ptr`.
pub fn sizes_get(list: &[String], count_ptr: u32, size_ptr: u32, out: &mut CopyOut) -> Result<(), u32> {
    let size: usize = list.iter().map(|s| s.len() + 1).sum();
    out.push_u32(count_ptr, list.len() as u32)?;
    out.push_u32(size_ptr, u32::try_from(size).map_err(|_| errno::INVAL)?)
}

/// Writes the NUL-terminated strings at `buf_ptr` and a pointer to each at `ptrs_ptr`.
pub fn get(list: &[String], ptrs_ptr: u32, buf_ptr: u32, out: &mut CopyOut) -> Result<(), u32> {
    let mut table = Vec::with_capacity(list.len() * 4);
    let mut buf = Vec::new();
    for s in list {
        let at = u32::try_from(buf_ptr as u64 + buf.len() as u64).map_err(|_| errno::FAULT)?;
        table.extend_from_slice(&at.to_le_bytes());
        buf.extend_from_slice(s.as_bytes());
        buf.push(0);
    }
    if !list.is_empty() {
        out.push(ptrs_ptr, &table)?;
        out.push(buf_ptr, &buf)?;
    }
    Ok(())
}
