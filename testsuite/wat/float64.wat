;; f64 arithmetic, comparisons and rounding with Wasm's NaN and -0 rules.
(module
  (func (export "binop") (param $op i32) (param $a f64) (param $b f64) (result f64)
    (block $ge (block $le (block $gt (block $lt (block $ne (block $eq
    (block $cs (block $max (block $min (block $div (block $mul (block $sub (block $add
      (br_table $add $sub $mul $div $min $max $cs $eq $ne $lt $gt $le $ge (i32.rem_u (local.get $op) (i32.const 13))))
      (return (f64.add (local.get $a) (local.get $b))))
      (return (f64.sub (local.get $a) (local.get $b))))
      (return (f64.mul (local.get $a) (local.get $b))))
      (return (f64.div (local.get $a) (local.get $b))))
      (return (f64.min (local.get $a) (local.get $b))))
      (return (f64.max (local.get $a) (local.get $b))))
      (return (f64.copysign (local.get $a) (local.get $b))))
      (return (f64.convert_i32_u (f64.eq (local.get $a) (local.get $b)))))
      (return (f64.convert_i32_u (f64.ne (local.get $a) (local.get $b)))))
      (return (f64.convert_i32_u (f64.lt (local.get $a) (local.get $b)))))
      (return (f64.convert_i32_u (f64.gt (local.get $a) (local.get $b)))))
      (return (f64.convert_i32_u (f64.le (local.get $a) (local.get $b)))))
    (f64.convert_i32_u (f64.ge (local.get $a) (local.get $b))))
  (func (export "unop") (param $op i32) (param $a f64) (result f64)
    (block $sqrt (block $near (block $trunc (block $floor (block $ceil (block $neg (block $abs
      (br_table $abs $neg $ceil $floor $trunc $near $sqrt (i32.rem_u (local.get $op) (i32.const 7))))
      (return (f64.abs (local.get $a))))
      (return (f64.neg (local.get $a))))
      (return (f64.ceil (local.get $a))))
      (return (f64.floor (local.get $a))))
      (return (f64.trunc (local.get $a))))
      (return (f64.nearest (local.get $a))))
    (f64.sqrt (local.get $a)))
  ;; A float loop whose rounding shows if multiply-add gets contracted.
  (func (export "poly") (param $x f64) (param $n i32) (result f64)
    (local $acc f64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (f64.add (f64.mul (local.get $acc) (local.get $x)) (f64.const 0.1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
