;; Mutable and immutable globals, and a start function that initializes state.
(module
  (global $base i32 (i32.const 1000))
  (global $counter (mut i32) (i32.const 0))
  (global $scale (mut f64) (f64.const 0.5))
  (global $wide (mut i64) (i64.const -1))
  (func $init (global.set $counter (i32.const 7)) (global.set $scale (f64.const 1.25)))
  (start $init)
  (func $bump (param $n i32)
    (global.set $counter (i32.add (global.get $counter) (local.get $n)))
    (global.set $wide (i64.rotl (global.get $wide) (i64.extend_i32_u (local.get $n)))))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (call $bump (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i64.add
      (i64.add (i64.extend_i32_u (i32.add (global.get $base) (global.get $counter))) (global.get $wide))
      (i64.trunc_f64_s (f64.mul (global.get $scale) (f64.convert_i32_u (local.get $n)))))))
