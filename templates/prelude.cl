/* vv runtime prelude: VM context, traps, interleaved memory, Wasm numeric semantics, hypercalls.
 * Generated functions call only what is defined here; subtle semantics live in this one file. */

#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

/* VM status words and state fields (bundle/src/abi.rs). */
#define VV_STATUS_RUNNING 0u
#define VV_STATUS_HYPERCALL 1u
#define VV_STATUS_EXITED 2u
#define VV_STATUS_TRAPPED 3u
#define VV_STATE_STATUS 0u
#define VV_STATE_FUNC 1u
#define VV_STATE_RESUME 2u
#define VV_STATE_FP 3u
#define VV_STATE_PAGES 4u
#define VV_STATE_CODE 5u
#define VV_STATE_TRAP_FUNC 6u
#define VV_STATE_INVOKE 7u

/* Trap codes (abi::Trap). */
#define VV_TRAP_UNREACHABLE 1u
#define VV_TRAP_OOB 2u
#define VV_TRAP_DIV_ZERO 3u
#define VV_TRAP_INT_OVERFLOW 4u
#define VV_TRAP_BAD_CONVERSION 5u
#define VV_TRAP_STACK_EXHAUSTED 6u
#define VV_TRAP_SIGNATURE 7u
#define VV_TRAP_TABLE_BOUNDS 8u
#define VV_TRAP_NULL_ELEMENT 9u
#define VV_TRAP_TABLE_OOB 10u
#define VV_TRAP_RUNAWAY 11u

/* Fuel a VM may run into debt inside functions called directly, whose loops cannot yield: past
   it the VM traps (VV_TRAP_RUNAWAY) rather than hold up the whole launch. */
#ifndef VV_FUEL_FLOOR
#define VV_FUEL_FLOOR (-(1 << 30))
#endif

/* A null funcref or externref (abi::REF_NULL). */
#define VV_REF_NULL 0xffffffffu

/* Hypercall header words and data buffer (abi::HC_*). */
#define VV_HC_WORDS 17u
#define VV_HC_CALL 0u
#define VV_HC_ARGS 1u
#define VV_HC_RESULT 11u
#define VV_HC_LEN 12u
#define VV_HC_STDIN_AT 13u
#define VV_HC_STDIN_LEFT 14u
#define VV_HC_ARGS_AT 15u
#define VV_HC_OUT 16u
#define VV_HC_DATA_BYTES 65536u
#define VV_HC_OUT_BYTES 65536u

#define VV_PAGE_SIZE 65536ul

/* Everything one VM needs while it runs; lives in private memory for one launch. */
typedef struct {
    __global uchar *mem;
    __global ulong *stack;
    __global ulong *globals;
    __global ulong *hc_hdr;
    __global uchar *hc_data;
    __global uchar *hc_out;
    __global const uchar *stdin_data;
    uint nvms;
    uint id;
    ulong mem_bytes;
    uint pages;
    uint status;
    uint func;
    uint resume;
    uint fp;
    uint code;
    uint invoke;
    int fuel;
#ifdef VV_COUNT_LANES
    float warp_issues;
#endif
#ifdef VV_COUNT_MEMORY
    ulong accesses;
    ulong accessed_bytes;
#endif
} vm_t;

/* NVIDIA only (inline PTX; vv-run defines VV_WARP_SYNC on GPUs from Volta on, and
   `--cl-options=-DVV_NO_WARP_SYNC` turns it off): the dispatcher waits, at the top of every
   round, for the lanes of its warp that have not exited, so that lanes split by a branch run
   together again instead of one group after the other (H100, 16384 VMs: nbody's kernel 33%
   faster, wordfreq 14%, sortbench 6%, json 5%, scrypt and regex unchanged). Every lane still
   running comes back to the dispatcher and a lane whose VM stopped leaves the kernel, so the wait
   always ends. */
#if defined(VV_WARP_SYNC) && !defined(VV_NO_WARP_SYNC)
#define VV_RECONVERGE() __asm__ volatile("bar.warp.sync -1;" ::: "memory")
#else
#define VV_RECONVERGE()
#endif

/* NVIDIA only, compute capability 8 on (inline PTX, with VV_WARP_SYNC; `vvc build --warp-gather`):
   of the lanes back at the dispatcher, only those in one function run this round, the others wait
   for a round of their own. VV_GATHER_MAJORITY picks the function most of them are in,
   VV_GATHER_LOWEST the one of lowest index, VV_GATHER_DEEPEST the one of the lane deepest in its
   call stack. Lanes that drifted into different functions then meet again instead of running
   their functions one group after the other (H100, 16384 VMs: nbody's and pbkdf2's kernels 2.4x
   as fast). Every round runs at least one lane, so the waits end. */
