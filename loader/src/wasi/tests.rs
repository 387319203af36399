//! Unit tests of hypercall servicing: each call's copy-out bytes, errno and bounds.

use super::*;
use std::sync::Arc;
use std::time::Instant;
use vv_bundle::abi::{HC_RESULT, HC_WORDS};

fn ctx(stdin: &[u8]) -> VmContext {
    VmContext::new(
        vec!["prog.wasm".into(), "-n".into(), "42".into()],
        &[("A".into(), "1".into()), ("HOME".into(), "/".into())],
        Arc::from(stdin),
        Instant::now(),
        7,
    )
}

fn call(ctx: &mut VmContext, call: HostCall, args: &[u64], data: &[u8]) -> (u32, Vec<(u32, Vec<u8>)>) {
    let mut a = [0; HC_MAX_ARGS];
    a[..args.len()].copy_from_slice(args);
    let reply = service(ctx, &Request { call: call as u32, args: a, data });
    let encoded = reply.copy_out.encode();
    assert!(encoded.len() <= HC_DATA_BYTES);
    (reply.errno, CopyOut::decode(&encoded).unwrap())
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn args_sizes_and_layout() {
    let mut c = ctx(b"");
    let (e, segs) = call(&mut c, HostCall::ArgsSizesGet, &[100, 104], &[]);
    assert_eq!(e, errno::SUCCESS);
    assert_eq!(segs, vec![(100, u32s(&[3])), (104, u32s(&[10 + 3 + 3]))]);
    let (e, segs) = call(&mut c, HostCall::ArgsGet, &[200, 300], &[]);
    assert_eq!(e, errno::SUCCESS);
    assert_eq!(segs, vec![(200, u32s(&[300, 310, 313])), (300, [&b"prog.wasm\0-n\0"[..], b"42\0"].concat())]);
}

#[test]
fn environ_as_key_value() {
    let mut c = ctx(b"");
    let (_, segs) = call(&mut c, HostCall::EnvironSizesGet, &[0, 4], &[]);
    assert_eq!(segs, vec![(0, u32s(&[2])), (4, u32s(&[4 + 7]))]);
    let (_, segs) = call(&mut c, HostCall::EnvironGet, &[16, 64], &[]);
    assert_eq!(segs, vec![(16, u32s(&[64, 68])), (64, b"A=1\0HOME=/\0".to_vec())]);
}

#[test]
fn empty_environ_writes_zero_sizes_and_nothing_else() {
    let mut c = VmContext::new(vec!["p".into()], &[], Arc::from(&b""[..]), Instant::now(), 0);
    let (_, segs) = call(&mut c, HostCall::EnvironSizesGet, &[0, 4], &[]);
    assert_eq!(segs, vec![(0, u32s(&[0])), (4, u32s(&[0]))]);
    let (e, segs) = call(&mut c, HostCall::EnvironGet, &[0, 4], &[]);
    assert_eq!((e, segs.len()), (errno::SUCCESS, 0));
}

#[test]
fn args_that_wrap_the_address_space_fault() {
    let mut c = ctx(b"");
    let (e, segs) = call(&mut c, HostCall::ArgsGet, &[0, u32::MAX as u64 - 3], &[]);
    assert_eq!((e, segs.len()), (errno::FAULT, 0));
}

#[test]
fn fd_write_captures_and_stores_nwritten() {
    let mut c = ctx(b"");
    let (e, segs) = call(&mut c, HostCall::FdWrite, &[1, 8, 2, 40], b"hello ");
    assert_eq!(e, errno::SUCCESS);
    assert_eq!(segs, vec![(40, u32s(&[6]))]);
    call(&mut c, HostCall::FdWrite, &[1, 8, 1, 40], b"world\n");
    call(&mut c, HostCall::FdWrite, &[2, 8, 1, 40], b"oops");
    assert_eq!(c.stdout, b"hello world\n");
    assert_eq!(c.stderr, b"oops");
    let (e, segs) = call(&mut c, HostCall::FdWrite, &[0, 8, 1, 40], b"x");
    assert_eq!((e, segs.len()), (errno::BADF, 0));
    let (e, _) = call(&mut c, HostCall::FdWrite, &[3, 8, 1, 40], b"x");
    assert_eq!(e, errno::BADF);
    assert_eq!(c.stdout, b"hello world\n");
}

#[test]
fn arguments_use_the_low_32_bits() {
    let mut c = ctx(b"");
    let (e, segs) = call(&mut c, HostCall::FdWrite, &[0xFFFF_FFFF_0000_0001, 0, 1, 0x1_0000_0010], b"z");
    assert_eq!(e, errno::SUCCESS);
    assert_eq!(segs, vec![(0x10, u32s(&[1]))]);
}

fn iovecs(list: &[(u32, u32)]) -> Vec<u8> {
    list.iter().flat_map(|&(p, l)| [p.to_le_bytes(), l.to_le_bytes()].concat()).collect()
}

#[test]
fn fd_read_scatters_and_hits_eof() {
    let mut c = ctx(b"abcdefghij");
    let list = iovecs(&[(1000, 3), (2000, 0), (3000, 4)]);
    let (e, segs) = call(&mut c, HostCall::FdRead, &[0, 0, 3, 96], &list);
    assert_eq!(e, errno::SUCCESS);
    assert_eq!(segs, vec![(1000, b"abc".to_vec()), (3000, b"defg".to_vec()), (96, u32s(&[7]))]);
    let (_, segs) = call(&mut c, HostCall::FdRead, &[0, 0, 3, 96], &list);
    assert_eq!(segs, vec![(1000, b"hij".to_vec()), (96, u32s(&[3]))]);
    let (e, segs) = call(&mut c, HostCall::FdRead, &[0, 0, 3, 96], &list);
    assert_eq!((e, segs), (errno::SUCCESS, vec![(96, u32s(&[0]))]));
}

#[test]
fn fd_read_partial_entry_stops_the_scatter() {
    let mut c = ctx(b"abcde");
    let list = iovecs(&[(10, 8), (50, 8)]);
    let (_, segs) = call(&mut c, HostCall::FdRead, &[0, 0, 2, 4], &list);
    assert_eq!(segs, vec![(10, b"abcde".to_vec()), (4, u32s(&[5]))]);
}

#[test]
fn fd_read_is_bounded_by_the_data_buffer() {
    let input = vec![b'x'; 3 * HC_DATA_BYTES];
    let mut c = ctx(&input);
    let list = iovecs(&[(0, 1 << 20), (1 << 20, 1 << 20)]);
    let (e, segs) = call(&mut c, HostCall::FdRead, &[0, 0, 2, 8], &list);
    assert_eq!(e, errno::SUCCESS);
    let n = segs[0].1.len();
    assert_eq!(segs.len(), 2);
    assert_eq!(n, HC_DATA_BYTES - 4 - 8 - 8 - 4);
    assert_eq!(segs[1], (8, u32s(&[n as u32])));
    assert_eq!(c.stdin_left(), input.len() - n);
}

#[test]
fn fd_read_on_other_fds_is_badf() {
    let mut c = ctx(b"abc");
    let (e, _) = call(&mut c, HostCall::FdRead, &[1, 0, 1, 8], &iovecs(&[(0, 4)]));
    assert_eq!(e, errno::BADF);
    assert_eq!(c.stdin_left(), 3);
}

#[test]
fn copy_in_lengths() {
    let mut hdr = [0u64; HC_WORDS];
    hdr[HC_CALL] = HostCall::FdWrite as u64;
    hdr[HC_LEN] = 77;
    assert_eq!(copy_in_len(&hdr), 77);
    hdr[HC_LEN] = 1 << 40;
    assert_eq!(copy_in_len(&hdr), HC_DATA_BYTES);
    hdr[HC_CALL] = HostCall::FdRead as u64;
    hdr[HC_ARGS + 2] = 5;
    assert_eq!(copy_in_len(&hdr), 40);
    hdr[HC_CALL] = HostCall::ClockTimeGet as u64;
    assert_eq!(copy_in_len(&hdr), 0);
    hdr[HC_RESULT] = 9;
    let req = Request::from_header(&hdr, &[]);
    assert_eq!((req.call, req.args[2]), (HostCall::ClockTimeGet as u32, 5));
}

#[test]
fn stdio_fd_calls() {
    let mut c = ctx(b"");
    assert_eq!(call(&mut c, HostCall::FdClose, &[2], &[]).0, errno::SUCCESS);
    assert_eq!(call(&mut c, HostCall::FdClose, &[3], &[]).0, errno::BADF);
    assert_eq!(call(&mut c, HostCall::FdSeek, &[1, 0, 0, 8], &[]).0, errno::SPIPE);
    assert_eq!(call(&mut c, HostCall::FdSeek, &[9, 0, 0, 8], &[]).0, errno::BADF);
    assert_eq!(call(&mut c, HostCall::FdPrestatGet, &[3, 8], &[]).0, errno::BADF);
    assert_eq!(call(&mut c, HostCall::FdPrestatDirName, &[3, 8, 4], &[]).0, errno::BADF);
    // The device answers fd_fdstat_get (exec_guests::startup_calls_on_the_device).
    assert_eq!(call(&mut c, HostCall::FdFdstatGet, &[1, 32], &[]), (errno::NOSYS, vec![]));
}

#[test]
fn clocks() {
    let mut c = ctx(b"");
    let (e, segs) = call(&mut c, HostCall::ClockTimeGet, &[0, 1000, 8], &[]);
    assert_eq!(e, errno::SUCCESS);
    let real = u64::from_le_bytes(segs[0].1.clone().try_into().unwrap());
    assert!(real > 1_600_000_000 * 1_000_000_000, "realtime is ns since the epoch");
    let (_, segs) = call(&mut c, HostCall::ClockTimeGet, &[1, 0, 8], &[]);
    let mono = u64::from_le_bytes(segs[0].1.clone().try_into().unwrap());
    assert!(mono < 60 * 1_000_000_000, "monotonic counts from the run's start");
    assert_eq!(call(&mut c, HostCall::ClockTimeGet, &[2, 0, 8], &[]).0, errno::SUCCESS);
    assert_eq!(call(&mut c, HostCall::ClockTimeGet, &[4, 0, 8], &[]).0, errno::INVAL);
    let (e, segs) = call(&mut c, HostCall::ClockResGet, &[1, 16], &[]);
    assert_eq!((e, segs), (errno::SUCCESS, vec![(16, 1u64.to_le_bytes().to_vec())]));
    assert_eq!(call(&mut c, HostCall::ClockResGet, &[99, 16], &[]).0, errno::INVAL);
}

#[test]
fn random_fills_and_is_bounded() {
    let mut c = ctx(b"");
    let (e, segs) = call(&mut c, HostCall::RandomGet, &[64, 33], &[]);
    assert_eq!(e, errno::SUCCESS);
    assert_eq!((segs[0].0, segs[0].1.len()), (64, 33));
    assert!(segs[0].1.iter().any(|&b| b != 0));
    let (_, again) = call(&mut c, HostCall::RandomGet, &[64, 33], &[]);
    assert_ne!(segs, again);
    let (e, segs) = call(&mut c, HostCall::RandomGet, &[0, HC_DATA_BYTES as u64], &[]);
    assert_eq!((e, segs.len()), (errno::INVAL, 0));
}

#[test]
fn unknown_and_device_calls_are_nosys() {
    let mut c = ctx(b"");
    let reply = service(&mut c, &Request { call: 999, args: [0; HC_MAX_ARGS], data: &[] });
    assert_eq!(reply.errno, errno::NOSYS);
    assert_eq!(call(&mut c, HostCall::SchedYield, &[], &[]).0, errno::NOSYS);
}
