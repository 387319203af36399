;; Function pointers: a table of functions of several types; bad indices and type mismatches
;; trap in the VMs that hit them.
(module
  (type $binary (func (param i32 i32) (result i32)))
  (type $unary (func (param i32) (result i32)))
  (table 8 funcref)
  (elem (i32.const 0) $add $sub $mul $neg $twice)
  (func $add (type $binary) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binary) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $binary) (i32.mul (local.get 0) (local.get 1)))
  (func $neg (type $unary) (i32.sub (i32.const 0) (local.get 0)))
  (func $twice (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  ;; Calls table[i] as a binary function: 0..2 work, 3..4 mismatch, 5..7 null, 8+ out of bounds.
  (func (export "apply") (param $i i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $binary) (local.get $a) (local.get $b) (local.get $i)))
  ;; Folds a list of operations picked from the bits of $code.
  (func (export "fold") (param $code i32) (param $x i32) (result i32)
    (local $k i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $k) (i32.const 8)))
      (local.set $x
        (call_indirect (type $binary) (local.get $x) (i32.add (local.get $k) (i32.const 3))
          (i32.rem_u (i32.shr_u (local.get $code) (i32.mul (local.get $k) (i32.const 2))) (i32.const 3))))
      (local.set $x (call_indirect (type $unary) (local.get $x) (i32.add (i32.const 3) (i32.and (local.get $k) (i32.const 1)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $l)))
    (local.get $x)))