#if defined(VV_WARP_SYNC) && !defined(VV_NO_WARP_SYNC) && defined(VV_GATHER_MAJORITY)
static inline uint vv_gather(uint func) {
    uint active, peers, lane, best;
    __asm__ volatile("activemask.b32 %0;" : "=r"(active));
    __asm__ volatile("match.any.sync.b32 %0, %1, %2;" : "=r"(peers) : "r"(func), "r"(active));
    __asm__("mov.u32 %0, %%laneid;" : "=r"(lane));
    __asm__ volatile("redux.sync.max.u32 %0, %1, %2;" : "=r"(best) : "r"((popcount(peers) << 5) | lane), "r"(active));
    return (peers >> (best & 31u)) & 1u;
}
#define VV_GATHER() vv_gather(vm->func)
#elif defined(VV_WARP_SYNC) && !defined(VV_NO_WARP_SYNC) && defined(VV_GATHER_LOWEST)
static inline uint vv_gather(uint func) {
    uint active, least;
    __asm__ volatile("activemask.b32 %0;" : "=r"(active));
    __asm__ volatile("redux.sync.min.u32 %0, %1, %2;" : "=r"(least) : "r"(func), "r"(active));
    return func == least;
}
#define VV_GATHER() vv_gather(vm->func)
#elif defined(VV_WARP_SYNC) && !defined(VV_NO_WARP_SYNC) && defined(VV_GATHER_DEEPEST)
/* The lane with the highest frame pointer (then the highest lane) names the function. The pick is
   always a waiting lane's own function, even if fp << 5 overflows, so a round never runs empty. */
static inline uint vv_gather(uint func, uint fp) {
    uint active, lane, best, chosen;
    __asm__ volatile("activemask.b32 %0;" : "=r"(active));
    __asm__("mov.u32 %0, %%laneid;" : "=r"(lane));
    __asm__ volatile("redux.sync.max.u32 %0, %1, %2;" : "=r"(best) : "r"((fp << 5) | lane), "r"(active));
    __asm__ volatile("shfl.sync.idx.b32 %0, %1, %2, 31, %3;" : "=r"(chosen) : "r"(func), "r"(best & 31u), "r"(active));
    return func == chosen;
}
#define VV_GATHER() vv_gather(vm->func, vm->fp)
#else
#define VV_GATHER() 1u
#endif

/* Spends one unit of fuel: at every loop back edge and dispatcher entry. Diagnostic
   (`vv-run --cl-options=-DVV_COUNT_LANES`, NVIDIA only: inline PTX): each tick also adds
   1 / (the lanes of its warp running it), so that the sum over a warp's VMs counts the warp's
   issues of it and ticks / (32 x issues) is the share of lanes doing work (printed per VM and
   launch on stdout by `vv_run`). */
#ifdef VV_COUNT_LANES
static inline uint vv_active_lanes(void) {
    uint mask;
    __asm__ volatile("activemask.b32 %0;" : "=r"(mask));
    return popcount(mask);
}
#define VV_TICK() (vm->warp_issues += 1.0f / (float)vv_active_lanes(), --vm->fuel)
#else
#define VV_TICK() (--vm->fuel)
#endif

/* Leaves the current function: the VM stops with a trap in the function it is in. A function
   called directly (not through the dispatcher) defines VV_TRAP_FUNC to name itself. */
#define VV_TRAP_FUNC
/* What a function returns when its VM stops: nothing, except in a directly called function with
   one result, which returns that result's type (the value is never read). */
#define VV_STOP_VALUE
#define VV_TRAP(code_) do { vm->status = VV_STATUS_TRAPPED; vm->code = (code_); VV_TRAP_FUNC; return VV_STOP_VALUE; } while (0)
/* Traps when a helper reports a trap code other than 0. */
#define VV_TRAP_IF(expr_) do { uint trap_ = (expr_); if (trap_ != 0u) VV_TRAP(trap_); } while (0)
#define VV_EXIT(code_) do { vm->status = VV_STATUS_EXITED; vm->code = (code_); return; } while (0)

/* Call stack slot `s` of this VM, and global `g`. Row and VM counts fit 32 bits, so row x nvms
   is one 32x32->64-bit multiply on GPUs, not a 64-bit one. */
#define VV_SLOT(s) vm->stack[(ulong)(uint)(s) * vm->nvms + vm->id]
#define VV_GLOBAL(g) vm->globals[(ulong)(uint)(g) * vm->nvms + vm->id]
#define VV_HC(w) vm->hc_hdr[(ulong)vm->id * VV_HC_WORDS + (w)]

/* Every Wasm function is a function of its own, not inlined into the dispatcher: the NVIDIA
   compiler then works on many small functions instead of one huge kernel (json.wasm, 30k lines:
   44 s -> 33 s to build on an H200). `vvc build --inline-functions` (or `vv-run --cl-options -DVV_INLINE_FUNCTIONS`) inlines them. */
#ifdef VV_INLINE_FUNCTIONS
#define VV_FUNC_OF(T) static inline T
#else
#define VV_FUNC_OF(T) __attribute__((noinline)) static T
#endif
#define VV_FUNC VV_FUNC_OF(void)

/* ---- calls ---------------------------------------------------------------------------- */

/* Pushes a frame for `callee` above the caller's frame of `frame` slots; the caller resumes at
 * `resume` when the callee returns. Arguments are already in the callee's local slots. */
static inline void vv_call(vm_t *vm, uint callee, uint caller, uint resume, uint frame) {
    uint fp = vm->fp + frame;
    VV_SLOT(fp) = ((ulong)caller << 32) | resume;
    VV_SLOT(fp + 1u) = vm->fp;
    vm->fp = fp;
    vm->func = callee;
    vm->resume = 0u;
}

/* Pops the current frame; results are already in its first slots. */
static inline void vv_return(vm_t *vm) {
    ulong link = VV_SLOT(vm->fp);
    vm->fp = (uint)VV_SLOT(vm->fp + 1u);
    vm->func = (uint)(link >> 32);
    vm->resume = (uint)link;
}

