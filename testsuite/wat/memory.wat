;; Loads and stores of every width at any alignment, sign/zero extension, memory.size/grow,
;; data segments and out-of-bounds traps.
(module
  (memory 1 4)
  (data (i32.const 16) "\01\82\03\84\05\86\07\88\09\8a\0b\8c\0d\8e\0f\90")
  ;; Stores v at addr with one width, then reads it back with every load width.
  (func (export "roundtrip") (param $addr i32) (param $v i64) (param $w i32) (result i64)
    (local $acc i64)
    (block $s64 (block $s32 (block $s16 (block $s8
      (br_table $s8 $s16 $s32 $s64 (i32.rem_u (local.get $w) (i32.const 4))))
      (i64.store8 (local.get $addr) (local.get $v)) (br $s64))
      (i64.store16 offset=1 (i32.sub (local.get $addr) (i32.const 1)) (local.get $v)) (br $s64))
      (i64.store32 (local.get $addr) (local.get $v)) (br $s64))
    (i64.store (local.get $addr) (local.get $v))
    (local.set $acc (i64.load (local.get $addr)))
    (local.set $acc (i64.add (local.get $acc) (i64.load8_s (local.get $addr))))
    (local.set $acc (i64.add (local.get $acc) (i64.load8_u offset=1 (local.get $addr))))
    (local.set $acc (i64.xor (local.get $acc) (i64.load16_s offset=2 (local.get $addr))))
    (local.set $acc (i64.add (local.get $acc) (i64.load16_u (local.get $addr))))
    (local.set $acc (i64.mul (local.get $acc) (i64.load32_s offset=1 (local.get $addr))))
    (local.set $acc (i64.add (local.get $acc) (i64.load32_u offset=3 (local.get $addr))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (i32.load8_s (local.get $addr)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load16_s offset=5 (local.get $addr)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load (local.get $addr)))))
    (local.set $acc (i64.add (local.get $acc) (i64.reinterpret_f64 (f64.load (local.get $addr)))))
    (i64.add (local.get $acc) (i64.extend_i32_u (i32.reinterpret_f32 (f32.load offset=2 (local.get $addr))))))
  ;; Reads the data segment.
  (func (export "data") (param $i i32) (result i32)
    (i32.add (i32.load8_s offset=16 (i32.and (local.get $i) (i32.const 15)))
             (i32.load offset=16 (i32.and (local.get $i) (i32.const 12)))))
  ;; Grows memory by n pages, writes at the end of the new memory, returns size and old size.
  (func (export "grow") (param $n i32) (result i32)
    (local $old i32)
    (local.set $old (memory.grow (local.get $n)))
    (if (i32.ne (local.get $old) (i32.const -1))
      (then (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (local.get $n))))
    (i32.add (i32.mul (memory.size) (i32.const 1000)) (local.get $old)))
  ;; Bulk memory: fill then copy with overlap, then checksum.
  (func (export "bulk") (param $d i32) (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (memory.fill (local.get $d) (i32.const 0x5a) (local.get $n))
    (memory.copy (i32.add (local.get $d) (i32.const 3)) (i32.const 16) (i32.const 16))
    (memory.copy (local.get $d) (i32.add (local.get $d) (i32.const 1)) (local.get $n))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (i32.add (local.get $n) (i32.const 20))))
      (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31))
                               (i32.load8_u (i32.add (local.get $d) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $sum))
  ;; Accesses one bounds check could seem to cover but must not: an earlier check on the same local
  ;; with a lower end, or before the local changed (in an if arm, a block, a loop, by a call),
  ;; next to ones it does cover; literal addresses below and past the end. Each function returns
  ;; right after its last access, so a missing check shows as a value where the reference
  ;; traps. With $a near the end of memory some VMs trap.
  (func $id (param i32) (result i32) (local.get 0))
  ;; A wider end off the same local, then one the first covers.
  (func (export "c_wider") (param $a i32) (result i32)
    (i32.add (i32.add (i32.load8_u (local.get $a)) (i32.load16_u offset=2 (local.get $a)))
             (i32.load8_u offset=1 (local.get $a))))
  ;; The local changed in one arm of an if, in a block a branch may skip, in a loop, by a call.
  (func (export "c_if") (param $a i32) (param $m i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load16_u offset=2 (local.get $a)))
    (if (i32.and (local.get $m) (i32.const 1))
      (then (local.set $a (i32.add (local.get $a) (i32.and (local.get $m) (i32.const 0x1c)))))
      (else (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $a))))))
    (i32.add (local.get $s) (i32.load16_u offset=2 (local.get $a))))
  (func (export "c_block") (param $a i32) (param $m i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load16_u offset=2 (local.get $a)))
    (block $b
      (br_if $b (i32.and (local.get $m) (i32.const 2)))
      (local.set $a (i32.add (local.get $a) (i32.and (local.get $m) (i32.const 0x1c)))))
    (i32.add (local.get $s) (i32.load16_u offset=2 (local.get $a))))
  (func (export "c_loop") (param $a i32) (param $n i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load16_u offset=2 (local.get $a)))
    (local.set $n (i32.and (local.get $n) (i32.const 7)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load16_u offset=2 (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 3)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s))
  (func (export "c_call") (param $a i32) (param $m i32) (result i32)
    (local $s i32)
    (local.set $s (i32.load16_u offset=2 (local.get $a)))
    (local.set $s (i32.add (local.get $s) (call $id (local.get $m))))
    (local.set $s (i32.add (local.get $s) (i32.load8_u offset=3 (local.get $a))))
    (local.set $a (call $id (i32.add (local.get $a) (i32.and (local.get $m) (i32.const 0x1c)))))
    (i32.add (local.get $s) (i32.load16_u offset=2 (local.get $a))))
  ;; Literal addresses: below the initial size, and past it.
  (func (export "c_literal") (param $m i32) (result i32)
    (if (result i32) (i32.and (local.get $m) (i32.const 1))
      (then (i32.load (i32.const 65532)))
      (else (i32.load offset=65533 (i32.const 0))))))
