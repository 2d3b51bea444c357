;; The byte sums of protocol/kd/byte-sums.ts at SIMD speed (lane-sums-wasm.ts holds this
;; module assembled; test/unit/lane-sums-wasm.test.ts checks the two agree).
;;
;; sums(len): the sums of the bytes at even and at odd distance from the start of
;; memory[64, 64 + len), stored as u32 at memory[0] and memory[4]. Each 16-byte block adds at
;; most 510 to each i32 lane, so len up to 16 MiB cannot wrap one.
(module
  (memory (export "memory") 1)
  (func (export "sums") (param $len i32)
    (local $i i32) (local $end i32) (local $blocks i32)
    (local $even v128) (local $odd v128) (local $v v128)
    (local $e i32) (local $o i32)
    (local.set $i (i32.const 64))
    (local.set $end (i32.add (i32.const 64) (local.get $len)))
    (local.set $blocks (i32.add (i32.const 64) (i32.and (local.get $len) (i32.const -16))))
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $i) (local.get $blocks)))
        (local.set $v (v128.load (local.get $i)))
        ;; Little-endian i16 lanes: the low byte is at an even offset, the high byte at an odd.
        (local.set $even (i32x4.add (local.get $even)
          (i32x4.extadd_pairwise_i16x8_u
            (v128.and (local.get $v) (v128.const i16x8 255 255 255 255 255 255 255 255)))))
        (local.set $odd (i32x4.add (local.get $odd)
          (i32x4.extadd_pairwise_i16x8_u (i16x8.shr_u (local.get $v) (i32.const 8)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $more)))
    (local.set $e (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $even)) (i32x4.extract_lane 1 (local.get $even)))
      (i32.add (i32x4.extract_lane 2 (local.get $even)) (i32x4.extract_lane 3 (local.get $even)))))
    (local.set $o (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $odd)) (i32x4.extract_lane 1 (local.get $odd)))
      (i32.add (i32x4.extract_lane 2 (local.get $odd)) (i32x4.extract_lane 3 (local.get $odd)))))
    ;; The last len % 16 bytes one at a time: the data starts at 64, so odd addresses are odd
    ;; distances.
    (block $tail
      (loop $byte
        (br_if $tail (i32.ge_u (local.get $i) (local.get $end)))
        (if (i32.and (local.get $i) (i32.const 1))
          (then (local.set $o (i32.add (local.get $o) (i32.load8_u (local.get $i)))))
          (else (local.set $e (i32.add (local.get $e) (i32.load8_u (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.store (i32.const 0) (local.get $e))
    (i32.store (i32.const 4) (local.get $o))))
