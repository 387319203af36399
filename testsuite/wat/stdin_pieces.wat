;; Reads stdin three iovecs at a time (3 bytes, none, 5 bytes) until a read returns nothing,
;; writes every piece back to stdout, and exits with the number of reads that returned bytes.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; Reads one piece; returns its length (0 at the end), or -1 for an error.
  (func $read_piece (result i32)
    (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 3) (i32.const 40))
      (then (return (i32.const -1))))
    (i32.load (i32.const 40)))
  (func (export "_start")
    (local $n i32) (local $head i32) (local $reads i32)
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 3))
    (i32.store (i32.const 8) (i32.const 200))
    (i32.store (i32.const 12) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 300))
    (i32.store (i32.const 20) (i32.const 5))
    (block $done
      (loop $next
        (local.set $n (call $read_piece))
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $reads (i32.add (local.get $reads) (i32.const 1)))
        ;; The piece back out: the first min(n, 3) bytes at 100, the rest at 300.
        (local.set $head (select (local.get $n) (i32.const 3) (i32.lt_u (local.get $n) (i32.const 3))))
        (i32.store (i32.const 48) (i32.const 100))
        (i32.store (i32.const 52) (local.get $head))
        (i32.store (i32.const 56) (i32.const 300))
        (i32.store (i32.const 60) (i32.sub (local.get $n) (local.get $head)))
        (drop (call $fd_write (i32.const 1) (i32.const 48) (i32.const 2) (i32.const 64)))
        (br $next)))
    (call $proc_exit (local.get $reads))))
