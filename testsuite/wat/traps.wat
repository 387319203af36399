;; Each kind of trap, chosen per VM; the other VMs return normally.
(module
  (memory 1)
  (func $deep (param $n i32) (result i32)
    (i32.add (call $deep (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func $boom (param $x i32) (result i32) (unreachable))
  (func (export "maybe_trap") (param $kind i32) (param $x i32) (result i32)
    (block $ok (block $stack (block $oob (block $conv (block $ovf (block $div (block $unr
      (br_table $ok $unr $div $ovf $conv $oob $stack $ok (i32.rem_u (local.get $kind) (i32.const 8))))
      (return (call $boom (local.get $x))))
      (return (i32.div_u (local.get $x) (i32.const 0))))
      (return (i32.div_s (i32.const 0x80000000) (i32.const -1))))
      (return (i32.trunc_f32_s (f32.const nan))))
      (return (i32.load (i32.add (i32.const 65534) (local.get $x)))))
      (return (call $deep (local.get $x))))
    (i32.mul (local.get $x) (i32.const 3))))
