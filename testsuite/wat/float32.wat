;; f32 arithmetic, comparisons and rounding with Wasm's NaN and -0 rules.
(module
  (func (export "binop") (param $op i32) (param $a f32) (param $b f32) (result f32)
    (block $ge (block $le (block $gt (block $lt (block $ne (block $eq
    (block $cs (block $max (block $min (block $div (block $mul (block $sub (block $add
      (br_table $add $sub $mul $div $min $max $cs $eq $ne $lt $gt $le $ge (i32.rem_u (local.get $op) (i32.const 13))))
      (return (f32.add (local.get $a) (local.get $b))))
      (return (f32.sub (local.get $a) (local.get $b))))
      (return (f32.mul (local.get $a) (local.get $b))))
      (return (f32.div (local.get $a) (local.get $b))))
      (return (f32.min (local.get $a) (local.get $b))))
      (return (f32.max (local.get $a) (local.get $b))))
      (return (f32.copysign (local.get $a) (local.get $b))))
      (return (f32.convert_i32_u (f32.eq (local.get $a) (local.get $b)))))
      (return (f32.convert_i32_u (f32.ne (local.get $a) (local.get $b)))))
      (return (f32.convert_i32_u (f32.lt (local.get $a) (local.get $b)))))
      (return (f32.convert_i32_u (f32.gt (local.get $a) (local.get $b)))))
      (return (f32.convert_i32_u (f32.le (local.get $a) (local.get $b)))))
    (f32.convert_i32_u (f32.ge (local.get $a) (local.get $b))))
  (func (export "unop") (param $op i32) (param $a f32) (result f32)
    (block $sqrt (block $near (block $trunc (block $floor (block $ceil (block $neg (block $abs
      (br_table $abs $neg $ceil $floor $trunc $near $sqrt (i32.rem_u (local.get $op) (i32.const 7))))
      (return (f32.abs (local.get $a))))
      (return (f32.neg (local.get $a))))
      (return (f32.ceil (local.get $a))))
      (return (f32.floor (local.get $a))))
      (return (f32.trunc (local.get $a))))
      (return (f32.nearest (local.get $a))))
    (f32.sqrt (local.get $a)))
  ;; A float loop whose rounding shows if multiply-add gets contracted.
  (func (export "poly") (param $x f32) (param $n i32) (result f32)
    (local $acc f32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (f32.add (f32.mul (local.get $acc) (local.get $x)) (f32.const 0.1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
