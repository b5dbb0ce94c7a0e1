;; kernel_relaxed.wat: the engine's int4 matmul in WebAssembly relaxed SIMD, a second module
;; beside kernel.wat that the worker loads only where the browser validates relaxed SIMD
;; and a probe gets the exact dot product (Chromium 156 here does; Node 20 validates it with
;; --experimental-wasm-relaxed-simd but computes it wrong on AVX-VNNI). Assembled by `make` with
;; wat2wasm --enable-relaxed-simd into clip-simd-relaxed.wasm; wasm/engine/kernel_js.go calls
;; it for int4 weights when the block size is a multiple of 32, kernel.wat's mm otherwise.
;;
;; Why: i32x4.relaxed_dot_i8x16_i7x16_add_s does 16 multiply-adds per instruction where
;; SIMD128 needs i32x4.dot_i16x8_s on widened operands (8 per instruction, plus the
;; widening). Relaxed means its result may depend on the hardware when the second
;; operand has bytes above 127 (x86 lowers it to pmaddubsw, whose pairwise int16 sum
;; saturates); with the second operand in 0..127 every lowering gives the exact sum.
;; The file's 4-bit weights are stored as q+8, nibbles 0..15, so they go in as they are,
;; and the activations (int8, |a| ≤ 127: 2·127·15 fits int16) as the first operand:
;; Σ a·(u-8) = Σ a·u + init, where init = -8·Σa is what quant (and qact.setRow) already
;; store per block for the native VNNI kernel, which uses the same identity. The integer
;; dot products are therefore exactly tileGeneric's, and everything after them is
;; kernel.wat's mm line for line: the results stay bit-identical to the native kernels'.
;;
;; No int8 variant: an int8 weight is not in 0..127, and the exact split that was tried
;; (u = w+128 into two nibbles, Σa·w = 16·Σa·(u>>4) + Σa·(u&15) - 128·Σa: two relaxed
;; dots, a shift and an add per 16 inputs) was bit-identical but 1.4x slower than
;; kernel.wat's dot_i16x8_s in Chromium (commit 97e8926; docs/engine.md).
(module
  (import "env" "mem" (memory 1))

  ;; perm32 copies n int8 activations (n a multiple of 32) reordering each group of 32
  ;; to inputs 0,2,..,30 then 1,3,..,31: the order of the low and high nibbles of 16
  ;; weight bytes.
  (func $perm32 (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $u v128) (local $v v128)
    (loop $l
      (local.set $u (v128.load (i32.add (local.get $src) (local.get $i))))
      (local.set $v (v128.load offset=16 (i32.add (local.get $src) (local.get $i))))
      (v128.store (i32.add (local.get $dst) (local.get $i))
        (i8x16.shuffle 0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30 (local.get $u) (local.get $v)))
      (v128.store offset=16 (i32.add (local.get $dst) (local.get $i))
        (i8x16.shuffle 1 3 5 7 9 11 13 15 17 19 21 23 25 27 29 31 (local.get $u) (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))

  ;; store4 writes the cnt (1..4) leading lanes of v to the floats at p, or adds them.
  (func $store4 (param $p i32) (param $v v128) (param $cnt i32) (param $add i32)
    (if (i32.eq (local.get $cnt) (i32.const 4)) (then
      (if (local.get $add) (then
        (local.set $v (f32x4.add (v128.load (local.get $p)) (local.get $v)))))
      (v128.store (local.get $p) (local.get $v))
      (return)))
    ;; a partial quad (the last outputs): lane by lane, touching no float past them
    (if (local.get $add) (then
      (local.set $v (f32x4.replace_lane 0 (local.get $v) (f32.add (f32.load (local.get $p)) (f32x4.extract_lane 0 (local.get $v)))))
      (if (i32.ge_u (local.get $cnt) (i32.const 2)) (then
        (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.add (f32.load offset=4 (local.get $p)) (f32x4.extract_lane 1 (local.get $v)))))))
      (if (i32.ge_u (local.get $cnt) (i32.const 3)) (then
        (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.add (f32.load offset=8 (local.get $p)) (f32x4.extract_lane 2 (local.get $v)))))))))
    (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))
    (if (i32.ge_u (local.get $cnt) (i32.const 2)) (then
      (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.ge_u (local.get $cnt) (i32.const 3)) (then
      (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))

  ;; mm4: kernel.wat's mm for int4 weights (bits must be 4, bs a multiple of 32, kpad
  ;; too), with init (int32, rowsPad × nb: -8·Σ of each block's activations) added to
  ;; each block's dot product; a16 is scratch for the permuted activations (rowsPad·kpad
  ;; bytes). Same parameters otherwise, same loop order, but chunks of 32 inputs: per
  ;; output and pair of rows, one 16-byte load, an and, a shift and four relaxed dots.
  (func (export "mm4")
    (param $a8 i32) (param $a16 i32) (param $sa i32) (param $rows i32) (param $rowsPad i32)
    (param $kpad i32) (param $nb i32) (param $bs i32)
    (param $w i32) (param $rowBytes i32) (param $ws i32) (param $bits i32)
    (param $out i32) (param $ldo i32) (param $nout i32) (param $bias i32) (param $add i32)
    (param $sf i32) (param $init i32)
    (local $panel i32) (local $pend i32) (local $r i32) (local $n0 i32) (local $cnt i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $a0 i32) (local $a1 i32) (local $sa0 i32) (local $sa1 i32)
    (local $b i32) (local $k i32) (local $kend i32) (local $ak0 i32) (local $ak1 i32)
    (local $c i32) (local $rowStride i32) (local $in0 i32) (local $in1 i32)
    (local $p00 v128) (local $p01 v128) (local $p02 v128) (local $p03 v128)
    (local $p10 v128) (local $p11 v128) (local $p12 v128) (local $p13 v128)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local $v v128) (local $e0 v128) (local $e1 v128) (local $t0 v128) (local $t1 v128)
    (local $d v128) (local $sw v128) (local $acc0 v128) (local $acc1 v128)
    (call $perm32 (local.get $a8) (local.get $a16) (i32.mul (local.get $rowsPad) (local.get $kpad)))
    (local.set $rowStride (local.get $kpad))
    (loop $panels
      (local.set $pend (select (i32.add (local.get $panel) (i32.const 32)) (local.get $nout)
        (i32.lt_u (i32.add (local.get $panel) (i32.const 32)) (local.get $nout))))
      ;; the panel's float16 weight scales, converted exactly to float32 once for all
      ;; its rows, into sf[b][32] (a quad's four side by side): the 15 bits below the
      ;; sign, moved to float32's exponent and mantissa positions, are the value times
      ;; 2^-112 for normal and subnormal halves alike, so one multiply by 2^112 gives the
      ;; value (scales are finite: the file's checksum guards them). Past the last
      ;; output, the last row's scales again (computed, never stored).
      (local.set $n0 (local.get $panel))
      (loop $squads
        (local.set $c (i32.sub (local.get $nout) (i32.const 1)))
        (local.set $s0 (select (local.get $n0) (local.get $c) (i32.lt_u (local.get $n0) (local.get $nout))))
        (local.set $s1 (select (i32.add (local.get $n0) (i32.const 1)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 1)) (local.get $nout))))
        (local.set $s2 (select (i32.add (local.get $n0) (i32.const 2)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 2)) (local.get $nout))))
        (local.set $s3 (select (i32.add (local.get $n0) (i32.const 3)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 3)) (local.get $nout))))
        (local.set $s0 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s0) (local.get $nb)) (i32.const 1))))
        (local.set $s1 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s1) (local.get $nb)) (i32.const 1))))
        (local.set $s2 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s2) (local.get $nb)) (i32.const 1))))
        (local.set $s3 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s3) (local.get $nb)) (i32.const 1))))
        (local.set $b (i32.const 0))
        (loop $sblocks
          (local.set $c (i32.shl (local.get $b) (i32.const 1)))
          (local.set $sw (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1
            (i32x4.splat (i32.load16_u (i32.add (local.get $s0) (local.get $c))))
            (i32.load16_u (i32.add (local.get $s1) (local.get $c))))
            (i32.load16_u (i32.add (local.get $s2) (local.get $c))))
            (i32.load16_u (i32.add (local.get $s3) (local.get $c)))))
          (v128.store (i32.add (local.get $sf)
              (i32.shl (i32.add (i32.shl (local.get $b) (i32.const 5)) (i32.sub (local.get $n0) (local.get $panel))) (i32.const 2)))
            (v128.or
              (f32x4.mul
                (i32x4.shl (v128.and (local.get $sw) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)) (i32.const 13))
                (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
              (i32x4.shl (v128.and (local.get $sw) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br_if $sblocks (i32.lt_u (local.get $b) (local.get $nb))))
        (local.set $n0 (i32.add (local.get $n0) (i32.const 4)))
        (br_if $squads (i32.lt_u (local.get $n0) (local.get $pend))))
      (local.set $r (i32.const 0))
      (loop $pairs
        (local.set $a0 (i32.add (local.get $a16) (i32.mul (local.get $r) (local.get $rowStride))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $rowStride)))
        (local.set $sa0 (i32.add (local.get $sa) (i32.shl (i32.mul (local.get $r) (local.get $nb)) (i32.const 2))))
        (local.set $sa1 (i32.add (local.get $sa0) (i32.shl (local.get $nb) (i32.const 2))))
        (local.set $in0 (i32.add (local.get $init) (i32.shl (i32.mul (local.get $r) (local.get $nb)) (i32.const 2))))
        (local.set $in1 (i32.add (local.get $in0) (i32.shl (local.get $nb) (i32.const 2))))
        (local.set $n0 (local.get $panel))
        (loop $quads
          ;; the quad's four weight rows and scale rows; past the last output, the
          ;; last row again (computed, never stored)
          (local.set $c (i32.sub (local.get $nout) (i32.const 1)))
          (local.set $w0 (select (local.get $n0) (local.get $c) (i32.lt_u (local.get $n0) (local.get $nout))))
          (local.set $w1 (select (i32.add (local.get $n0) (i32.const 1)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 1)) (local.get $nout))))
          (local.set $w2 (select (i32.add (local.get $n0) (i32.const 2)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 2)) (local.get $nout))))
          (local.set $w3 (select (i32.add (local.get $n0) (i32.const 3)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 3)) (local.get $nout))))
          (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $w0) (local.get $rowBytes))))
          (local.set $w1 (i32.add (local.get $w) (i32.mul (local.get $w1) (local.get $rowBytes))))
          (local.set $w2 (i32.add (local.get $w) (i32.mul (local.get $w2) (local.get $rowBytes))))
          (local.set $w3 (i32.add (local.get $w) (i32.mul (local.get $w3) (local.get $rowBytes))))
          (local.set $acc0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $n0) (i32.const 2)))))
          (local.set $acc1 (local.get $acc0))
          (local.set $b (i32.const 0))
          (local.set $k (i32.const 0))
          (loop $blocks
            (local.set $p00 (v128.const i64x2 0 0))
            (local.set $p01 (v128.const i64x2 0 0))
            (local.set $p02 (v128.const i64x2 0 0))
            (local.set $p03 (v128.const i64x2 0 0))
            (local.set $p10 (v128.const i64x2 0 0))
            (local.set $p11 (v128.const i64x2 0 0))
            (local.set $p12 (v128.const i64x2 0 0))
            (local.set $p13 (v128.const i64x2 0 0))
            (local.set $kend (i32.add (local.get $k) (local.get $bs)))
            (loop $chunks
              ;; 32 inputs: the rows' activations, permuted (even inputs, then odd)
              (local.set $ak0 (i32.add (local.get $a0) (local.get $k)))
              (local.set $ak1 (i32.add (local.get $a1) (local.get $k)))
              (local.set $x0 (v128.load (local.get $ak0)))
              (local.set $x1 (v128.load offset=16 (local.get $ak0)))
              (local.set $y0 (v128.load (local.get $ak1)))
              (local.set $y1 (v128.load offset=16 (local.get $ak1)))
              ;; output 0: 32 weights in 16 bytes, the low nibbles (even inputs) and the
              ;; high ones (odd inputs) as they are stored, 0..15
              (local.set $v (v128.load (i32.add (local.get $w0) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (local.set $e1 (i8x16.shr_u (local.get $v) (i32.const 4)))
              (local.set $p00 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x0) (local.get $e0) (local.get $p00))))
              (local.set $p10 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y0) (local.get $e0) (local.get $p10))))
              ;; output 1: 32 weights in 16 bytes, the low nibbles (even inputs) and the
              ;; high ones (odd inputs) as they are stored, 0..15
              (local.set $v (v128.load (i32.add (local.get $w1) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (local.set $e1 (i8x16.shr_u (local.get $v) (i32.const 4)))
              (local.set $p01 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x0) (local.get $e0) (local.get $p01))))
              (local.set $p11 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y0) (local.get $e0) (local.get $p11))))
              ;; output 2: 32 weights in 16 bytes, the low nibbles (even inputs) and the
              ;; high ones (odd inputs) as they are stored, 0..15
              (local.set $v (v128.load (i32.add (local.get $w2) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (local.set $e1 (i8x16.shr_u (local.get $v) (i32.const 4)))
              (local.set $p02 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x0) (local.get $e0) (local.get $p02))))
              (local.set $p12 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y0) (local.get $e0) (local.get $p12))))
              ;; output 3: 32 weights in 16 bytes, the low nibbles (even inputs) and the
              ;; high ones (odd inputs) as they are stored, 0..15
              (local.set $v (v128.load (i32.add (local.get $w3) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
              (local.set $e1 (i8x16.shr_u (local.get $v) (i32.const 4)))
              (local.set $p03 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $x0) (local.get $e0) (local.get $p03))))
              (local.set $p13 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y1) (local.get $e1)
                (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $y0) (local.get $e0) (local.get $p13))))
              (local.set $k (i32.add (local.get $k) (i32.const 32)))
              (br_if $chunks (i32.lt_u (local.get $k) (local.get $kend))))
            (local.set $sw (v128.load (i32.add (local.get $sf)
              (i32.shl (i32.add (i32.shl (local.get $b) (i32.const 5)) (i32.sub (local.get $n0) (local.get $panel))) (i32.const 2)))))
            ;; per row: the four outputs' 4-lane partial sums, transposed and added, give
            ;; the block's four dot products in one vector (integer sums, exact in any
            ;; order), plus the block's init (-8·Σa, the nibbles' offset); then acc += float32(d) · float32(sa·sw), the portable kernel's
            ;; expression
            (local.set $t0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p00) (local.get $p01))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p00) (local.get $p01))))
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p02) (local.get $p03))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p02) (local.get $p03))))
            (local.set $d (i32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t0) (local.get $t1))))
            (local.set $d (i32x4.add (local.get $d)
              (i32x4.splat (i32.load (i32.add (local.get $in0) (i32.shl (local.get $b) (i32.const 2)))))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul
              (f32x4.convert_i32x4_s (local.get $d))
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $sa0) (i32.shl (local.get $b) (i32.const 2)))))
                (local.get $sw)))))
            (local.set $t0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p10) (local.get $p11))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p10) (local.get $p11))))
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p12) (local.get $p13))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p12) (local.get $p13))))
            (local.set $d (i32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t0) (local.get $t1))))
            (local.set $d (i32x4.add (local.get $d)
              (i32x4.splat (i32.load (i32.add (local.get $in1) (i32.shl (local.get $b) (i32.const 2)))))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul
              (f32x4.convert_i32x4_s (local.get $d))
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $sa1) (i32.shl (local.get $b) (i32.const 2)))))
                (local.get $sw)))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks (i32.lt_u (local.get $b) (local.get $nb))))
          (local.set $cnt (i32.sub (local.get $nout) (local.get $n0)))
          (local.set $cnt (select (i32.const 4) (local.get $cnt) (i32.gt_u (local.get $cnt) (i32.const 4))))
          (if (i32.lt_u (local.get $r) (local.get $rows)) (then
            (call $store4 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ldo)) (local.get $n0)) (i32.const 2)))
              (local.get $acc0) (local.get $cnt) (local.get $add))))
          (if (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows)) (then
            (call $store4 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $r) (i32.const 1)) (local.get $ldo)) (local.get $n0)) (i32.const 2)))
              (local.get $acc1) (local.get $cnt) (local.get $add))))
          (local.set $n0 (i32.add (local.get $n0) (i32.const 4)))
          (br_if $quads (i32.lt_u (local.get $n0) (local.get $pend))))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br_if $pairs (i32.lt_u (local.get $r) (local.get $rows))))
      (local.set $panel (local.get $pend))
      (br_if $panels (i32.lt_u (local.get $panel) (local.get $nout)))))

  ;; mm8: kernel.wat's mm for int8 weights and 7-bit activations (|a| ≤ 63, a file
  ;; quantized with activation_bits 7; bits must be 8, bs a multiple of 16). The
  ;; activations plus 64 (0..127) are the second operand, the weights as they are (any
  ;; int8) the first: each pairwise sum is at most 2·128·127, within int16, so every
  ;; lowering gives the exact Σ w·(a+64), and the block's Σ w·a is that less 64·Σ w. The
  ;; panel's 64·Σ w per output and block go to cf (128·nb bytes, as sf) with relaxed dots
  ;; against ones, once per call; a16 is scratch for the activations plus 64 (rowsPad·kpad
  ;; bytes). Same parameters as mm otherwise, same loop order, chunks of 16 inputs: per
  ;; output and pair of rows, one 16-byte load and two relaxed dots.
  (func (export "mm8")
    (param $a8 i32) (param $a16 i32) (param $sa i32) (param $rows i32) (param $rowsPad i32)
    (param $kpad i32) (param $nb i32) (param $bs i32)
    (param $w i32) (param $rowBytes i32) (param $ws i32) (param $bits i32)
    (param $out i32) (param $ldo i32) (param $nout i32) (param $bias i32) (param $add i32)
    (param $sf i32) (param $cf i32)
    (local $panel i32) (local $pend i32) (local $r i32) (local $n0 i32) (local $cnt i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $a0 i32) (local $a1 i32) (local $sa0 i32) (local $sa1 i32)
    (local $b i32) (local $k i32) (local $kend i32) (local $ak0 i32) (local $ak1 i32)
    (local $c i32) (local $rowStride i32) (local $i i32) (local $n i32)
    (local $p00 v128) (local $p01 v128) (local $p02 v128) (local $p03 v128)
    (local $p10 v128) (local $p11 v128) (local $p12 v128) (local $p13 v128)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local $v v128) (local $e0 v128) (local $e1 v128) (local $t0 v128) (local $t1 v128)
    (local $d v128) (local $sw v128) (local $cw v128) (local $acc0 v128) (local $acc1 v128)
    ;; the activations plus 64, 0..127 (padding rows and inputs become 64: a padding
    ;; input meets zero weights, and a padding row is never stored)
    (local.set $n (i32.mul (local.get $rowsPad) (local.get $kpad)))
    (loop $plus64
      (v128.store (i32.add (local.get $a16) (local.get $i))
        (i8x16.add (v128.load (i32.add (local.get $a8) (local.get $i))) (i8x16.splat (i32.const 64))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $plus64 (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $rowStride (local.get $kpad))
    (loop $panels
      (local.set $pend (select (i32.add (local.get $panel) (i32.const 32)) (local.get $nout)
        (i32.lt_u (i32.add (local.get $panel) (i32.const 32)) (local.get $nout))))
      ;; the panel's float16 weight scales, converted exactly to float32 once for all
      ;; its rows, into sf[b][32] (a quad's four side by side): the 15 bits below the
      ;; sign, moved to float32's exponent and mantissa positions, are the value times
      ;; 2^-112 for normal and subnormal halves alike, so one multiply by 2^112 gives the
      ;; value (scales are finite: the file's checksum guards them). Past the last
      ;; output, the last row's scales again (computed, never stored).
      (local.set $n0 (local.get $panel))
      (loop $squads
        (local.set $c (i32.sub (local.get $nout) (i32.const 1)))
        (local.set $s0 (select (local.get $n0) (local.get $c) (i32.lt_u (local.get $n0) (local.get $nout))))
        (local.set $s1 (select (i32.add (local.get $n0) (i32.const 1)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 1)) (local.get $nout))))
        (local.set $s2 (select (i32.add (local.get $n0) (i32.const 2)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 2)) (local.get $nout))))
        (local.set $s3 (select (i32.add (local.get $n0) (i32.const 3)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 3)) (local.get $nout))))
        (local.set $s0 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s0) (local.get $nb)) (i32.const 1))))
        (local.set $s1 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s1) (local.get $nb)) (i32.const 1))))
        (local.set $s2 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s2) (local.get $nb)) (i32.const 1))))
        (local.set $w0 (i32.add (local.get $w) (i32.mul (select (local.get $n0) (local.get $c) (i32.lt_u (local.get $n0) (local.get $nout))) (local.get $rowBytes))))
        (local.set $w1 (i32.add (local.get $w) (i32.mul (select (i32.add (local.get $n0) (i32.const 1)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 1)) (local.get $nout))) (local.get $rowBytes))))
        (local.set $w2 (i32.add (local.get $w) (i32.mul (select (i32.add (local.get $n0) (i32.const 2)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 2)) (local.get $nout))) (local.get $rowBytes))))
        (local.set $w3 (i32.add (local.get $w) (i32.mul (select (i32.add (local.get $n0) (i32.const 3)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 3)) (local.get $nout))) (local.get $rowBytes))))
        (local.set $s3 (i32.add (local.get $ws) (i32.shl (i32.mul (local.get $s3) (local.get $nb)) (i32.const 1))))
        (local.set $b (i32.const 0))
        (local.set $k (i32.const 0))
        (loop $sblocks
          (local.set $c (i32.shl (local.get $b) (i32.const 1)))
          (local.set $sw (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1
            (i32x4.splat (i32.load16_u (i32.add (local.get $s0) (local.get $c))))
            (i32.load16_u (i32.add (local.get $s1) (local.get $c))))
            (i32.load16_u (i32.add (local.get $s2) (local.get $c))))
            (i32.load16_u (i32.add (local.get $s3) (local.get $c)))))
          (v128.store (i32.add (local.get $sf)
              (i32.shl (i32.add (i32.shl (local.get $b) (i32.const 5)) (i32.sub (local.get $n0) (local.get $panel))) (i32.const 2)))
            (v128.or
              (f32x4.mul
                (i32x4.shl (v128.and (local.get $sw) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)) (i32.const 13))
                (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
              (i32x4.shl (v128.and (local.get $sw) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))))
          ;; 64·Σ w of the block, for the quad's four outputs side by side
          (local.set $p00 (v128.const i64x2 0 0))
          (local.set $p01 (v128.const i64x2 0 0))
          (local.set $p02 (v128.const i64x2 0 0))
          (local.set $p03 (v128.const i64x2 0 0))
          (local.set $kend (i32.add (local.get $k) (local.get $bs)))
          (loop $wsum
            (local.set $p00 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load (i32.add (local.get $w0) (local.get $k))) (i8x16.splat (i32.const 1)) (local.get $p00)))
            (local.set $p01 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load (i32.add (local.get $w1) (local.get $k))) (i8x16.splat (i32.const 1)) (local.get $p01)))
            (local.set $p02 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load (i32.add (local.get $w2) (local.get $k))) (i8x16.splat (i32.const 1)) (local.get $p02)))
            (local.set $p03 (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load (i32.add (local.get $w3) (local.get $k))) (i8x16.splat (i32.const 1)) (local.get $p03)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br_if $wsum (i32.lt_u (local.get $k) (local.get $kend))))
          (local.set $t0 (i32x4.add
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p00) (local.get $p01))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p00) (local.get $p01))))
          (local.set $t1 (i32x4.add
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p02) (local.get $p03))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p02) (local.get $p03))))
          (v128.store (i32.add (local.get $cf)
              (i32.shl (i32.add (i32.shl (local.get $b) (i32.const 5)) (i32.sub (local.get $n0) (local.get $panel))) (i32.const 2)))
            (i32x4.shl (i32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t0) (local.get $t1))) (i32.const 6)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br_if $sblocks (i32.lt_u (local.get $b) (local.get $nb))))
        (local.set $n0 (i32.add (local.get $n0) (i32.const 4)))
        (br_if $squads (i32.lt_u (local.get $n0) (local.get $pend))))
      (local.set $r (i32.const 0))
      (loop $pairs
        (local.set $a0 (i32.add (local.get $a16) (i32.mul (local.get $r) (local.get $rowStride))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $rowStride)))
        (local.set $sa0 (i32.add (local.get $sa) (i32.shl (i32.mul (local.get $r) (local.get $nb)) (i32.const 2))))
        (local.set $sa1 (i32.add (local.get $sa0) (i32.shl (local.get $nb) (i32.const 2))))
        (local.set $n0 (local.get $panel))
        (loop $quads
          ;; the quad's four weight rows and scale rows; past the last output, the
          ;; last row again (computed, never stored)
          (local.set $c (i32.sub (local.get $nout) (i32.const 1)))
          (local.set $w0 (select (local.get $n0) (local.get $c) (i32.lt_u (local.get $n0) (local.get $nout))))
          (local.set $w1 (select (i32.add (local.get $n0) (i32.const 1)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 1)) (local.get $nout))))
          (local.set $w2 (select (i32.add (local.get $n0) (i32.const 2)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 2)) (local.get $nout))))
          (local.set $w3 (select (i32.add (local.get $n0) (i32.const 3)) (local.get $c) (i32.lt_u (i32.add (local.get $n0) (i32.const 3)) (local.get $nout))))
          (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $w0) (local.get $rowBytes))))
          (local.set $w1 (i32.add (local.get $w) (i32.mul (local.get $w1) (local.get $rowBytes))))
          (local.set $w2 (i32.add (local.get $w) (i32.mul (local.get $w2) (local.get $rowBytes))))
          (local.set $w3 (i32.add (local.get $w) (i32.mul (local.get $w3) (local.get $rowBytes))))
          (local.set $acc0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $n0) (i32.const 2)))))
          (local.set $acc1 (local.get $acc0))
          (local.set $b (i32.const 0))
          (local.set $k (i32.const 0))
          (loop $blocks
            (local.set $p00 (v128.const i64x2 0 0))
            (local.set $p01 (v128.const i64x2 0 0))
            (local.set $p02 (v128.const i64x2 0 0))
            (local.set $p03 (v128.const i64x2 0 0))
            (local.set $p10 (v128.const i64x2 0 0))
            (local.set $p11 (v128.const i64x2 0 0))
            (local.set $p12 (v128.const i64x2 0 0))
            (local.set $p13 (v128.const i64x2 0 0))
            (local.set $kend (i32.add (local.get $k) (local.get $bs)))
            (loop $chunks
              ;; 16 inputs: the rows' activations plus 64, and each output's 16 weights
              (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $k))))
              (local.set $y0 (v128.load (i32.add (local.get $a1) (local.get $k))))
              (local.set $v (v128.load (i32.add (local.get $w0) (local.get $k))))
              (local.set $p00 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $x0) (local.get $p00)))
              (local.set $p10 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $y0) (local.get $p10)))
              (local.set $v (v128.load (i32.add (local.get $w1) (local.get $k))))
              (local.set $p01 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $x0) (local.get $p01)))
              (local.set $p11 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $y0) (local.get $p11)))
              (local.set $v (v128.load (i32.add (local.get $w2) (local.get $k))))
              (local.set $p02 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $x0) (local.get $p02)))
              (local.set $p12 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $y0) (local.get $p12)))
              (local.set $v (v128.load (i32.add (local.get $w3) (local.get $k))))
              (local.set $p03 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $x0) (local.get $p03)))
              (local.set $p13 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $y0) (local.get $p13)))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br_if $chunks (i32.lt_u (local.get $k) (local.get $kend))))
            (local.set $c (i32.shl (i32.add (i32.shl (local.get $b) (i32.const 5)) (i32.sub (local.get $n0) (local.get $panel))) (i32.const 2)))
            (local.set $sw (v128.load (i32.add (local.get $sf) (local.get $c))))
            (local.set $cw (v128.load (i32.add (local.get $cf) (local.get $c))))
            ;; per row: the four outputs' 4-lane partial sums, transposed and added, give
            ;; the block's four dot products in one vector (integer sums, exact in any
            ;; order), less the block's 64·Σ w (the activations' offset); then acc += float32(d) · float32(sa·sw), the portable kernel's
            ;; expression
            (local.set $t0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p00) (local.get $p01))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p00) (local.get $p01))))
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p02) (local.get $p03))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p02) (local.get $p03))))
            (local.set $d (i32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t0) (local.get $t1))))
            (local.set $d (i32x4.sub (local.get $d) (local.get $cw)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul
              (f32x4.convert_i32x4_s (local.get $d))
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $sa0) (i32.shl (local.get $b) (i32.const 2)))))
                (local.get $sw)))))
            (local.set $t0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p10) (local.get $p11))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p10) (local.get $p11))))
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p12) (local.get $p13))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p12) (local.get $p13))))
            (local.set $d (i32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $t0) (local.get $t1))))
            (local.set $d (i32x4.sub (local.get $d) (local.get $cw)))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul
              (f32x4.convert_i32x4_s (local.get $d))
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $sa1) (i32.shl (local.get $b) (i32.const 2)))))
                (local.get $sw)))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks (i32.lt_u (local.get $b) (local.get $nb))))
          (local.set $cnt (i32.sub (local.get $nout) (local.get $n0)))
          (local.set $cnt (select (i32.const 4) (local.get $cnt) (i32.gt_u (local.get $cnt) (i32.const 4))))
          (if (i32.lt_u (local.get $r) (local.get $rows)) (then
            (call $store4 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ldo)) (local.get $n0)) (i32.const 2)))
              (local.get $acc0) (local.get $cnt) (local.get $add))))
          (if (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows)) (then
            (call $store4 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $r) (i32.const 1)) (local.get $ldo)) (local.get $n0)) (i32.const 2)))
              (local.get $acc1) (local.get $cnt) (local.get $add))))
          (local.set $n0 (i32.add (local.get $n0) (i32.const 4)))
          (br_if $quads (i32.lt_u (local.get $n0) (local.get $pend))))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br_if $pairs (i32.lt_u (local.get $r) (local.get $rows))))
      (local.set $panel (local.get $pend))
      (br_if $panels (i32.lt_u (local.get $panel) (local.get $nout)))))
)
