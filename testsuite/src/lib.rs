//! Test support for vvc and vv-run.
//!
//! [`reference`] is the CPU reference engine for differential tests: it runs
//! the same `.wasm` (or `.wat`) on wasmi with a small WASI preview1 host
//! written here, so that the output of every VM that `vv-run` executes can be
//! compared with what the reference prints for the same argv, env and stdin.
//!
//! [`spec`] is the WebAssembly spec-test runner behind the `vv-spec` binary.

pub mod reference {
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    use wasmi::{
        Caller, Config, Engine, Error, Extern, Instance, Linker, Memory, Module, Store, Val,
        ValType, F32, F64,
    };

    /// What a WASI command did: everything it wrote to stdout and stderr and
    /// how it ended.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CommandOutcome {
        pub stdout: Vec<u8>,
        pub stderr: Vec<u8>,
        /// `Ok(code)`: `proc_exit(code)` or a return from `_start` (code 0).
        /// `Err(msg)`: a trap (see [`trap_kind`]) or a failure to load,
        /// link or instantiate the module.
        pub exit: Result<i32, String>,
    }

    impl CommandOutcome {
        /// stdout as (lossy) UTF-8.
        pub fn stdout_str(&self) -> String {
            String::from_utf8_lossy(&self.stdout).into_owned()
        }

        /// stderr as (lossy) UTF-8.
        pub fn stderr_str(&self) -> String {
            String::from_utf8_lossy(&self.stderr).into_owned()
        }
    }

    /// Limits for [`run_command_with`].
    #[derive(Debug, Clone, Default)]
    pub struct RunOptions {
        /// Stop with a trap ("all fuel consumed by WebAssembly") after about
        /// this many executed instructions. `None`: no limit.
        pub fuel: Option<u64>,
    }

    /// The wasi_snapshot_preview1 module name.
    const WASI: &str = "wasi_snapshot_preview1";

    // WASI preview1 errno values.
    const ESUCCESS: i32 = 0;
    const EBADF: i32 = 8;
    const EFAULT: i32 = 21;
    const EINVAL: i32 = 28;
    const ESPIPE: i32 = 70;

    /// Filetype UNKNOWN: stdio are pipes, as in vv-run (so stdout is fully
    /// buffered, and a run that traps loses the same unflushed output).
    const FILETYPE_PIPE: u8 = 0;
    /// FD_READ | FD_FDSTAT_SET_FLAGS | FD_WRITE | POLL_FD_READWRITE: what a
    /// pipe has (no FD_SEEK/FD_TELL).
    const STDIO_RIGHTS: u64 = 0x0800_004A;

    /// The state of the WASI host for one run.
    struct Host {
        args: Vec<Vec<u8>>,
        env: Vec<Vec<u8>>,
        stdin: Vec<u8>,
        stdin_pos: usize,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
        rng: u64,
        started: Instant,
        /// `serverless_invoke` has handed over stdin (a guest's one request in a batch run).
        invoked: bool,
    }

    impl Host {
        fn new(argv: &[String], env: &[(String, String)], stdin: &[u8]) -> Self {
            Host {
                args: argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
                env: env
                    .iter()
                    .map(|(k, v)| format!("{k}={v}").into_bytes())
                    .collect(),
                stdin: stdin.to_vec(),
                stdin_pos: 0,
                stdout: Vec::new(),
                stderr: Vec::new(),
                // Deterministic, so that reference runs are reproducible.
                rng: 0x853c_49e6_748f_ea9b,
                started: Instant::now(),
                invoked: false,
            }
        }

        fn next_random(&mut self) -> u64 {
            // splitmix64
            self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    /// Bounds-checked access to guest memory. Every method fails with
    /// `EFAULT` when the range is not inside the memory.
    struct Mem<'a>(&'a mut [u8]);

    impl Mem<'_> {
        fn range(&self, ptr: i32, len: usize) -> Result<std::ops::Range<usize>, i32> {
            let start = ptr as u32 as usize;
            let end = start.checked_add(len).ok_or(EFAULT)?;
            if end > self.0.len() {
                return Err(EFAULT);
            }
            Ok(start..end)
        }

        fn bytes(&self, ptr: i32, len: usize) -> Result<&[u8], i32> {
            let r = self.range(ptr, len)?;
            Ok(&self.0[r])
        }

        fn write(&mut self, ptr: i32, data: &[u8]) -> Result<(), i32> {
            let r = self.range(ptr, data.len())?;
            self.0[r].copy_from_slice(data);
            Ok(())
        }

        fn u32(&self, ptr: i32) -> Result<u32, i32> {
            let b = self.bytes(ptr, 4)?;
            Ok(u32::from_le_bytes(b.try_into().unwrap()))
        }

        fn write_u32(&mut self, ptr: i32, v: u32) -> Result<(), i32> {
            self.write(ptr, &v.to_le_bytes())
        }

        fn write_u64(&mut self, ptr: i32, v: u64) -> Result<(), i32> {
            self.write(ptr, &v.to_le_bytes())
        }

        /// The (ptr, len) pairs of an iovec array.
        fn iovecs(&self, iovs: i32, count: i32) -> Result<Vec<(i32, usize)>, i32> {
            let count = count as u32;
            let mut out = Vec::with_capacity(count.min(1024) as usize);
            for i in 0..count {
                let at = (iovs as u32)
                    .checked_add(i.checked_mul(8).ok_or(EFAULT)?)
                    .ok_or(EFAULT)?;
                let ptr = self.u32(at as i32)?;
                let len = self.u32(at.wrapping_add(4) as i32)?;
                out.push((ptr as i32, len as usize));
            }
            Ok(out)
        }
    }

    /// Runs `f` on the caller's exported memory and the host state; the
    /// errno it returns (or EFAULT without a memory) is the WASI result.
    fn with_mem(
        caller: &mut Caller<'_, Host>,
        f: impl FnOnce(&mut Mem<'_>, &mut Host) -> Result<(), i32>,
    ) -> i32 {
        let Some(memory) = caller.get_export("memory").and_then(Extern::into_memory) else {
            return EFAULT;
        };
        let (data, host) = memory_and_host(memory, caller);
        match f(&mut Mem(data), host) {
            Ok(()) => ESUCCESS,
            Err(errno) => errno,
        }
    }

    fn memory_and_host<'a>(
        memory: Memory,
        caller: &'a mut Caller<'_, Host>,
    ) -> (&'a mut [u8], &'a mut Host) {
        memory.data_and_store_mut(caller)
    }

    /// Writes a list of NUL-terminated strings (args or environ) the way
    /// args_get / environ_get do.
    fn write_strings(mem: &mut Mem<'_>, list: &[Vec<u8>], ptrs: i32, buf: i32) -> Result<(), i32> {
        let mut at = buf as u32;
        for (i, s) in list.iter().enumerate() {
            mem.write_u32((ptrs as u32).wrapping_add(4 * i as u32) as i32, at)?;
            mem.write(at as i32, s)?;
            mem.write(at.wrapping_add(s.len() as u32) as i32, &[0])?;
            at = at.wrapping_add(s.len() as u32 + 1);
        }
        Ok(())
    }

    fn write_sizes(
        mem: &mut Mem<'_>,
        list: &[Vec<u8>],
        count_ptr: i32,
        size_ptr: i32,
    ) -> Result<(), i32> {
        let size: usize = list.iter().map(|s| s.len() + 1).sum();
        mem.write_u32(count_ptr, list.len() as u32)?;
        mem.write_u32(size_ptr, size as u32)
    }

    fn is_stdio(fd: i32) -> bool {
        (0..=2).contains(&fd)
    }

    /// Defines the WASI preview1 functions this host supports.
    fn add_wasi(linker: &mut Linker<Host>) -> Result<(), Error> {
        linker.func_wrap(
            WASI,
            "args_sizes_get",
            |mut c: Caller<'_, Host>, count: i32, size: i32| -> i32 {
                with_mem(&mut c, |m, h| write_sizes(m, &h.args, count, size))
            },
        )?;
        linker.func_wrap(
            WASI,
            "args_get",
            |mut c: Caller<'_, Host>, ptrs: i32, buf: i32| -> i32 {
                with_mem(&mut c, |m, h| write_strings(m, &h.args, ptrs, buf))
            },
        )?;
        linker.func_wrap(
            WASI,
            "environ_sizes_get",
            |mut c: Caller<'_, Host>, count: i32, size: i32| -> i32 {
                with_mem(&mut c, |m, h| write_sizes(m, &h.env, count, size))
            },
        )?;
        linker.func_wrap(
            WASI,
            "environ_get",
            |mut c: Caller<'_, Host>, ptrs: i32, buf: i32| -> i32 {
                with_mem(&mut c, |m, h| write_strings(m, &h.env, ptrs, buf))
            },
        )?;
        linker.func_wrap(
            WASI,
            "clock_res_get",
            |mut c: Caller<'_, Host>, id: i32, out: i32| -> i32 {
                if !(0..=3).contains(&id) {
                    return EINVAL;
                }
                with_mem(&mut c, |m, _| m.write_u64(out, 1_000))
            },
        )?;
        linker.func_wrap(
            WASI,
            "clock_time_get",
            |mut c: Caller<'_, Host>, id: i32, _precision: i64, out: i32| -> i32 {
                with_mem(&mut c, |m, h| {
                    let ns = match id {
                        // REALTIME
                        0 => SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .map(|d| d.as_nanos() as u64)
                            .unwrap_or(0),
                        // MONOTONIC, PROCESS_CPUTIME, THREAD_CPUTIME
                        1..=3 => h.started.elapsed().as_nanos() as u64,
                        _ => return Err(EINVAL),
                    };
                    m.write_u64(out, ns)
                })
            },
        )?;
        linker.func_wrap(
            WASI,
            "fd_write",
            |mut c: Caller<'_, Host>, fd: i32, iovs: i32, count: i32, nwritten: i32| -> i32 {
                with_mem(&mut c, |m, h| {
                    let sink = match fd {
                        1 => &mut h.stdout,
                        2 => &mut h.stderr,
                        _ => return Err(EBADF),
                    };
                    let mut total = 0u32;
                    for (ptr, len) in m.iovecs(iovs, count)? {
                        sink.extend_from_slice(m.bytes(ptr, len)?);
                        total = total.wrapping_add(len as u32);
                    }
                    m.write_u32(nwritten, total)
                })
            },
        )?;
        linker.func_wrap(
            WASI,
            "fd_read",
            |mut c: Caller<'_, Host>, fd: i32, iovs: i32, count: i32, nread: i32| -> i32 {
                with_mem(&mut c, |m, h| {
                    if fd != 0 {
                        return Err(EBADF);
                    }
                    let mut total = 0u32;
                    for (ptr, len) in m.iovecs(iovs, count)? {
                        let rest = &h.stdin[h.stdin_pos..];
                        let n = len.min(rest.len());
                        m.write(ptr, &rest[..n])?;
                        h.stdin_pos += n;
                        total = total.wrapping_add(n as u32);
                        if n < len {
                            break;
                        }
                    }
                    m.write_u32(nread, total)
                })
            },
        )?;
        linker.func_wrap(WASI, "fd_close", |_: Caller<'_, Host>, fd: i32| -> i32 {
            if is_stdio(fd) {
                ESUCCESS
            } else {
                EBADF
            }
        })?;
        linker.func_wrap(
            WASI,
            "fd_seek",
            |_: Caller<'_, Host>, fd: i32, _offset: i64, _whence: i32, _out: i32| -> i32 {
                if is_stdio(fd) {
                    ESPIPE
                } else {
                    EBADF
                }
            },
        )?;
        linker.func_wrap(
            WASI,
            "fd_fdstat_get",
            |mut c: Caller<'_, Host>, fd: i32, out: i32| -> i32 {
                if !is_stdio(fd) {
                    return EBADF;
                }
                with_mem(&mut c, |m, _| {
                    // struct fdstat { u8 filetype; u16 flags; u64 rights_base; u64 rights_inheriting; }
                    let mut st = [0u8; 24];
                    st[0] = FILETYPE_PIPE;
                    st[8..16].copy_from_slice(&STDIO_RIGHTS.to_le_bytes());
                    m.write(out, &st)
                })
            },
        )?;
        linker.func_wrap(
            WASI,
            "fd_prestat_get",
            |_: Caller<'_, Host>, _fd: i32, _out: i32| -> i32 { EBADF },
        )?;
        linker.func_wrap(
            WASI,
            "fd_prestat_dir_name",
            |_: Caller<'_, Host>, _fd: i32, _path: i32, _len: i32| -> i32 { EBADF },
        )?;
        linker.func_wrap(
            WASI,
            "random_get",
            |mut c: Caller<'_, Host>, buf: i32, len: i32| -> i32 {
                with_mem(&mut c, |m, h| {
                    let mut bytes = Vec::with_capacity(len as u32 as usize);
                    while bytes.len() < len as u32 as usize {
                        bytes.extend_from_slice(&h.next_random().to_le_bytes());
                    }
                    bytes.truncate(len as u32 as usize);
                    m.write(buf, &bytes)
                })
            },
        )?;
        linker.func_wrap(
            WASI,
            "proc_exit",
            |_: Caller<'_, Host>, code: i32| -> Result<(), Error> { Err(Error::i32_exit(code)) },
        )?;
        linker.func_wrap(WASI, "sched_yield", |_: Caller<'_, Host>| -> i32 {
            ESUCCESS
        })?;
        add_serverless(linker)
    }

    /// The serverless calls of resident guests, as a batch run of vv-run gives them: the first
    /// `serverless_invoke` hands over stdin as the one request, the next ends the run with exit
    /// code 0; responses go to stdout.
    fn add_serverless(linker: &mut Linker<Host>) -> Result<(), Error> {
        linker.func_wrap(
            "env",
            "serverless_invoke",
            |mut caller: Caller<'_, Host>, buf: i32, cap: i32| -> Result<i32, Error> {
                if caller.data().invoked {
                    return Err(Error::i32_exit(0));
                }
                caller.data_mut().invoked = true;
                let mut len = 0;
                let errno = with_mem(&mut caller, |mem, host| {
                    let n = host.stdin.len().min(cap as u32 as usize);
                    mem.write(buf, &host.stdin[..n])?;
                    len = n as i32;
                    Ok(())
                });
                if errno != ESUCCESS {
                    return Err(Error::new("serverless_invoke: the buffer is outside memory"));
                }
                Ok(len)
            },
        )?;
        linker.func_wrap(
            "env",
            "serverless_response",
            |mut caller: Caller<'_, Host>, ptr: i32, len: i32| -> Result<(), Error> {
                let errno = with_mem(&mut caller, |mem, host| {
                    let bytes = mem.bytes(ptr, len as u32 as usize)?;
                    host.stdout.extend_from_slice(bytes);
                    Ok(())
                });
                if errno != ESUCCESS {
                    return Err(Error::new("serverless_response: the response is outside memory"));
                }
                Ok(())
            },
        )?;
        Ok(())
    }

    fn to_binary(wasm: &[u8]) -> Result<Vec<u8>, String> {
        wat::parse_bytes(wasm)
            .map(|b| b.into_owned())
            .map_err(|e| format!("invalid wasm/wat: {e}"))
    }

    /// Describes an error from wasmi: for a trap with a known kind the
    /// message starts with the kind's name from [`trap_kind`], then wasmi's
    /// own message, e.g. `"integer_divide_by_zero: integer divide by zero"`.
    fn describe(e: &Error) -> String {
        let msg = e.to_string();
        let msg = msg.trim_end();
        match trap_kind(msg) {
            Some(kind) if e.as_trap_code().is_some() => format!("{kind}: {msg}"),
            _ => msg.to_string(),
        }
    }

    /// Maps a trap message (from this module, wasmi, wasmtime or a spec
    /// test's `assert_trap`) to one of the names: unreachable,
    /// memory_out_of_bounds, integer_divide_by_zero, integer_overflow,
    /// invalid_conversion_to_integer, call_stack_exhausted,
    /// indirect_call_type_mismatch, undefined_element, uninitialized_element.
    pub fn trap_kind(msg: &str) -> Option<&'static str> {
        const NAMES: [&str; 10] = [
            "unreachable",
            "memory_out_of_bounds",
            "integer_divide_by_zero",
            "integer_overflow",
            "invalid_conversion_to_integer",
            "call_stack_exhausted",
            "indirect_call_type_mismatch",
            "undefined_element",
            "uninitialized_element",
            "table_out_of_bounds",
        ];
        let lower = msg.to_ascii_lowercase();
        // Our own "kind: message" form.
        let head = lower.split(':').next().unwrap_or("").trim();
        if let Some(name) = NAMES.iter().find(|n| **n == head) {
            return Some(name);
        }
        const PHRASES: [(&str, &str); 14] = [
            ("unreachable", "unreachable"),
            ("out of bounds memory", "memory_out_of_bounds"),
            ("memory out of bounds", "memory_out_of_bounds"),
            ("memory access out of bounds", "memory_out_of_bounds"),
            ("divide by zero", "integer_divide_by_zero"),
            ("division by zero", "integer_divide_by_zero"),
            ("integer overflow", "integer_overflow"),
            (
                "invalid conversion to integer",
                "invalid_conversion_to_integer",
            ),
            ("call stack exhausted", "call_stack_exhausted"),
            ("stack overflow", "call_stack_exhausted"),
            ("indirect call type mismatch", "indirect_call_type_mismatch"),
            ("uninitialized element", "uninitialized_element"),
            ("undefined element", "undefined_element"),
            ("out of bounds table access", "undefined_element"),
        ];
        PHRASES
            .iter()
            .find(|(p, _)| lower.contains(p))
            .map(|(_, name)| *name)
    }

    fn engine(fuel: bool) -> Engine {
        let mut config = Config::default();
        config.consume_fuel(fuel);
        Engine::new(&config)
    }

    /// Runs a WASI command: calls its `_start` with `argv` (argv[0] is the
    /// program name), `env` and `stdin`. `wasm` is a binary module or text.
    pub fn run_command(
        wasm: &[u8],
        argv: &[String],
        env: &[(String, String)],
        stdin: &[u8],
    ) -> CommandOutcome {
        run_command_with(wasm, argv, env, stdin, &RunOptions::default())
    }

    /// [`run_command`] with limits.
    pub fn run_command_with(
        wasm: &[u8],
        argv: &[String],
        env: &[(String, String)],
        stdin: &[u8],
        options: &RunOptions,
    ) -> CommandOutcome {
        match Command::with_options(wasm, options) {
            Ok(command) => command.run(argv, env, stdin),
            Err(e) => CommandOutcome {
                stdout: Vec::new(),
                stderr: Vec::new(),
                exit: Err(e),
            },
        }
    }

    /// A WASI command compiled once, to run many times (one run per VM of a
    /// differential test) without compiling the module again. `Send + Sync`:
    /// runs may go on several threads at once.
    pub struct Command {
        engine: Engine,
        module: Module,
        linker: Linker<Host>,
        fuel: Option<u64>,
    }

    impl Command {
        /// Compiles `wasm` (binary or text). Err: it does not parse or
        /// validate.
        pub fn new(wasm: &[u8]) -> Result<Self, String> {
            Self::with_options(wasm, &RunOptions::default())
        }

        /// [`Command::new`] with limits for each run.
        pub fn with_options(wasm: &[u8], options: &RunOptions) -> Result<Self, String> {
            let engine = engine(options.fuel.is_some());
            let binary = to_binary(wasm)?;
            let module =
                Module::new(&engine, &binary).map_err(|e| format!("invalid module: {e}"))?;
            let mut linker = Linker::new(&engine);
            add_wasi(&mut linker).map_err(|e| e.to_string())?;
            Ok(Command {
                engine,
                module,
                linker,
                fuel: options.fuel,
            })
        }

        /// One run, in a fresh instance: see [`run_command`].
        pub fn run(
            &self,
            argv: &[String],
            env: &[(String, String)],
            stdin: &[u8],
        ) -> CommandOutcome {
            let mut store = Store::new(&self.engine, Host::new(argv, env, stdin));
            let exit = self.start(&mut store);
            let host = store.into_data();
            CommandOutcome {
                stdout: host.stdout,
                stderr: host.stderr,
                exit,
            }
        }

        fn start(&self, store: &mut Store<Host>) -> Result<i32, String> {
            if let Some(fuel) = self.fuel {
                store.set_fuel(fuel).map_err(|e| e.to_string())?;
            }
            let outcome = self
                .linker
                .instantiate_and_start(&mut *store, &self.module)
                .and_then(|instance| {
                    let start = instance
                        .get_func(&*store, "_start")
                        .ok_or_else(|| Error::new("the module exports no function `_start`"))?;
                    start.call(&mut *store, &[], &mut [])
                });
            match outcome {
                Ok(()) => Ok(0),
                Err(e) => match e.i32_exit_status() {
                    Some(code) => Ok(code),
                    None => Err(describe(&e)),
                },
            }
        }
    }

    /// An instantiated module whose exports can be called repeatedly, with
    /// state (memory, globals, tables) kept between calls, as a spec test's
    /// assertions on one module need. Its WASI imports, if any, see empty
    /// argv, env and stdin.
    pub struct ModuleInstance {
        store: Store<Host>,
        instance: Instance,
    }

    impl ModuleInstance {
        /// Compiles and instantiates `wasm` (binary or text), running its
        /// start function. Err: a trap in the start function, or a module
        /// that does not load or link.
        pub fn new(wasm: &[u8]) -> Result<Self, String> {
            let engine = engine(false);
            let binary = to_binary(wasm)?;
            let module =
                Module::new(&engine, &binary).map_err(|e| format!("invalid module: {e}"))?;
            let mut linker = Linker::new(&engine);
            add_wasi(&mut linker).map_err(|e| e.to_string())?;
            let mut store = Store::new(&engine, Host::new(&[], &[], &[]));
            let instance = linker
                .instantiate_and_start(&mut store, &module)
                .map_err(|e| describe(&e))?;
            Ok(ModuleInstance { store, instance })
        }

        /// Calls the exported function `export` with raw-bit arguments: i32
        /// and f32 as their u32 bits zero-extended, i64 and f64 as their u64
        /// bits. Results come back the same way. Err: a trap (message as
        /// [`trap_kind`] reads it) or a bad export name or argument count.
        pub fn invoke(&mut self, export: &str, args: &[u64]) -> Result<Vec<u64>, String> {
            let func = self
                .instance
                .get_func(&self.store, export)
                .ok_or_else(|| format!("no exported function `{export}`"))?;
            let ty = func.ty(&self.store);
            if ty.params().len() != args.len() {
                return Err(format!(
                    "`{export}` takes {} arguments, {} given",
                    ty.params().len(),
                    args.len()
                ));
            }
            let params = ty
                .params()
                .iter()
                .zip(args)
                .map(|(ty, &bits)| match ty {
                    ValType::I32 => Ok(Val::I32(bits as u32 as i32)),
                    ValType::I64 => Ok(Val::I64(bits as i64)),
                    ValType::F32 => Ok(Val::F32(F32::from_bits(bits as u32))),
                    ValType::F64 => Ok(Val::F64(F64::from_bits(bits))),
                    other => Err(format!("unsupported parameter type {other:?}")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut results: Vec<Val> = ty
                .results()
                .iter()
                .map(|t| Val::default_for_ty(*t))
                .collect();
            func.call(&mut self.store, &params, &mut results)
                .map_err(|e| describe(&e))?;
            results
                .iter()
                .map(|v| match v {
                    Val::I32(x) => Ok(*x as u32 as u64),
                    Val::I64(x) => Ok(*x as u64),
                    Val::F32(x) => Ok(x.to_bits() as u64),
                    Val::F64(x) => Ok(x.to_bits()),
                    other => Err(format!("unsupported result {other:?}")),
                })
                .collect()
        }

        /// The raw bits of the exported global `name` (i32 and f32 zero-extended).
        pub fn global(&self, name: &str) -> Option<u64> {
            let g = self.instance.get_global(&self.store, name)?;
            match g.get(&self.store) {
                Val::I32(x) => Some(x as u32 as u64),
                Val::I64(x) => Some(x as u64),
                Val::F32(x) => Some(x.to_bits() as u64),
                Val::F64(x) => Some(x.to_bits()),
                _ => None,
            }
        }

        /// Everything the instance wrote to stdout so far.
        pub fn stdout(&self) -> &[u8] {
            &self.store.data().stdout
        }
    }

    /// Instantiates `wasm` (binary or text; no imports, or only WASI ones)
    /// and calls `export` once. See [`ModuleInstance::invoke`].
    pub fn invoke(wasm: &[u8], export: &str, args: &[u64]) -> Result<Vec<u64>, String> {
        ModuleInstance::new(wasm)?.invoke(export, args)
    }
}

#[cfg(test)]
mod tests {
    use super::reference::{
        invoke, run_command, run_command_with, trap_kind, Command, ModuleInstance, RunOptions,
    };

    fn guest(name: &str) -> Vec<u8> {
        let path = format!("{}/guests/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run `make guests`)"))
    }

    fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    /// The value of `key=` in a line of `key=value` fields.
    fn field<'a>(out: &'a str, key: &str) -> &'a str {
        let pat = format!("{key}=");
        for line in out.lines() {
            for word in line.split(' ') {
                if let Some(v) = word.strip_prefix(&pat) {
                    return v;
                }
            }
        }
        panic!("no field {key} in:\n{out}")
    }

    #[test]
    fn hello_prints_argv_and_numbers() {
        let wasm = guest("hello");
        let out = run_command(&wasm, &argv(&["hello", "Ada"]), &[], b"");
        assert_eq!(out.exit, Ok(0));
        let s = out.stdout_str();
        assert!(s.starts_with("Hello, Ada!\n"), "{s}");
        assert_eq!(field(&s, "argc"), "2");
        assert_eq!(field(&s, "ratio"), "0.143");
        assert_eq!(out.stderr_str(), "hello: stderr line for Ada\n");

        let out = run_command(&wasm, &argv(&["hello", "41"]), &[], b"");
        assert_eq!(out.exit, Ok(0));
        let s = out.stdout_str();
        assert!(s.starts_with("Hello, 41!\n"), "{s}");
        assert_eq!(field(&s, "square"), "1681");
        assert_eq!(field(&s, "neg"), "-42");
        assert_eq!(field(&s, "ratio"), "6.000");
        assert_eq!(
            field(&s, "hex"),
            format!("0x{:08x}", 41u32.wrapping_mul(2654435761))
        );

        let out = run_command(&wasm, &argv(&["hello"]), &[], b"");
        assert!(out.stdout_str().starts_with("Hello, world!\n"));
    }

    /// What sortrec prints, computed here the same way.
    fn sortrec_expected(seed: u32) -> (String, i32) {
        fn ack(m: u32, n: u32) -> u32 {
            if m == 0 {
                n + 1
            } else if n == 0 {
                ack(m - 1, 1)
            } else {
                ack(m - 1, ack(m, n - 1))
            }
        }
        fn fib(n: u32) -> u32 {
            if n < 2 {
                n
            } else {
                fib(n - 1) + fib(n - 2)
            }
        }
        let mut rng = seed.wrapping_mul(2654435761).wrapping_add(1);
        if rng == 0 {
            rng = 1;
        }
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng
        };
        let mut s = format!(
            "seed={seed} ack={} fib={}\n",
            ack(2 + seed % 2, seed % 5),
            fib(10 + seed % 10)
        );
        let n = (100 + seed % 200) as usize;
        let mut a: Vec<i32> = (0..n).map(|_| (next() % 20001) as i32 - 10000).collect();
        a.sort();
        let sum = a
            .iter()
            .fold(0u32, |acc, &x| acc.wrapping_mul(31).wrapping_add(x as u32));
        s += &format!("n={n} min={} median={} max={}\n", a[0], a[n / 2], a[n - 1]);
        a.sort_by(|x, y| {
            ((*y as u32) & 0xff)
                .cmp(&((*x as u32) & 0xff))
                .then(x.cmp(y))
        });
        s += &format!("by low byte: {} {} {}\n", a[0], a[1], a[n - 1]);
        let mut acc = seed;
        for &x in &a {
            let b = x as u32;
            acc = match b % 5 {
                0 => acc.wrapping_add(b),
                1 => acc.wrapping_sub(b),
                2 => acc.wrapping_mul(b),
                3 => acc ^ b,
                _ => acc.rotate_left(b & 31),
            };
        }
        s += &format!("checksum={sum:08x} ops={acc:08x}\n");
        if seed % 7 == 5 {
            s += "exiting from depth\n";
            return (s, 5);
        }
        let d = 50 + seed % 50;
        s += &format!("depth_sum={}\n", d * (d + 1) / 2);
        (s, if seed % 7 == 3 { 3 } else { 0 })
    }

    #[test]
    fn sortrec_matches_a_rust_model_and_exit_codes() {
        let wasm = guest("sortrec");
        for seed in [0u32, 1, 3, 5, 12, 4095] {
            let out = run_command(&wasm, &argv(&["sortrec", &seed.to_string()]), &[], b"");
            let (stdout, code) = sortrec_expected(seed);
            assert_eq!(out.stdout_str(), stdout, "seed {seed}");
            assert_eq!(out.exit, Ok(code), "seed {seed}");
            assert!(out.stderr.is_empty());
        }
    }

    fn parse(out: &str, key: &str) -> f64 {
        field(out, key).parse().unwrap()
    }

    #[test]
    fn mathlib_agrees_with_host_libm() {
        let wasm = guest("mathlib");
        for n in [0i64, 100, 2048, 4095] {
            let out = run_command(&wasm, &argv(&["mathlib", &n.to_string()]), &[], b"");
            assert_eq!(out.exit, Ok(0));
            let s = out.stdout_str();
            let x = (n % 4096) as f64 / 64.0 - 32.0 + 0.1234567;
            let y = ((n * 7 + 13) % 4096) as f64 / 64.0 + 0.0078125;
            // %.17g round-trips exactly.
            assert_eq!(parse(&s, "x"), x);
            assert_eq!(parse(&s, "y"), y);
            // Correctly rounded operations must be bit-exact.
            assert_eq!(parse(&s, "sqrt"), y.sqrt());
            assert_eq!(parse(&s, "floor"), (x * 3.3).floor());
            assert_eq!(parse(&s, "fmod"), x % (y / 3.0 + 0.5));
            // libm functions: musl in the guest against the host's libm.
            let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300);
            assert!(close(parse(&s, "sin"), x.sin()), "{s}");
            assert!(close(parse(&s, "cos"), x.cos()), "{s}");
            assert!(close(parse(&s, "exp"), (x / 4.0).exp()), "{s}");
            assert!(close(parse(&s, "log"), y.ln()), "{s}");
            assert!(close(parse(&s, "pow"), y.powf(x / 8.0)), "{s}");
            assert!(close(parse(&s, "atan2"), x.atan2(y - 20.0)), "{s}");
            let line = s.lines().find(|l| l.starts_with("f: pow=")).unwrap();
            let sqrtf: f32 = field(line, "sqrt").parse().unwrap();
            assert_eq!(sqrtf, (y as f32).sqrt());
            assert!(s.contains("acc=") && s.contains("accf="));
        }
    }

    fn fnv1a(data: &[u8]) -> u32 {
        data.iter()
            .fold(2166136261u32, |h, &b| (h ^ b as u32).wrapping_mul(16777619))
    }

    #[test]
    fn echo_stdin_counts_its_input() {
        let wasm = guest("echo_stdin");
        let input = b"hello world\n  foo bar\tbaz \n\nlast line without newline";
        let out = run_command(&wasm, &argv(&["echo_stdin", "vm7"]), &[], input);
        assert_eq!(out.exit, Ok(0));
        assert_eq!(
            out.stdout_str(),
            format!(
                "label=vm7\nfirst=hello world\nlines=4 words=9 bytes={} hash={:08x}\n",
                input.len(),
                fnv1a(input)
            )
        );

        // A line longer than the fgets buffer still counts once.
        let mut long = vec![b'a'; 300];
        long.extend_from_slice(b" b\nc\n");
        let out = run_command(&wasm, &argv(&["echo_stdin"]), &[], &long);
        let s = out.stdout_str();
        assert_eq!(field(&s, "lines"), "2");
        assert_eq!(field(&s, "words"), "3");
        assert_eq!(field(&s, "bytes"), "305");
        assert_eq!(field(&s, "first").len(), 100);

        let out = run_command(&wasm, &argv(&["echo_stdin"]), &[], b"");
        assert!(out
            .stdout_str()
            .ends_with("lines=0 words=0 bytes=0 hash=811c9dc5\n"));
    }

    const WAT_HELLO_EXIT: &str = r#"
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "hi from wat\n")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 12))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (drop (call $env_sizes (i32.const 32) (i32.const 36)))
            ;; exit code: 10 * env count + (bytes written == 12)
            (call $exit (i32.add (i32.mul (i32.load (i32.const 32)) (i32.const 10))
                                 (i32.eq (i32.load (i32.const 8)) (i32.const 12))))
            unreachable))
    "#;

    #[test]
    fn wat_command_proc_exit_and_environ() {
        let env = vec![
            ("A".to_string(), "1".to_string()),
            ("BB".to_string(), "two".to_string()),
        ];
        let out = run_command(WAT_HELLO_EXIT.as_bytes(), &argv(&["x"]), &env, b"");
        assert_eq!(out.stdout, b"hi from wat\n");
        assert_eq!(out.exit, Ok(21));
    }

    #[test]
    fn compiled_command_runs_many_times_on_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Command>();
        let command = Command::new(&guest("hello")).unwrap();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let command = &command;
                    s.spawn(move || {
                        for vm in (t..64).step_by(4) {
                            let out = command.run(&argv(&["hello", &vm.to_string()]), &[], b"");
                            assert_eq!(out.exit, Ok(0));
                            assert!(out.stdout_str().starts_with(&format!("Hello, {vm}!\n")));
                        }
                    })
                })
                .collect();
            handles.into_iter().for_each(|h| h.join().unwrap());
        });
    }

    #[test]
    fn trap_in_start_is_reported() {
        let wat = r#"(module (func (export "_start") unreachable))"#;
        let out = run_command(wat.as_bytes(), &argv(&["t"]), &[], b"");
        let msg = out.exit.unwrap_err();
        assert_eq!(trap_kind(&msg), Some("unreachable"), "{msg}");
        assert!(msg.starts_with("unreachable: "), "{msg}");
    }

    #[test]
    fn fuel_limit_stops_an_endless_loop() {
        let wat = r#"(module (func (export "_start") (loop (br 0))))"#;
        let out = run_command_with(
            wat.as_bytes(),
            &argv(&["t"]),
            &[],
            b"",
            &RunOptions { fuel: Some(10_000) },
        );
        let msg = out.exit.unwrap_err();
        assert!(msg.contains("fuel"), "{msg}");
        assert_eq!(trap_kind(&msg), None);
    }

    #[test]
    fn missing_start_and_unknown_import_are_errors() {
        let out = run_command(b"(module)", &argv(&["t"]), &[], b"");
        assert!(out.exit.unwrap_err().contains("_start"));
        let wat = r#"(module (import "env" "f" (func)) (func (export "_start")))"#;
        let out = run_command(wat.as_bytes(), &argv(&["t"]), &[], b"");
        assert!(out.exit.is_err());
    }

    const WAT_TRAPS: &str = r#"
        (module
          (type $v_i (func (result i32)))
          (type $i_i (func (param i32) (result i32)))
          (memory 1)
          (table 3 funcref)
          (elem (i32.const 0) $one $id)
          (func $one (type $v_i) (i32.const 1))
          (func $id (type $i_i) (local.get 0))
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
          (func (export "mulf32") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
          (func (export "negf64") (param f64) (result f64) (f64.neg (local.get 0)))
          (func (export "two") (result i32 i64) (i32.const -1) (i64.const -2))
          (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "unreachable") unreachable)
          (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
          (func $rec (export "rec") (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))
          (func (export "call_v_i") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
          (global $g (mut i32) (i32.const 0))
          (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g)))
    "#;

    #[test]
    fn invoke_raw_bits() {
        let m = WAT_TRAPS.as_bytes();
        assert_eq!(invoke(m, "add", &[0xffff_ffff, 2]), Ok(vec![1]));
        assert_eq!(invoke(m, "add64", &[u64::MAX, 2]), Ok(vec![1]));
        assert_eq!(
            invoke(
                m,
                "mulf32",
                &[1.5f32.to_bits() as u64, (-2.0f32).to_bits() as u64]
            ),
            Ok(vec![(-3.0f32).to_bits() as u64])
        );
        // NaN payloads pass through untouched.
        assert_eq!(
            invoke(m, "negf64", &[0x7ff8_0000_0000_1234]),
            Ok(vec![0xfff8_0000_0000_1234])
        );
        assert_eq!(invoke(m, "two", &[]), Ok(vec![0xffff_ffff, u64::MAX - 1]));
        assert_eq!(invoke(m, "call_v_i", &[0]), Ok(vec![1]));
        assert!(invoke(m, "nope", &[]).is_err());
        assert!(invoke(m, "add", &[1]).is_err());

        // State persists between calls on one instance.
        let mut inst = ModuleInstance::new(m).unwrap();
        assert_eq!(inst.invoke("bump", &[]), Ok(vec![1]));
        assert_eq!(inst.invoke("bump", &[]), Ok(vec![2]));
    }

    #[test]
    fn invoke_traps_map_to_kinds() {
        let m = WAT_TRAPS.as_bytes();
        let kind = |export: &str, args: &[u64]| {
            let msg = invoke(m, export, args).unwrap_err();
            trap_kind(&msg).unwrap_or_else(|| panic!("unknown trap {msg}"))
        };
        assert_eq!(kind("unreachable", &[]), "unreachable");
        assert_eq!(kind("div_s", &[7, 0]), "integer_divide_by_zero");
        assert_eq!(
            kind("div_s", &[0x8000_0000, 0xffff_ffff]),
            "integer_overflow"
        );
        assert_eq!(kind("load", &[65534]), "memory_out_of_bounds");
        assert_eq!(
            kind("trunc", &[f64::NAN.to_bits()]),
            "invalid_conversion_to_integer"
        );
        assert_eq!(kind("trunc", &[3e9f64.to_bits()]), "integer_overflow");
        assert_eq!(kind("rec", &[0]), "call_stack_exhausted");
        assert_eq!(kind("call_v_i", &[1]), "indirect_call_type_mismatch");
        assert_eq!(kind("call_v_i", &[2]), "uninitialized_element");
        assert_eq!(kind("call_v_i", &[3]), "undefined_element");
        // The message carries the kind first.
        let msg = invoke(m, "div_s", &[1, 0]).unwrap_err();
        assert!(msg.starts_with("integer_divide_by_zero: "), "{msg}");
    }

    #[test]
    fn trap_kind_reads_other_engines_messages() {
        assert_eq!(
            trap_kind("wasm trap: integer divide by zero"),
            Some("integer_divide_by_zero")
        );
        assert_eq!(
            trap_kind("out of bounds memory access"),
            Some("memory_out_of_bounds")
        );
        assert_eq!(trap_kind("undefined element"), Some("undefined_element"));
        assert_eq!(
            trap_kind("uninitialized element 2"),
            Some("uninitialized_element")
        );
        assert_eq!(
            trap_kind("indirect call type mismatch"),
            Some("indirect_call_type_mismatch")
        );
        assert_eq!(
            trap_kind("call_stack_exhausted"),
            Some("call_stack_exhausted")
        );
        assert_eq!(trap_kind("all fuel consumed by WebAssembly"), None);
    }
}

pub mod spec;
