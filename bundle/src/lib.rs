//! The `.vvk` bundle: the one artifact between `vvc` and `vv-run`, and the device ABI both sides
//! agree on (status words, trap codes, hypercall layout). Nothing here knows walrus, tera or OpenCL.

pub mod abi;
mod format;

pub use format::{read_bundle, write_bundle, BundleError, FORMAT_VERSION, MAGIC};

use bincode::{Decode, Encode};

/// Everything `vv-run` needs to run a compiled program.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Bundle {
    /// sha256 of everything that determines the output (input bytes, options, compiler, templates).
    pub content_hash: [u8; 32],
    /// File name the program was built from, for messages.
    pub source_name: String,
    /// Version of the compiler that wrote the bundle.
    pub compiler_version: String,
    pub options: BuildOptions,
    /// The OpenCL C programs, one per partition of the functions, each built on its own (in
    /// parallel): the runtime prelude, the partition's functions, a dispatcher over them and a
    /// `vv_run` kernel; the first also has the `vv_init` and `vv_reset` kernels.
    pub partitions: Vec<String>,
    /// The partition that holds each function, by function id. A VM whose next function is in
    /// another partition leaves `vv_run` RUNNING, and the host launches that partition.
    pub partition_of: Vec<u32>,
    /// When `partitions` splits the program: all of it as one OpenCL program (same functions, same
    /// VM state), which runs without launches between partitions but builds longer. A GPU starts
    /// on the partitions, built in parallel, while this one builds, then continues on it.
    pub whole: Option<String>,
    pub memory: MemoryLayout,
    /// Initial value bits of every global, in index order (i32/f32 zero-extended to 64 bits).
    pub globals: Vec<u64>,
    /// Exported functions and globals a host may invoke, each with its invoke index.
    pub exports: Vec<Export>,
    /// Host calls (WASI imports) the program uses.
    pub imports: Vec<ImportUse>,
    /// Function names by function id (name section, or a generated name).
    pub function_names: Vec<String>,
    /// Stack slots at the bottom of each VM's call stack that carry invoke arguments and results.
    /// The entry frame starts right above them.
    pub invoke_slots: u32,
    /// Rows (8-byte slots) of each VM's call stack buffer: invoke slots, the call stack, and slack
    /// for the arguments of a call that is about to overflow.
    pub stack_rows: u32,
    /// Function id of the synthetic entry every VM starts in (runs `start`, then the invoke).
    pub entry_function: u32,
    /// Invoke index of the WASI command entry (`_start`), if the program has one.
    pub command_entry: Option<u32>,
}

/// Options given to `vvc build` that shape the generated code and the VM layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct BuildOptions {
    /// Largest linear memory one VM may grow to, in bytes (a multiple of 64 KiB).
    pub heap_size: u64,
    /// Call-stack bytes per VM.
    pub stack_size: u64,
    /// Memory interleave granularity in bytes: a power of two from 1 to 65536.
    pub interleave: u32,
    /// Fuel per launch: loop iterations and calls a VM may run before it yields to the host.
    pub fuel: u64,
    /// Most lines of generated functions per partition (OpenCL program), about; 0 keeps one.
    pub partition_lines: u32,
    /// Call functions that never leave the kernel as plain OpenCL functions, not through the
    /// dispatcher.
    pub direct_calls: bool,
    /// Inline every function into the dispatcher in the whole program (the partitions a cold start
    /// begins on stay as they are).
    pub inline_functions: bool,
    /// Most registers a work-item may use on devices whose compiler takes a cap (NVIDIA's
    /// `-cl-nv-maxrregcount`); fewer registers fit more VMs on the device at once. 0: no cap.
    pub max_registers: u32,
    /// Every write to stdout is a hypercall the host serves, instead of being written on the
    /// device (`abi::HC_OUT`); the VM's launch ends at each write.
    pub stdout_on_host: bool,
    /// How the dispatcher picks, on GPUs that can, which of a warp's lanes run each round.
    pub warp_gather: WarpGather,
}

