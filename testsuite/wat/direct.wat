;; Functions that never leave the kernel, called directly under `vvc build --direct-calls`:
;; leaves with loops, a chain of them with several results, traps inside them, memory.grow and
;; globals in them, one that is also exported and in the table, traps in one reached both
;; directly and through the table, and one that loops forever.
(module
  (memory 1 4)
  (global $calls (mut i32) (i32.const 0))
  (table 5 funcref)
  (elem (i32.const 0) $mix $checksum $risky $neg)
  (type $ii_i (func (param i32 i32) (result i32)))

  ;; A leaf with a loop: bytes [dst, dst+n) <- [src, src+n).
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
      (local.set $src (i32.add (local.get $src) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1))))

  ;; Sum and xor of n words at p: two results.
  (func $sum_xor (param $p i32) (param $n i32) (result i32 i32)
    (local $s i32) (local $x i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
      (local.set $x (i32.xor (local.get $x) (i32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $s) (local.get $x))

  ;; Calls two direct functions; exported and in the table as well.
  (func $checksum (export "checksum") (param $seed i32) (param $n i32) (result i32)
    (local $i i32) (local $a i32) (local $b i32)
    (block $done (loop $fill
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 2)))
        (i32.mul (i32.add (local.get $seed) (local.get $i)) (i32.const 2654435761)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (call $copy (i32.const 8192) (i32.const 256) (i32.shl (local.get $n) (i32.const 2)))
    (call $sum_xor (i32.const 8192) (local.get $n))
    (local.set $b) (local.set $a)
    (i32.add (i32.rotl (local.get $a) (i32.const 7)) (local.get $b)))

  ;; Traps inside a direct callee, chosen by kind.
  (func $risky (param $kind i32) (param $x i32) (result i32)
    (if (i32.eq (local.get $kind) (i32.const 1)) (then (return (i32.div_u (local.get $x) (i32.const 0)))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then (return (i32.load (i32.add (i32.const 0x7fff0000) (local.get $x))))))
    (if (i32.eq (local.get $kind) (i32.const 3)) (then unreachable))
    (i32.mul (local.get $x) (i32.const 3)))

  ;; Grows memory by one page and writes at its end; the caller then reads there.
  (func $grow_and_mark (param $v i32) (result i32)
    (local $old i32)
    (local.set $old (memory.grow (i32.const 1)))
    (if (i32.ne (local.get $old) (i32.const -1))
      (then (i32.store (i32.sub (i32.shl (i32.add (local.get $old) (i32.const 1)) (i32.const 16)) (i32.const 4)) (local.get $v))))
    (local.get $old))

  (func $mix (param $a i32) (param $b i32) (result i32)
    (i32.xor (i32.mul (local.get $a) (i32.const 31)) (local.get $b)))

  (func $neg (param $x i32) (result i32)
    (i32.sub (i32.const 0) (local.get $x)))

  ;; Folds four bit fields of x with table[f] (so it is not called directly itself): f 0-2 reach
  ;; functions of the type (traps inside $risky), 3 one of another type, 4 null, 5 and up are out
  ;; of bounds.
  (func $fold_with (param $f i32) (param $x i32) (result i32)
    (local $i i32) (local $acc i32)
    (local.set $acc (i32.const 5))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const 4)))
      (local.set $acc
        (call_indirect (type $ii_i)
          (i32.and (local.get $acc) (i32.const 7))
          (i32.and (i32.shr_u (local.get $x) (i32.mul (local.get $i) (i32.const 5))) (i32.const 31))
          (local.get $f)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $acc))

  (func $spin (param $x i32) (result i32)
    (loop $forever (br $forever))
    (local.get $x))

  ;; kind 0: checksum through call_indirect; 1-3: traps; 4: memory.grow; 5: globals;
  ;; 6: a fold through the table; else plain.
  (func (export "run") (param $kind i32) (param $x i32) (result i32)
    (local $old i32)
    (if (i32.eqz (local.get $kind))
      (then (return (call_indirect (type $ii_i) (local.get $x) (i32.const 5) (i32.const 1)))))
    (if (i32.le_u (local.get $kind) (i32.const 3))
      (then (return (call $risky (local.get $kind) (local.get $x)))))
    (if (i32.eq (local.get $kind) (i32.const 4))
      (then
        (local.set $old (call $grow_and_mark (local.get $x)))
        (return (i32.add (local.get $old)
          (i32.load (i32.sub (i32.shl (i32.add (local.get $old) (i32.const 1)) (i32.const 16)) (i32.const 4)))))))
    (if (i32.eq (local.get $kind) (i32.const 5))
      (then
        (call $copy (i32.const 64) (i32.const 0) (i32.and (local.get $x) (i32.const 15)))
        (call $copy (i32.const 64) (i32.const 0) (i32.const 3))
        (return (i32.add (global.get $calls) (call $mix (local.get $x) (i32.const 9))))))
    (if (i32.eq (local.get $kind) (i32.const 6))
      (then (return (call $fold_with (i32.and (local.get $x) (i32.const 7)) (i32.shr_u (local.get $x) (i32.const 3))))))
    (call $mix (local.get $kind) (local.get $x)))

  (func (export "spin") (param $x i32) (result i32)
    (if (result i32) (i32.eqz (local.get $x)) (then (call $spin (local.get $x))) (else (local.get $x))))
)
