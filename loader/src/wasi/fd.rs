//! The stdio file descriptors, pipes to the program: fd_write to 1 and 2 is captured, fd_read on 0
//! reads the VM's stdin, and every other descriptor is BADF (there are no preopened directories).
//! fd_fdstat_get is answered on the device (`vv_dev_fd_fdstat_get` in the prelude).

use super::copyout::SEGMENT_OVERHEAD;
use super::{CopyOut, VmContext};
use vv_bundle::abi::errno;

const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const STDERR: u32 = 2;

fn is_stdio(fd: u32) -> bool {
    fd <= STDERR
}

/// Appends the gathered bytes the device copied in and stores their count at `nwritten_ptr`.
pub fn write(ctx: &mut VmContext, fd: u32, data: &[u8], nwritten_ptr: u32, out: &mut CopyOut) -> Result<(), u32> {
    let sink = match fd {
        STDOUT => &mut ctx.stdout,
        STDERR => &mut ctx.stderr,
        _ => return Err(errno::BADF),
    };
    out.push_u32(nwritten_ptr, data.len() as u32)?;
    sink.extend_from_slice(data);
    Ok(())
}

/// Scatters stdin bytes into the iovec list (`data`: u32 ptr, u32 len per entry), as many as fit
/// one copy-out, and stores the count at `nread_ptr`. At EOF it reads 0 bytes.
pub fn read(ctx: &mut VmContext, fd: u32, iovecs: &[u8], nread_ptr: u32, out: &mut CopyOut) -> Result<(), u32> {
    if fd != STDIN {
        return Err(errno::BADF);
    }
    // Room for the nread segment is kept back from the start.
    let reserve = SEGMENT_OVERHEAD + 4;
    let mut pos = ctx.stdin_pos;
    for entry in iovecs.chunks_exact(8) {
        let ptr = u32::from_le_bytes(entry[..4].try_into().unwrap());
        let len = u32::from_le_bytes(entry[4..].try_into().unwrap()) as usize;
        let left = ctx.stdin.len() - pos;
        if left == 0 {
            break;
        }
        if len == 0 {
            continue;
        }
        let n = len.min(left).min(out.room().saturating_sub(reserve));
        if n == 0 {
            break;
        }
        out.push(ptr, &ctx.stdin[pos..pos + n])?;
        pos += n;
        if n < len {
            break;
        }
    }
    out.push_u32(nread_ptr, (pos - ctx.stdin_pos) as u32)?;
    ctx.stdin_pos = pos;
    Ok(())
}

pub fn close(fd: u32) -> Result<(), u32> {
    if is_stdio(fd) {
        Ok(())
    } else {
        Err(errno::BADF)
    }
}

pub fn seek(fd: u32) -> Result<(), u32> {
    Err(if is_stdio(fd) { errno::SPIPE } else { errno::BADF })
}