/* ---- interleaved linear memory ---------------------------------------------------------- */

/* Byte `a` of this VM lives at ((a / W) * nvms + id) * W + a % W. Accesses are bounds-checked
   first, so a < 4 GiB and a / W fits 32 bits (a 32x32->64-bit multiply). */
static inline ulong vv_addr(vm_t *vm, ulong a) {
    return ((ulong)(uint)(a / VV_INTERLEAVE) * vm->nvms + vm->id) * VV_INTERLEAVE + a % VV_INTERLEAVE;
}

/* This VM's byte a. */
static inline __global uchar *vv_ptr(vm_t *vm, ulong a) {
    return vm->mem + vv_addr(vm, a);
}

/* Diagnostic (`vv-run --cl-options=-DVV_COUNT_MEMORY`, any device): counts the VM's accesses to
   its linear memory and their bytes, printed per VM and launch on stdout: Wasm loads and stores
   (an unaligned one counts once), bulk memory and WASI copies (a byte an access); not the call
   stack or globals. */
#ifdef VV_COUNT_MEMORY
#define VV_COUNT_ACCESS(bytes_) (vm->accesses++, vm->accessed_bytes += (bytes_))
#define VV_COUNT_START(vm_) ((vm_)->accesses = 0ul, (vm_)->accessed_bytes = 0ul)
#else
#define VV_COUNT_ACCESS(bytes_)
#define VV_COUNT_START(vm_)
#endif

static inline uint vv_load8(vm_t *vm, ulong a) {
    VV_COUNT_ACCESS(1u);
    return *vv_ptr(vm, a);
}

static inline void vv_store8(vm_t *vm, ulong a, uint v) {
    VV_COUNT_ACCESS(1u);
    *vv_ptr(vm, a) = (uchar)v;
}

/* With interleave 1, byte a + k of an access sits k * nvms bytes after byte a (bounds checks keep
   a + k below 4 GiB, so the 32-bit row index never wraps): one address product per access and an
   add per further byte, instead of a product per byte (H100, measured with each byte's address
   derived from `vm`: sortbench, nbody and json kernels 7-9% faster, builds shorter). The first
   byte's pointer and the stride are taken once per access, not re-derived from `vm` per byte: C
   compilers that cannot tell `vm` from global memory (PoCL) reload its fields after every byte
   stored (nbody and json kernels 30-40% faster on PoCL this way). */
#define VV_STRIDED (VV_INTERLEAVE == 1ul)

/* With interleave W > 1, an access aligned to its size (to 4 for 8 bytes under W = 4) is one or
   two loads; any other goes byte by byte, out of line, so each access site stays small. */
__attribute__((noinline)) static ulong vv_load_bytes(vm_t *vm, ulong a, uint n) {
    ulong v = 0ul;
    for (uint k = 0u; k < n; k++)
        v |= (ulong)*vv_ptr(vm, a + k) << (8u * k);
    return v;
}

__attribute__((noinline)) static void vv_store_bytes(vm_t *vm, ulong a, uint n, ulong v) {
    for (uint k = 0u; k < n; k++)
        *vv_ptr(vm, a + k) = (uchar)(v >> (8u * k));
}

static inline uint vv_load16(vm_t *vm, ulong a) {
    VV_COUNT_ACCESS(2u);
    if (VV_STRIDED) {
        __global const uchar *p = vv_ptr(vm, a);
        ulong s = vm->nvms;
        return (uint)p[0] | ((uint)p[s] << 8);
    }
    if ((a & 1ul) == 0ul)
        return *(__global ushort *)vv_ptr(vm, a);
    return (uint)vv_load_bytes(vm, a, 2u);
}

static inline void vv_store16(vm_t *vm, ulong a, uint v) {
    VV_COUNT_ACCESS(2u);
    if (VV_STRIDED) {
        __global uchar *p = vv_ptr(vm, a);
        ulong s = vm->nvms;
        p[0] = (uchar)v;
        p[s] = (uchar)(v >> 8);
        return;
    }
    if ((a & 1ul) == 0ul) {
        *(__global ushort *)vv_ptr(vm, a) = (ushort)v;
        return;
    }
    vv_store_bytes(vm, a, 2u, v);
}

/* Four bytes from p on, s apart (interleave 1), little-endian. */
static inline uint vv_gather32(__global const uchar *p, ulong s) {
    return (uint)p[0] | ((uint)p[s] << 8) | ((uint)p[2ul * s] << 16) | ((uint)p[3ul * s] << 24);
}

static inline void vv_scatter32(__global uchar *p, ulong s, uint v) {
    p[0] = (uchar)v;
    p[s] = (uchar)(v >> 8);
    p[2ul * s] = (uchar)(v >> 16);
    p[3ul * s] = (uchar)(v >> 24);
}

static inline uint vv_load32(vm_t *vm, ulong a) {
    VV_COUNT_ACCESS(4u);
    if (VV_STRIDED)
        return vv_gather32(vv_ptr(vm, a), vm->nvms);
    if (VV_INTERLEAVE >= 4 && (a & 3ul) == 0ul)
        return *(__global uint *)vv_ptr(vm, a);
    return (uint)vv_load_bytes(vm, a, 4u);
}

