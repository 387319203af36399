;; Known linear-memory traffic for `-DVV_COUNT_MEMORY`: 7 accesses of 33 bytes in all, one of them
;; unaligned (counted once).
(module
  (memory 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 7))
    (i64.store (i32.const 8) (i64.const 9))
    (i32.store16 (i32.const 16)
      (i32.add (i32.load8_u (i32.const 0)) (i32.load16_u (i32.const 1))))
    (i64.store (i32.const 24) (i64.load (i32.const 8)))))
