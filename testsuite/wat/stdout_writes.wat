;; Writes to stdout in the ways the device's buffer for it must get right. argv[1] is a number;
;; its last digit m picks the shape:
;; - "vm <argv[1]>\n" through four iovecs (one empty), then nwritten as 'A' + n;
;; - 10 + 13 * m blocks of 1000 bytes (from 10 kB, within one 64 KiB row, to 127 kB, past it),
;;   for odd m every seventh block's first 20 bytes to stderr too (even m write no other fd, so
;;   up to a row of stdout waits on the device when the VM exits);
;; - for m >= 7 one write of 70000 bytes, longer than a row (written in full, in as many calls
;;   as it takes);
;; - for odd m the errno of writes to fds 3 and 0 (BADF), as 'A' + errno;
;; - m = 8 ends with proc_exit(3), the rest return.
;; argv[2], if given, adds an ending of its own before the blocks:
;; - "fault": a write whose nwritten lies past 4 GiB, then its errno;
;; - "trap": a write whose nwritten lies past the memory (the VM traps);
;; - "spin": a short write, then a loop that never ends;
;; - "bytes": a write whose iovec names bytes past the memory (the VM traps);
;; - "list": a write whose iovec list lies past the memory (the VM traps).
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 2)
  (export "memory" (memory 0))
  (data (i32.const 16) "vm \n!")

  ;; `len` bytes at `ptr` to `fd` through one iovec (at 0); the errno; nwritten at 8.
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))

  ;; `len` bytes at `ptr` to `fd`, in as many writes as it takes; "!" on stdout for an error.
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (if (call $write (local.get $fd) (local.get $ptr) (local.get $len))
          (then (drop (call $write (i32.const 1) (i32.const 20) (i32.const 1))) (br $done)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  ;; One byte, 'A' + `n`, to stdout.
  (func $letter (param $n i32)
    (i32.store8 (i32.const 24) (i32.add (local.get $n) (i32.const 65)))
    (drop (call $write (i32.const 1) (i32.const 24) (i32.const 1))))

  (func (export "_start") (local $arg i32) (local $len i32) (local $mode i32) (local $i i32) (local $n i32) (local $act i32)
    (drop (call $args_sizes_get (i32.const 100) (i32.const 104)))
    (drop (call $args_get (i32.const 200) (i32.const 1024)))
    (local.set $arg (i32.load (i32.const 204)))
    (block $end
      (loop $scan
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $arg) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $scan)))
    (local.set $mode (i32.sub (i32.load8_u (i32.add (local.get $arg) (i32.sub (local.get $len) (i32.const 1)))) (i32.const 48)))

    ;; "vm ", argv[1], nothing, "\n" in one call.
    (i32.store (i32.const 4096) (i32.const 16))
    (i32.store (i32.const 4100) (i32.const 3))
    (i32.store (i32.const 4104) (local.get $arg))
    (i32.store (i32.const 4108) (local.get $len))
    (i32.store (i32.const 4112) (i32.const 16))
    (i32.store (i32.const 4116) (i32.const 0))
    (i32.store (i32.const 4120) (i32.const 19))
    (i32.store (i32.const 4124) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 4096) (i32.const 4) (i32.const 8)))
    (call $letter (i32.load (i32.const 8)))

    (if (i32.gt_u (i32.load (i32.const 100)) (i32.const 2))
      (then
        (local.set $act (i32.load8_u (i32.load (i32.const 208))))
        (if (i32.eq (local.get $act) (i32.const 102)) ;; 'f'
          (then
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 3))
            (call $letter (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0xfffffffe)))))
        (if (i32.eq (local.get $act) (i32.const 116)) ;; 't'
          (then
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 3))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 131070)))))
        (if (i32.eq (local.get $act) (i32.const 115)) ;; 's'
          (then
            (drop (call $write (i32.const 1) (i32.const 16) (i32.const 4)))
            (loop $spin (br $spin))))
        (if (i32.eq (local.get $act) (i32.const 98)) ;; 'b'
          (then (drop (call $write (i32.const 1) (i32.const 131070) (i32.const 4)))))
        (if (i32.eq (local.get $act) (i32.const 108)) ;; 'l'
          (then (drop (call $fd_write (i32.const 1) (i32.const 131068) (i32.const 1) (i32.const 8)))))))

    (memory.fill (i32.const 8192) (i32.add (i32.const 97) (local.get $mode)) (i32.const 70000))
    (local.set $n (i32.add (i32.const 10) (i32.mul (local.get $mode) (i32.const 13))))
    (loop $blocks
      (i32.store8 (i32.const 8192) (i32.add (i32.const 65) (i32.rem_u (local.get $i) (i32.const 26))))
      (call $write_all (i32.const 1) (i32.const 8192) (i32.const 1000))
      (if (i32.and (local.get $mode) (i32.eqz (i32.rem_u (local.get $i) (i32.const 7))))
        (then (call $write_all (i32.const 2) (i32.const 8192) (i32.const 20))))
      (br_if $blocks (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (if (i32.ge_u (local.get $mode) (i32.const 7))
      (then (call $write_all (i32.const 1) (i32.const 8192) (i32.const 70000))))

    (if (i32.and (local.get $mode) (i32.const 1))
      (then
        (call $letter (call $write (i32.const 3) (i32.const 16) (i32.const 3)))
        (call $letter (call $write (i32.const 0) (i32.const 16) (i32.const 3)))))
    (drop (call $write (i32.const 1) (i32.const 19) (i32.const 1)))
    (if (i32.eq (local.get $mode) (i32.const 8))
      (then (call $proc_exit (i32.const 3))))))
