;; Some VMs never finish: fuel preemption must let the others complete.
(module
  (func (export "spin") (param $x i32) (result i32)
    (if (i32.eqz (i32.rem_u (local.get $x) (i32.const 4)))
      (then (loop $forever (br $forever))))
    (i32.mul (local.get $x) (i32.const 2)))
  ;; Long but finite: needs many launches at a small fuel.
  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i)))