/// Which of a warp's VMs the dispatcher runs each round, on NVIDIA GPUs of compute capability 8
/// on (other devices run every VM each round). Lanes that drifted into different functions run
/// them one group after the other; picking one function a round lets them meet again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode, Default)]
pub enum WarpGather {
    /// The VMs in the function most of the warp's VMs are in.
    #[default]
    Majority,
    /// The VMs in the function of lowest index any of them is in.
    Lowest,
    /// The VMs in the function of the VM deepest in its call stack (highest frame pointer).
    Deepest,
    /// Every VM, each in its own function.
    Off,
}

impl WarpGather {
    /// The device compiler's define that selects it in the prelude, if any.
    pub fn define(self) -> Option<&'static str> {
        match self {
            WarpGather::Majority => Some("-DVV_GATHER_MAJORITY"),
            WarpGather::Lowest => Some("-DVV_GATHER_LOWEST"),
            WarpGather::Deepest => Some("-DVV_GATHER_DEEPEST"),
            WarpGather::Off => None,
        }
    }
}

impl BuildOptions {
    pub fn heap_pages(&self) -> u32 {
        (self.heap_size / abi::PAGE_SIZE) as u32
    }
    pub fn stack_slots(&self) -> u32 {
        (self.stack_size / 8) as u32
    }
}

/// Programs larger than this get partitions besides the whole program: NVIDIA's compiler takes
/// about 1.2-2.5 ms a line, so a GPU starts on partitions that build in parallel while the whole
/// program, which runs faster, builds (testsuite/bench/RESULTS.md).
pub const DEFAULT_PARTITION_LINES: u32 = 10000;

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions { heap_size: 4 << 20, stack_size: 128 << 10, interleave: 1, fuel: 1 << 20, partition_lines: DEFAULT_PARTITION_LINES, direct_calls: false, inline_functions: false, max_registers: 0, stdout_on_host: false, warp_gather: WarpGather::Majority }
    }
}

/// The linear memory every VM starts with.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct MemoryLayout {
    /// Whether the module has a linear memory at all.
    pub present: bool,
    pub initial_pages: u32,
    /// The most pages a VM may grow to: the module's maximum, capped by the heap size.
    pub max_pages: u32,
    /// Initial contents from address 0 (active data segments applied); the rest is zero.
    pub image: Vec<u8>,
}

/// The Wasm value types at the host boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    /// A function reference: the function's id, or `abi::REF_NULL`.
    FuncRef,
    /// A host reference: the host's 32-bit value, or `abi::REF_NULL`.
    ExternRef,
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// What an export is. A host reads an exported global by invoking it like a function of no
/// parameters that returns the global's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum ExportKind {
    Function,
    Global,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Export {
    pub name: String,
    pub kind: ExportKind,
    /// Function id of an exported function; global index of an exported global.
    pub function: u32,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
    /// Index a host writes into a VM's invoke word to call this export.
    pub invoke_index: u32,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct ImportUse {
    pub module: String,
    pub name: String,
    pub call: abi::HostCall,
}

impl Bundle {
    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }

    pub fn hash_hex(&self) -> String {
        self.content_hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn function_name(&self, id: u32) -> &str {
        self.function_names.get(id as usize).map(String::as_str).unwrap_or("<unknown>")
    }

    /// Lines of OpenCL C of the largest partition.
    pub fn largest_partition_lines(&self) -> usize {
        self.partitions.iter().map(|p| p.lines().count()).max().unwrap_or(0)
    }

    /// Lines of OpenCL C of all partitions together.
    pub fn opencl_lines(&self) -> usize {
        self.partitions.iter().map(|p| p.lines().count()).sum()
    }

    /// Lines of OpenCL C of the whole program (the one partition when it is not split).
    pub fn whole_lines(&self) -> usize {
        self.whole.as_deref().map_or_else(|| self.opencl_lines(), |w| w.lines().count())
    }
}