static inline void vv_store32(vm_t *vm, ulong a, uint v) {
    VV_COUNT_ACCESS(4u);
    if (VV_STRIDED) {
        vv_scatter32(vv_ptr(vm, a), vm->nvms, v);
        return;
    }
    if (VV_INTERLEAVE >= 4 && (a & 3ul) == 0ul) {
        *(__global uint *)vv_ptr(vm, a) = v;
        return;
    }
    vv_store_bytes(vm, a, 4u, v);
}

static inline ulong vv_load64(vm_t *vm, ulong a) {
    VV_COUNT_ACCESS(8u);
    if (VV_STRIDED) {
        __global const uchar *p = vv_ptr(vm, a);
        ulong s = vm->nvms;
        return (ulong)vv_gather32(p, s) | ((ulong)vv_gather32(p + 4ul * s, s) << 32);
    }
    if (VV_INTERLEAVE >= 8 && (a & 7ul) == 0ul)
        return *(__global ulong *)vv_ptr(vm, a);
    if (VV_INTERLEAVE >= 4 && (a & 3ul) == 0ul)
        return (ulong)*(__global uint *)vv_ptr(vm, a) | ((ulong)*(__global uint *)vv_ptr(vm, a + 4ul) << 32);
    return vv_load_bytes(vm, a, 8u);
}

static inline void vv_store64(vm_t *vm, ulong a, ulong v) {
    VV_COUNT_ACCESS(8u);
    if (VV_STRIDED) {
        __global uchar *p = vv_ptr(vm, a);
        ulong s = vm->nvms;
        vv_scatter32(p, s, (uint)v);
        vv_scatter32(p + 4ul * s, s, (uint)(v >> 32));
        return;
    }
    if (VV_INTERLEAVE >= 8 && (a & 7ul) == 0ul) {
        *(__global ulong *)vv_ptr(vm, a) = v;
        return;
    }
    if (VV_INTERLEAVE >= 4 && (a & 3ul) == 0ul) {
        *(__global uint *)vv_ptr(vm, a) = (uint)v;
        *(__global uint *)vv_ptr(vm, a + 4ul) = (uint)(v >> 32);
        return;
    }
    vv_store_bytes(vm, a, 8u, v);
}

/* Traps unless bytes [ea, ea + n) are inside the VM's memory: every access of a function jumps
   to the one `vv_oob` label at its end, which traps. */
#define VV_BOUNDS(ea_, n_) do { if ((ea_) + (n_) > vm->mem_bytes) goto vv_oob; } while (0)

/* memory.grow: the old size in pages, or -1. Pages above the size were never written: zero. */
static inline uint vv_memory_grow(vm_t *vm, uint delta) {
    uint old = vm->pages;
    if (delta > VV_MAX_PAGES - old)
        return 0xffffffffu;
    vm->pages = old + delta;
    vm->mem_bytes = (ulong)vm->pages * VV_PAGE_SIZE;
    return old;
}

/* memory.fill and memory.copy (overlapping ranges copy as if through a temporary). */
static inline uint vv_memory_fill(vm_t *vm, uint d, uint v, uint n) {
    if ((ulong)d + n > vm->mem_bytes) return VV_TRAP_OOB;
    for (uint i = 0u; i < n; i++)
        vv_store8(vm, (ulong)d + i, v);
    return 0u;
}

static inline uint vv_memory_copy(vm_t *vm, uint d, uint s, uint n) {
    if ((ulong)d + n > vm->mem_bytes || (ulong)s + n > vm->mem_bytes) return VV_TRAP_OOB;
    if (d <= s) {
        for (uint i = 0u; i < n; i++)
            vv_store8(vm, (ulong)d + i, vv_load8(vm, (ulong)s + i));
    } else {
        for (uint i = n; i > 0u; i--)
            vv_store8(vm, (ulong)d + i - 1ul, vv_load8(vm, (ulong)s + i - 1ul));
    }
    return 0u;
}

/* memory.init from a passive data segment of `len` bytes (0 once dropped). */
static inline uint vv_memory_init(vm_t *vm, uint d, __constant const uchar *seg, uint len, uint s, uint n) {
    if ((ulong)s + n > len || (ulong)d + n > vm->mem_bytes) return VV_TRAP_OOB;
    for (uint i = 0u; i < n; i++)
        vv_store8(vm, (ulong)d + i, seg[s + i]);
    return 0u;
}

/* ---- tables ----------------------------------------------------------------------------- */

/* A writable table is rows of the globals buffer: its size at `size_row`, entries from `base`. */
static inline uint vv_table_grow(vm_t *vm, uint size_row, uint base, uint capacity, uint v, uint n) {
    uint old = (uint)VV_GLOBAL(size_row);
    if (n > capacity - old)
        return 0xffffffffu;
    for (uint i = 0u; i < n; i++)
        VV_GLOBAL(base + old + i) = v;
    VV_GLOBAL(size_row) = old + n;
    return old;
}

static inline uint vv_table_fill(vm_t *vm, uint size_row, uint base, uint d, uint v, uint n) {
    if ((ulong)d + n > (uint)VV_GLOBAL(size_row)) return VV_TRAP_TABLE_OOB;
    for (uint i = 0u; i < n; i++)
        VV_GLOBAL(base + d + i) = v;
    return 0u;
}

/* table.copy between writable tables (overlapping ranges copy as if through a temporary). */
static inline uint vv_table_copy(vm_t *vm, uint dsize_row, uint dbase, uint ssize_row, uint sbase, uint d, uint s, uint n) {
    if ((ulong)d + n > (uint)VV_GLOBAL(dsize_row) || (ulong)s + n > (uint)VV_GLOBAL(ssize_row)) return VV_TRAP_TABLE_OOB;
    if (d <= s) {
        for (uint i = 0u; i < n; i++)
            VV_GLOBAL(dbase + d + i) = VV_GLOBAL(sbase + s + i);
    } else {
        for (uint i = n; i > 0u; i--)
            VV_GLOBAL(dbase + d + i - 1u) = VV_GLOBAL(sbase + s + i - 1u);
    }
    return 0u;
}

/* table.init from an element segment, or table.copy from a table no instruction writes. */
static inline uint vv_table_init(vm_t *vm, uint size_row, uint base, __constant const uint *src, uint len, uint d, uint s, uint n) {
    if ((ulong)s + n > len || (ulong)d + n > (uint)VV_GLOBAL(size_row)) return VV_TRAP_TABLE_OOB;
    for (uint i = 0u; i < n; i++)
        VV_GLOBAL(base + d + i) = src[s + i];
    return 0u;
}

/* ---- integer semantics ------------------------------------------------------------------ */

static inline uint vv_div_s32_trap(uint a, uint b) {
    if (b == 0u) return VV_TRAP_DIV_ZERO;
    if (a == 0x80000000u && b == 0xffffffffu) return VV_TRAP_INT_OVERFLOW;
    return 0u;
}
static inline uint vv_div_s64_trap(ulong a, ulong b) {
    if (b == 0ul) return VV_TRAP_DIV_ZERO;
    if (a == 0x8000000000000000ul && b == 0xfffffffffffffffful) return VV_TRAP_INT_OVERFLOW;
    return 0u;
}
static inline uint vv_div_zero_trap(ulong b) { return b == 0ul ? VV_TRAP_DIV_ZERO : 0u; }
static inline uint vv_rem_s32(uint a, uint b) { return b == 0xffffffffu ? 0u : (uint)((int)a % (int)b); }
static inline ulong vv_rem_s64(ulong a, ulong b) { return b == 0xfffffffffffffffful ? 0ul : (ulong)((long)a % (long)b); }
static inline uint vv_ctz32(uint x) { return x == 0u ? 32u : 31u - clz(x & (0u - x)); }
static inline ulong vv_ctz64(ulong x) { return x == 0ul ? 64ul : 63ul - clz(x & (0ul - x)); }
static inline uint vv_rotr32(uint x, uint n) { return rotate(x, (32u - (n & 31u)) & 31u); }
static inline ulong vv_rotr64(ulong x, ulong n) { return rotate(x, (64ul - (n & 63ul)) & 63ul); }

/* ---- float semantics -------------------------------------------------------------------- */

/* An f64 NaN result with its quiet bit set (where the C compiler may have folded the operation
   away and passed a signalling NaN operand through). */
/* An f32 arithmetic result, any NaN as the canonical one: NVIDIA's f32 units make 0x7fffffff, a
   C compiler may pass a signalling NaN through a folded operation; 0x7fc00000 is right for both
   cases Wasm allows (canonical and arithmetic NaN results). */
static inline float vv_nan_f32(float x) { return isnan(x) ? as_float(0x7fc00000u) : x; }
static inline double vv_quiet_f64(double x) { return isnan(x) ? as_double(as_ulong(x) | 0x0008000000000000ul) : x; }

static inline float vv_f32_min(float a, float b) {
    if (isnan(a) || isnan(b)) return a + b;
    if (a == b) return as_float(as_uint(a) | as_uint(b));
    return a < b ? a : b;
}
static inline float vv_f32_max(float a, float b) {
    if (isnan(a) || isnan(b)) return a + b;
    if (a == b) return as_float(as_uint(a) & as_uint(b));
    return a > b ? a : b;
}
static inline double vv_f64_min(double a, double b) {
    if (isnan(a) || isnan(b)) return a + b;
    if (a == b) return as_double(as_ulong(a) | as_ulong(b));
    return a < b ? a : b;
}
static inline double vv_f64_max(double a, double b) {
    if (isnan(a) || isnan(b)) return a + b;
    if (a == b) return as_double(as_ulong(a) & as_ulong(b));
    return a > b ? a : b;
}
static inline float vv_f32_abs(float a) { return as_float(as_uint(a) & 0x7fffffffu); }
static inline float vv_f32_neg(float a) { return as_float(as_uint(a) ^ 0x80000000u); }
static inline float vv_f32_copysign(float a, float b) {
    return as_float((as_uint(a) & 0x7fffffffu) | (as_uint(b) & 0x80000000u));
}
static inline double vv_f64_abs(double a) { return as_double(as_ulong(a) & 0x7ffffffffffffffful); }
static inline double vv_f64_neg(double a) { return as_double(as_ulong(a) ^ 0x8000000000000000ul); }
static inline double vv_f64_copysign(double a, double b) {
    return as_double((as_ulong(a) & 0x7ffffffffffffffful) | (as_ulong(b) & 0x8000000000000000ul));
}

/* Float to integer: trap codes for NaN and out-of-range inputs (bounds are exact in each type). */
#define VV_TRUNC_TRAP(name_, T, lo_, hi_) \
    static inline uint name_(T x) { \
        if (isnan(x)) return VV_TRAP_BAD_CONVERSION; \
        if (!(x > (lo_) && x < (hi_))) return VV_TRAP_INT_OVERFLOW; \
        return 0u; \
    }
VV_TRUNC_TRAP(vv_trunc_trap_f32_s32, float, -2147483904.0f, 2147483648.0f)
VV_TRUNC_TRAP(vv_trunc_trap_f32_u32, float, -1.0f, 4294967296.0f)
VV_TRUNC_TRAP(vv_trunc_trap_f64_s32, double, -2147483649.0, 2147483648.0)
VV_TRUNC_TRAP(vv_trunc_trap_f64_u32, double, -1.0, 4294967296.0)
VV_TRUNC_TRAP(vv_trunc_trap_f32_s64, float, -9223373136366403584.0f, 9223372036854775808.0f)
VV_TRUNC_TRAP(vv_trunc_trap_f32_u64, float, -1.0f, 18446744073709551616.0f)
VV_TRUNC_TRAP(vv_trunc_trap_f64_s64, double, -9223372036854777856.0, 9223372036854775808.0)
VV_TRUNC_TRAP(vv_trunc_trap_f64_u64, double, -1.0, 18446744073709551616.0)

/* Saturating float to integer: NaN is 0, out of range clamps. */
#define VV_TRUNC_SAT(name_, T, R, lo_, hi_, min_, max_) \
    static inline R name_(T x) { \
        if (isnan(x)) return (R)0; \
        if (!(x > (lo_))) return (R)(min_); \
        if (!(x < (hi_))) return (R)(max_); \
        return (R)x; \
    }
VV_TRUNC_SAT(vv_sat_f32_s32, float, int, -2147483904.0f, 2147483648.0f, 0x80000000u, 0x7fffffff)
VV_TRUNC_SAT(vv_sat_f32_u32, float, uint, -1.0f, 4294967296.0f, 0u, 0xffffffffu)
VV_TRUNC_SAT(vv_sat_f64_s32, double, int, -2147483649.0, 2147483648.0, 0x80000000u, 0x7fffffff)
VV_TRUNC_SAT(vv_sat_f64_u32, double, uint, -1.0, 4294967296.0, 0u, 0xffffffffu)
VV_TRUNC_SAT(vv_sat_f32_s64, float, long, -9223373136366403584.0f, 9223372036854775808.0f, 0x8000000000000000ul, 0x7ffffffffffffffful)
VV_TRUNC_SAT(vv_sat_f32_u64, float, ulong, -1.0f, 18446744073709551616.0f, 0ul, 0xfffffffffffffffful)
VV_TRUNC_SAT(vv_sat_f64_s64, double, long, -9223372036854777856.0, 9223372036854775808.0, 0x8000000000000000ul, 0x7ffffffffffffffful)
VV_TRUNC_SAT(vv_sat_f64_u64, double, ulong, -1.0, 18446744073709551616.0, 0ul, 0xfffffffffffffffful)

/* ---- hypercalls ------------------------------------------------------------------------- */

static inline __global uchar *vv_hc_buf(vm_t *vm) {
    return vm->hc_data + (ulong)vm->id * VV_HC_DATA_BYTES;
}

/* Entry `i` of the iovec list at `iovs`: its pointer | its length << 32, or VV_IOVEC_OOB where
   the entry or the bytes it names lie outside memory (no entry inside has that value: its bytes
   would end past 4 GiB). */
#define VV_IOVEC_OOB 0xfffffffffffffffful
static inline ulong vv_iovec(vm_t *vm, uint iovs, uint i) {
    ulong entry = (ulong)iovs + 8ul * i;
    if (entry + 8ul > vm->mem_bytes) return VV_IOVEC_OOB;
    uint ptr = vv_load32(vm, entry);
    uint n = vv_load32(vm, entry + 4ul);
    if ((ulong)ptr + n > vm->mem_bytes) return VV_IOVEC_OOB;
    return (ulong)ptr | ((ulong)n << 32);
}

/* Copies the bytes an iovec list points at into the hypercall buffer (fd_write). */
static inline uint vv_hc_copy_iovec_data(vm_t *vm, uint iovs, uint count) {
    __global uchar *dst = vv_hc_buf(vm);
    uint len = 0u;
    for (uint i = 0u; i < count; i++) {
        ulong iov = vv_iovec(vm, iovs, i);
        if (iov == VV_IOVEC_OOB) return VV_TRAP_OOB;
        uint ptr = (uint)iov, n = (uint)(iov >> 32);
        uint take = min(n, VV_HC_DATA_BYTES - len);
        for (uint j = 0u; j < take; j++)
            dst[len + j] = (uchar)vv_load8(vm, (ulong)ptr + j);
        len += take;
        if (take < n) break;
    }
    VV_HC(VV_HC_LEN) = len;
    return 0u;
}

/* Copies an iovec list itself into the hypercall buffer (fd_read scatters into it). */
static inline uint vv_hc_copy_iovec_list(vm_t *vm, uint iovs, uint count) {
    __global uint *dst = (__global uint *)vv_hc_buf(vm);
    if (count > VV_HC_DATA_BYTES / 8u) count = VV_HC_DATA_BYTES / 8u;
    if ((ulong)iovs + 8ul * count > vm->mem_bytes) return VV_TRAP_OOB;
    for (uint i = 0u; i < 2u * count; i++)
        dst[i] = vv_load32(vm, (ulong)iovs + 4ul * i);
    VV_HC(VV_HC_LEN) = 8u * count;
    return 0u;
}

/* Copies `len` bytes at `ptr` into the hypercall buffer, as many as it holds (serverless_response). */
static inline uint vv_hc_copy_range(vm_t *vm, uint ptr, uint len) {
    __global uchar *dst = vv_hc_buf(vm);
    if ((ulong)ptr + len > vm->mem_bytes) return VV_TRAP_OOB;
    uint take = min(len, (uint)VV_HC_DATA_BYTES);
    for (uint j = 0u; j < take; j++)
        dst[j] = (uchar)vv_load8(vm, (ulong)ptr + j);
    VV_HC(VV_HC_LEN) = take;
    return 0u;
}

/* Applies the host's answer: `count, (address, length) x count, bytes` into linear memory. */
static inline uint vv_hc_apply(vm_t *vm) {
    __global uchar *buf = vv_hc_buf(vm);
    __global uint *words = (__global uint *)buf;
    uint count = words[0];
    uint at = 4u + 8u * count;
    for (uint i = 0u; i < count; i++) {
        uint dest = words[1u + 2u * i];
        uint n = words[2u + 2u * i];
        if ((ulong)dest + n > vm->mem_bytes || at + n > VV_HC_DATA_BYTES) return VV_TRAP_OOB;
        for (uint j = 0u; j < n; j++)
            vv_store8(vm, (ulong)dest + j, buf[at + j]);
        at += n;
    }
    return 0u;
}

/* ---- host calls the device answers (abi::Service::Device, DeviceFirst) ------------------- */

/* What a `vv_dev_` function returns when the host must answer the call instead. */
#define VV_ON_HOST 0xffffffffu
/* WASI errno values (abi::errno). */
#define VV_ERRNO_BADF 8u
#define VV_ERRNO_FAULT 21u

/* As the host answers: a call whose `n` bytes of output at guest address `a` do not fit a 32-bit
   address space fails with FAULT and writes nothing (every output is checked so first); one whose
   output does not fit the VM's memory traps it. */
#define VV_FAULT_IF_OUTSIDE(a, n) do { \
    if ((ulong)(a) + (ulong)(n) > 0x100000000ul) { VV_HC(VV_HC_RESULT) = VV_ERRNO_FAULT; return 0u; } } while (0)
#define VV_TRAP_IF_OUTSIDE(a, n) do { if ((ulong)(a) + (ulong)(n) > vm->mem_bytes) return VV_TRAP_OOB; } while (0)

/* fd_read on fd 0 of a VM whose stdin is on the device (VV_HC_STDIN_LEFT is not 0): fills the
   iovecs from it in order, stores the count at `nread` and errno 0 as the call's result. */
static inline uint vv_dev_fd_read(vm_t *vm, uint fd, uint iovs, uint count, uint nread) {
    if (fd != 0u || VV_HC(VV_HC_STDIN_LEFT) == 0ul) return VV_ON_HOST;
    ulong at = VV_HC(VV_HC_STDIN_AT);
    ulong left = VV_HC(VV_HC_STDIN_LEFT) - 1ul;
    uint total = 0u;
    if ((ulong)iovs + 8ul * count > vm->mem_bytes) return VV_TRAP_OOB;
    for (uint i = 0u; i < count && left > 0ul; i++) {
        uint ptr = vv_load32(vm, (ulong)iovs + 8ul * i);
        uint n = (uint)min((ulong)vv_load32(vm, (ulong)iovs + 8ul * i + 4ul), left);
        if ((ulong)ptr + n > vm->mem_bytes) return VV_TRAP_OOB;
        for (uint j = 0u; j < n; j++)
            vv_store8(vm, (ulong)ptr + j, vm->stdin_data[at + j]);
        at += n;
        left -= n;
        total += n;
    }
    if ((ulong)nread + 4ul > vm->mem_bytes) return VV_TRAP_OOB;
    vv_store32(vm, nread, total);
    VV_HC(VV_HC_STDIN_AT) = at;
    VV_HC(VV_HC_STDIN_LEFT) = left + 1ul;
    VV_HC(VV_HC_RESULT) = 0ul;
    return 0u;
}

/* fd_write on fd 1 of a VM whose stdout is on the device (VV_HC_OUT is not 0): appends the bytes
   to the VM's `hc_out` row, where the host takes them once the VM stops, stores the count at
   `nwritten` and errno 0. A write that does not fit what is left of the row goes to the host.
   As the host answers: iovecs outside memory trap, FAULT writes nothing, and a `nwritten` outside
   memory traps after the bytes are written. */
static inline uint vv_dev_fd_write(vm_t *vm, uint fd, uint iovs, uint count, uint nwritten) {
    if (fd != 1u || VV_HC(VV_HC_OUT) == 0ul) return VV_ON_HOST;
    ulong used = VV_HC(VV_HC_OUT) - 1ul;
    ulong total = 0ul;
    for (uint i = 0u; i < count; i++) {
        ulong iov = vv_iovec(vm, iovs, i);
        if (iov == VV_IOVEC_OOB) return VV_TRAP_OOB;
        total += iov >> 32;
        if (used + total > VV_HC_OUT_BYTES) return VV_ON_HOST;
    }
    VV_FAULT_IF_OUTSIDE(nwritten, 4u);
    __global uchar *dst = vm->hc_out + (ulong)vm->id * VV_HC_OUT_BYTES + used;
    for (uint i = 0u; i < count; i++) {
        ulong iov = vv_iovec(vm, iovs, i);
        uint ptr = (uint)iov, n = (uint)(iov >> 32);
        for (uint j = 0u; j < n; j++)
            *dst++ = (uchar)vv_load8(vm, (ulong)ptr + j);
    }
    VV_HC(VV_HC_OUT) = used + total + 1ul;
    VV_TRAP_IF_OUTSIDE(nwritten, 4u);
    vv_store32(vm, nwritten, (uint)total);
    VV_HC(VV_HC_RESULT) = 0ul;
    return 0u;
}

/* Where the VM's argv (`env` 0) or environment (1) starts in `stdin_data`: u32 count, u32 bytes,
   the strings (abi::HC_ARGS_AT). */
static inline ulong vv_dev_list(vm_t *vm, uint env) {
    ulong at = VV_HC(VV_HC_ARGS_AT) - 1ul;
    if (env) {
        uint bytes = *(__global const uint *)(vm->stdin_data + at + 4ul);
        at += 8ul + (((ulong)bytes + 3ul) & ~3ul);
    }
    return at;
}

/* args_sizes_get / environ_sizes_get: the string count and their bytes with NULs. */
static inline uint vv_dev_list_sizes(vm_t *vm, uint env, uint count_ptr, uint size_ptr) {
    if (VV_HC(VV_HC_ARGS_AT) == 0ul) return VV_ON_HOST;
    __global const uint *list = (__global const uint *)(vm->stdin_data + vv_dev_list(vm, env));
    VV_FAULT_IF_OUTSIDE(count_ptr, 4u);
    VV_FAULT_IF_OUTSIDE(size_ptr, 4u);
    VV_TRAP_IF_OUTSIDE(count_ptr, 4u);
    VV_TRAP_IF_OUTSIDE(size_ptr, 4u);
    vv_store32(vm, count_ptr, list[0]);
    vv_store32(vm, size_ptr, list[1]);
    VV_HC(VV_HC_RESULT) = 0ul;
    return 0u;
}

/* args_get / environ_get: the NUL-terminated strings at `buf` and a pointer to each at `ptrs`. */
static inline uint vv_dev_list_get(vm_t *vm, uint env, uint ptrs, uint buf) {
    if (VV_HC(VV_HC_ARGS_AT) == 0ul) return VV_ON_HOST;
    ulong at = vv_dev_list(vm, env);
    __global const uint *list = (__global const uint *)(vm->stdin_data + at);
    uint count = list[0], bytes = list[1];
    __global const uchar *strings = vm->stdin_data + at + 8ul;
    if (count == 0u) {
        VV_HC(VV_HC_RESULT) = 0ul;
        return 0u;
    }
    VV_FAULT_IF_OUTSIDE(ptrs, 4ul * count);
    VV_FAULT_IF_OUTSIDE(buf, bytes);
    VV_TRAP_IF_OUTSIDE(ptrs, 4ul * count);
    VV_TRAP_IF_OUTSIDE(buf, bytes);
    uint k = 0u;
    for (uint j = 0u; j < bytes; j++) {
        if (j == 0u || strings[j - 1u] == 0u)
            vv_store32(vm, (ulong)ptrs + 4ul * k++, buf + j);
        vv_store8(vm, (ulong)buf + j, strings[j]);
    }
    VV_HC(VV_HC_RESULT) = 0ul;
    return 0u;
}

static inline uint vv_dev_args_sizes_get(vm_t *vm, uint count_ptr, uint size_ptr) {
    return vv_dev_list_sizes(vm, 0u, count_ptr, size_ptr);
}
static inline uint vv_dev_environ_sizes_get(vm_t *vm, uint count_ptr, uint size_ptr) {
    return vv_dev_list_sizes(vm, 1u, count_ptr, size_ptr);
}
static inline uint vv_dev_args_get(vm_t *vm, uint ptrs, uint buf) {
    return vv_dev_list_get(vm, 0u, ptrs, buf);
}
static inline uint vv_dev_environ_get(vm_t *vm, uint ptrs, uint buf) {
    return vv_dev_list_get(vm, 1u, ptrs, buf);
}

/* fd_fdstat_get: stdin, stdout and stderr are pipes that may be read and written (flags 0, rights
   fd_read | fd_fdstat_set_flags | fd_write | poll_fd_readwrite); other fds BADF. Filetype 0
   (unknown, what a pipe is to WASI), not a character device: wasi-libc then does not take stdout
   for a terminal and buffers it fully, one fd_write (one hypercall) per buffer, not per line. */
static inline uint vv_dev_fd_fdstat_get(vm_t *vm, uint fd, uint ptr) {
    if (fd > 2u) {
        VV_HC(VV_HC_RESULT) = VV_ERRNO_BADF;
        return 0u;
    }
    VV_FAULT_IF_OUTSIDE(ptr, 24u);
    VV_TRAP_IF_OUTSIDE(ptr, 24u);
    for (uint i = 0u; i < 24u; i += 4u)
        vv_store32(vm, (ulong)ptr + i, 0u);
    vv_store32(vm, (ulong)ptr + 8u, 0x0800004Au);
    VV_HC(VV_HC_RESULT) = 0ul;
    return 0u;
}

/* Leaves the kernel for the host; the function resumes at `resume`. */
#define VV_HYPERCALL(call_, resume_) do { \
    VV_HC(VV_HC_CALL) = (call_); vm->status = VV_STATUS_HYPERCALL; vm->resume = (resume_); return; } while (0)
