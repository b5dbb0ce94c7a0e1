;; kernel.wat: the engine's hot loops in WebAssembly SIMD (128-bit): the quantized matmul
;; (mm), attention's two products (scores, attnout), the activations' quantization (quant)
;; and quick_gelu (qgelu).
;;
;; Why a hand-written module: Go's WebAssembly port emits no SIMD instructions (Go 1.26),
;; and the engine's portable kernel in scalar wasm is ~90x slower than its AVX-512 VNNI
;; kernel natively. This module imports the Go program's own linear memory (the worker
;; instantiates it with {env: {mem: goInstance.exports.mem}}), so the engine passes
;; pointers into its Go slices and nothing is copied. `make wasm` assembles it with
;; WABT's wat2wasm (npm package wabt, pinned in the Makefile); wasm/engine/kernel_js.go
;; calls it.
;;
;; Every function computes exactly what its Go twin in wasm/engine computes, with IEEE
;; float32 multiplies and adds in the same order (no fused multiply-add) and exact
;; integer sums, so the results are bit-identical to the native kernels' (the tests in
;; wasm/wasmtest require it). For mm, the twin is tileGeneric (linear.go): for each row
;; r, output n and block b, the integer dot product d of the int8 activations and the
;; int8/int4 weights, then out = bias + Σ_b float32(d)·(sa·sw) in block order.
;;
;; Loops test their condition at the end, so every count (rows, outputs, blocks, keys)
;; must be at least 1: the Go side skips empty calls.
(module
  (import "env" "mem" (memory 1))

  ;; widen copies n int8 activations (n a multiple of 16) to int16, the operand width of
  ;; i32x4.dot_i16x8_s. With perm (4-bit weights), each group of 16 is reordered to
  ;; inputs 0,2,..,14 then 1,3,..,15: the order in which the kernel unpacks the low and
  ;; high nibbles of 8 weight bytes.
  (func $widen (param $src i32) (param $dst i32) (param $n i32) (param $perm i32)
    (local $i i32) (local $v v128)
    (loop $l
      (local.set $v (v128.load (i32.add (local.get $src) (local.get $i))))
      (if (local.get $perm) (then
        (local.set $v (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15 (local.get $v) (local.get $v)))))
      (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1)))
        (i16x8.extend_low_i8x16_s (local.get $v)))
      (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1)))
        (i16x8.extend_high_i8x16_s (local.get $v)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
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

  ;; mm: out[r][n] = (or +=) bias[n] + Σ_b float32(dot_b(a[r], W[n])) · (sa[r][b]·sw[n][b])
  ;; for r < rows and n < nout.
  ;;   a8      int8 activations, rowsPad × kpad (rowsPad even, padding rows zero)
  ;;   a16     scratch for them as int16 (2·rowsPad·kpad bytes)
  ;;   sa      float32 activation scales, rowsPad × nb
  ;;   w, rowBytes, ws: the weights in the file layout (rows of nout; int8, or int4 two
  ;;           per byte, even input in the low nibble, each stored as q+8) and their
  ;;           float16 scales, nout × nb
  ;;   bias    float32, nout rounded up to a multiple of 4
  ;;   bs      block size, a multiple of 16
  ;;   sf      scratch for a panel's scales as float32 (128·nb bytes)
  ;; Loop order: panels of 32 outputs (their weights, ≤ 32·kpad bytes, stay in cache;
  ;; their scales are converted once) × pairs of rows × quads of outputs × blocks × 16-input chunks. A pair of rows and a
  ;; quad of outputs keep 8 partial-sum vectors in registers; each weight vector is
  ;; unpacked once for both rows.
  (func (export "mm")
    (param $a8 i32) (param $a16 i32) (param $sa i32) (param $rows i32) (param $rowsPad i32)
    (param $kpad i32) (param $nb i32) (param $bs i32)
    (param $w i32) (param $rowBytes i32) (param $ws i32) (param $bits i32)
    (param $out i32) (param $ldo i32) (param $nout i32) (param $bias i32) (param $add i32)
    (param $sf i32)
    (local $panel i32) (local $pend i32) (local $r i32) (local $n0 i32) (local $cnt i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $a0 i32) (local $a1 i32) (local $sa0 i32) (local $sa1 i32)
    (local $b i32) (local $k i32) (local $kend i32) (local $ak0 i32) (local $ak1 i32)
    (local $c i32) (local $rowStride i32)
    (local $p00 v128) (local $p01 v128) (local $p02 v128) (local $p03 v128)
    (local $p10 v128) (local $p11 v128) (local $p12 v128) (local $p13 v128)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local $v v128) (local $e0 v128) (local $e1 v128) (local $t0 v128) (local $t1 v128)
    (local $d v128) (local $sw v128) (local $acc0 v128) (local $acc1 v128)
    (call $widen (local.get $a8) (local.get $a16) (i32.mul (local.get $rowsPad) (local.get $kpad))
      (i32.eq (local.get $bits) (i32.const 4)))
    (local.set $rowStride (i32.shl (local.get $kpad) (i32.const 1)))
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
              (local.set $ak0 (i32.add (local.get $a0) (i32.shl (local.get $k) (i32.const 1))))
              (local.set $ak1 (i32.add (local.get $a1) (i32.shl (local.get $k) (i32.const 1))))
              (local.set $x0 (v128.load (local.get $ak0)))
              (local.set $x1 (v128.load offset=16 (local.get $ak0)))
              (local.set $y0 (v128.load (local.get $ak1)))
              (local.set $y1 (v128.load offset=16 (local.get $ak1)))
              (if (i32.eq (local.get $bits) (i32.const 8))
                (then
              ;; output 0: 16 int8 weights, widened
              (local.set $v (v128.load (i32.add (local.get $w0) (local.get $k))))
              (local.set $e0 (i16x8.extend_low_i8x16_s (local.get $v)))
              (local.set $e1 (i16x8.extend_high_i8x16_s (local.get $v)))
              (local.set $p00 (i32x4.add (local.get $p00) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p10 (i32x4.add (local.get $p10) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1)))))
              ;; output 1: 16 int8 weights, widened
              (local.set $v (v128.load (i32.add (local.get $w1) (local.get $k))))
              (local.set $e0 (i16x8.extend_low_i8x16_s (local.get $v)))
              (local.set $e1 (i16x8.extend_high_i8x16_s (local.get $v)))
              (local.set $p01 (i32x4.add (local.get $p01) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p11 (i32x4.add (local.get $p11) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1)))))
              ;; output 2: 16 int8 weights, widened
              (local.set $v (v128.load (i32.add (local.get $w2) (local.get $k))))
              (local.set $e0 (i16x8.extend_low_i8x16_s (local.get $v)))
              (local.set $e1 (i16x8.extend_high_i8x16_s (local.get $v)))
              (local.set $p02 (i32x4.add (local.get $p02) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p12 (i32x4.add (local.get $p12) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1)))))
              ;; output 3: 16 int8 weights, widened
              (local.set $v (v128.load (i32.add (local.get $w3) (local.get $k))))
              (local.set $e0 (i16x8.extend_low_i8x16_s (local.get $v)))
              (local.set $e1 (i16x8.extend_high_i8x16_s (local.get $v)))
              (local.set $p03 (i32x4.add (local.get $p03) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p13 (i32x4.add (local.get $p13) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1))))))
                (else
              ;; output 0: 16 int4 weights in 8 bytes, low nibbles (even inputs) and
              ;; high nibbles (odd inputs) each less 8, widened
              (local.set $v (v128.load64_zero (i32.add (local.get $w0) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (i16x8.extend_low_i8x16_s
                (i8x16.sub (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
                  (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $e1 (i16x8.extend_low_i8x16_s
                (i8x16.sub (i8x16.shr_u (local.get $v) (i32.const 4)) (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $p00 (i32x4.add (local.get $p00) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p10 (i32x4.add (local.get $p10) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1)))))
              ;; output 1: 16 int4 weights in 8 bytes, low nibbles (even inputs) and
              ;; high nibbles (odd inputs) each less 8, widened
              (local.set $v (v128.load64_zero (i32.add (local.get $w1) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (i16x8.extend_low_i8x16_s
                (i8x16.sub (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
                  (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $e1 (i16x8.extend_low_i8x16_s
                (i8x16.sub (i8x16.shr_u (local.get $v) (i32.const 4)) (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $p01 (i32x4.add (local.get $p01) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p11 (i32x4.add (local.get $p11) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1)))))
              ;; output 2: 16 int4 weights in 8 bytes, low nibbles (even inputs) and
              ;; high nibbles (odd inputs) each less 8, widened
              (local.set $v (v128.load64_zero (i32.add (local.get $w2) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (i16x8.extend_low_i8x16_s
                (i8x16.sub (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
                  (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $e1 (i16x8.extend_low_i8x16_s
                (i8x16.sub (i8x16.shr_u (local.get $v) (i32.const 4)) (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $p02 (i32x4.add (local.get $p02) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p12 (i32x4.add (local.get $p12) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1)))))
              ;; output 3: 16 int4 weights in 8 bytes, low nibbles (even inputs) and
              ;; high nibbles (odd inputs) each less 8, widened
              (local.set $v (v128.load64_zero (i32.add (local.get $w3) (i32.shr_u (local.get $k) (i32.const 1)))))
              (local.set $e0 (i16x8.extend_low_i8x16_s
                (i8x16.sub (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
                  (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $e1 (i16x8.extend_low_i8x16_s
                (i8x16.sub (i8x16.shr_u (local.get $v) (i32.const 4)) (v128.const i8x16 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8 8))))
              (local.set $p03 (i32x4.add (local.get $p03) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $x0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $x1)))))
              (local.set $p13 (i32x4.add (local.get $p13) (i32x4.add
                (i32x4.dot_i16x8_s (local.get $e0) (local.get $y0))
                (i32x4.dot_i16x8_s (local.get $e1) (local.get $y1)))))))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br_if $chunks (i32.lt_u (local.get $k) (local.get $kend))))
            (local.set $sw (v128.load (i32.add (local.get $sf)
              (i32.shl (i32.add (i32.shl (local.get $b) (i32.const 5)) (i32.sub (local.get $n0) (local.get $panel))) (i32.const 2)))))
            ;; per row: the four outputs' 4-lane partial sums, transposed and added, give
            ;; the block's four dot products in one vector (integer sums, exact in any
            ;; order); then acc += float32(d) · float32(sa·sw), the portable kernel's
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

  ;; scores: s[i][j] = (Σ_e q[i][e]·kt[e][j]) · scale for the n query rows i (stride ldq)
  ;; and every j below n rounded up to 16, the keys transposed (kt[e][j], stride ldk) so
  ;; that four vectors of keys sit side by side: attnScores of wasm/engine/ops.go, the
  ;; same float32 operations in the same order. s has stride ldk.
  (func (export "scores") (param $q i32) (param $ldq i32) (param $kt i32) (param $ldk i32) (param $dh i32)
    (param $n i32) (param $s i32) (param $scale f32)
    (local $i i32) (local $j i32) (local $e i32) (local $jend i32) (local $qi i32) (local $kp i32) (local $x v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local.set $jend (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16)))
    (loop $rows
      (local.set $qi (i32.add (local.get $q) (i32.shl (i32.mul (local.get $i) (local.get $ldq)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $c0 (v128.const i64x2 0 0)) (local.set $c1 (v128.const i64x2 0 0))
        (local.set $c2 (v128.const i64x2 0 0)) (local.set $c3 (v128.const i64x2 0 0))
        (local.set $e (i32.const 0))
        (loop $dims
          (local.set $x (f32x4.splat (f32.load (i32.add (local.get $qi) (i32.shl (local.get $e) (i32.const 2))))))
          (local.set $kp (i32.add (local.get $kt) (i32.shl (i32.add (i32.mul (local.get $e) (local.get $ldk)) (local.get $j)) (i32.const 2))))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load (local.get $kp)))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $kp)))))
          (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $kp)))))
          (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $kp)))))
          (local.set $e (i32.add (local.get $e) (i32.const 1)))
          (br_if $dims (i32.lt_u (local.get $e) (local.get $dh))))
        (local.set $x (f32x4.splat (local.get $scale)))
        (local.set $kp (i32.add (local.get $s) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldk)) (local.get $j)) (i32.const 2))))
        (v128.store (local.get $kp) (f32x4.mul (local.get $c0) (local.get $x)))
        (v128.store offset=16 (local.get $kp) (f32x4.mul (local.get $c1) (local.get $x)))
        (v128.store offset=32 (local.get $kp) (f32x4.mul (local.get $c2) (local.get $x)))
        (v128.store offset=48 (local.get $kp) (f32x4.mul (local.get $c3) (local.get $x)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $cols (i32.lt_u (local.get $j) (local.get $jend))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $n)))))

  ;; attnout: o[i][e] = Σ_{j<len_i} p[i][j]·v[j][e] for the n rows i (p stride ldp, v
  ;; and o stride ld), len_i = i+1 when causal, else n: attnOut of wasm/engine/ops.go,
  ;; summed in the same order. dh is a multiple of 4.
  (func (export "attnout") (param $p i32) (param $ldp i32) (param $v i32) (param $o i32) (param $ld i32)
    (param $dh i32) (param $n i32) (param $causal i32)
    (local $i i32) (local $j i32) (local $e i32) (local $len i32) (local $pi i32) (local $vp i32) (local $x v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (loop $rows
      (local.set $pi (i32.add (local.get $p) (i32.shl (i32.mul (local.get $i) (local.get $ldp)) (i32.const 2))))
      (local.set $len (select (i32.add (local.get $i) (i32.const 1)) (local.get $n) (local.get $causal)))
      (local.set $e (i32.const 0))
      ;; 16 outputs at a time, then 4
      (block $done16 (loop $cols16
        (br_if $done16 (i32.gt_u (i32.add (local.get $e) (i32.const 16)) (local.get $dh)))
        (local.set $c0 (v128.const i64x2 0 0)) (local.set $c1 (v128.const i64x2 0 0))
        (local.set $c2 (v128.const i64x2 0 0)) (local.set $c3 (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (loop $keys
          (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pi) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $vp (i32.add (local.get $v) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $ld)) (local.get $e)) (i32.const 2))))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $x) (v128.load (local.get $vp)))))
          (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $vp)))))
          (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $x) (v128.load offset=32 (local.get $vp)))))
          (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $x) (v128.load offset=48 (local.get $vp)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $keys (i32.lt_u (local.get $j) (local.get $len))))
        (local.set $vp (i32.add (local.get $o) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $e)) (i32.const 2))))
        (v128.store (local.get $vp) (local.get $c0))
        (v128.store offset=16 (local.get $vp) (local.get $c1))
        (v128.store offset=32 (local.get $vp) (local.get $c2))
        (v128.store offset=48 (local.get $vp) (local.get $c3))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (br $cols16)))
      (block $done4 (loop $cols4
        (br_if $done4 (i32.ge_u (local.get $e) (local.get $dh)))
        (local.set $c0 (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (loop $keys4
          (local.set $vp (i32.add (local.get $v) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $ld)) (local.get $e)) (i32.const 2))))
          (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul
            (f32x4.splat (f32.load (i32.add (local.get $pi) (i32.shl (local.get $j) (i32.const 2)))))
            (v128.load (local.get $vp)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $keys4 (i32.lt_u (local.get $j) (local.get $len))))
        (v128.store (i32.add (local.get $o) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $e)) (i32.const 2)))
          (local.get $c0))
        (local.set $e (i32.add (local.get $e) (i32.const 4)))
        (br $cols4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $n)))))

  ;; quant quantizes rows of k floats (stride ldx; k a multiple of bs, bs of 16) to int8
  ;; in blocks of bs: scale = amax/127, q = round-half-even(x·127/amax) clamped to ±127,
  ;; init = -offset·Σq (a block with amax 0 or NaN gets zeros): qact.setRow of
  ;; wasm/engine/act.go, the same float32 operations.
  (func (export "quant") (param $x i32) (param $ldx i32) (param $rows i32) (param $k i32)
    (param $q i32) (param $kpad i32) (param $sc i32) (param $init i32) (param $nb i32) (param $bs i32) (param $offset i32)
    (param $qmax i32)
    (local $qm f32) (local $lim v128) (local $r i32) (local $b i32) (local $i i32) (local $xi i32) (local $xb i32) (local $qb i32) (local $blk i32)
    (local $amax f32) (local $inv v128) (local $m v128) (local $sum v128) (local $v v128)
    (local $i0 v128) (local $i1 v128) (local $i2 v128) (local $i3 v128)
    ;; activations to ±qmax: 127, or 63 for a file with 7-bit activations
    (local.set $qm (f32.convert_i32_s (local.get $qmax)))
    (local.set $lim (i32x4.splat (local.get $qmax)))
    (loop $rows
      (local.set $b (i32.const 0))
      (loop $blocks
        (local.set $blk (i32.add (i32.mul (local.get $r) (local.get $nb)) (local.get $b)))
        (local.set $xb (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ldx))
          (i32.mul (local.get $b) (local.get $bs))) (i32.const 2))))
        (local.set $qb (i32.add (local.get $q) (i32.add (i32.mul (local.get $r) (local.get $kpad))
          (i32.mul (local.get $b) (local.get $bs)))))
        ;; amax: max |x| (NaN if any is NaN), exact in any order
        (local.set $m (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (loop $abs
          (local.set $v (v128.load (i32.add (local.get $xb) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $m (f32x4.max (local.get $m) (f32x4.max (local.get $v) (f32x4.neg (local.get $v)))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $abs (i32.lt_u (local.get $i) (local.get $bs))))
        (local.set $amax (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
          (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
        (if (i32.or (f32.eq (local.get $amax) (f32.const 0)) (f32.ne (local.get $amax) (local.get $amax)))
          (then
            (local.set $i (i32.const 0))
            (loop $zero
              (v128.store (i32.add (local.get $qb) (local.get $i)) (v128.const i64x2 0 0))
              (local.set $i (i32.add (local.get $i) (i32.const 16)))
              (br_if $zero (i32.lt_u (local.get $i) (local.get $bs))))
            (f32.store (i32.add (local.get $sc) (i32.shl (local.get $blk) (i32.const 2))) (f32.const 0))
            (i32.store (i32.add (local.get $init) (i32.shl (local.get $blk) (i32.const 2))) (i32.const 0)))
          (else
            (local.set $inv (f32x4.splat (f32.div (local.get $qm) (local.get $amax))))
            (local.set $sum (v128.const i64x2 0 0))
            (local.set $i (i32.const 0))
            (loop $round
              ;; roundf(v·inv): adding and subtracting 1.5·2^23 rounds half to even
              (local.set $xi (i32.add (local.get $xb) (i32.shl (local.get $i) (i32.const 2))))
              (local.set $i0 (call $qi (v128.load (local.get $xi)) (local.get $inv) (local.get $lim)))
              (local.set $i1 (call $qi (v128.load offset=16 (local.get $xi)) (local.get $inv) (local.get $lim)))
              (local.set $i2 (call $qi (v128.load offset=32 (local.get $xi)) (local.get $inv) (local.get $lim)))
              (local.set $i3 (call $qi (v128.load offset=48 (local.get $xi)) (local.get $inv) (local.get $lim)))
              (local.set $sum (i32x4.add (i32x4.add (local.get $sum) (i32x4.add (local.get $i0) (local.get $i1)))
                (i32x4.add (local.get $i2) (local.get $i3))))
              (v128.store (i32.add (local.get $qb) (local.get $i))
                (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $i0) (local.get $i1))
                  (i16x8.narrow_i32x4_s (local.get $i2) (local.get $i3))))
              (local.set $i (i32.add (local.get $i) (i32.const 16)))
              (br_if $round (i32.lt_u (local.get $i) (local.get $bs))))
            (f32.store (i32.add (local.get $sc) (i32.shl (local.get $blk) (i32.const 2)))
              (f32.div (local.get $amax) (local.get $qm)))
            (i32.store (i32.add (local.get $init) (i32.shl (local.get $blk) (i32.const 2)))
              (i32.mul (i32.sub (i32.const 0) (local.get $offset))
                (i32.add (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
                  (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum))))))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br_if $blocks (i32.lt_u (local.get $b) (local.get $nb))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; qi: four values times inv, rounded half to even, to int32 clamped to ±lim.
  (func $qi (param $v v128) (param $inv v128) (param $lim v128) (result v128)
    (i32x4.max_s (i32x4.min_s
      (i32x4.trunc_sat_f32x4_s (f32x4.sub
        (f32x4.add (f32x4.mul (local.get $v) (local.get $inv)) (v128.const f32x4 12582912 12582912 12582912 12582912))
        (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.get $lim))
      (i32x4.neg (local.get $lim))))

  ;; qgelu applies quick_gelu, x / (1 + e^(-1.702·x)), to n floats at x (n a multiple
  ;; of 4), with expf of wasm/engine/ops.go: the same float32 operations in the same
  ;; order (the constants are its float32 values, written exactly in hex), so the same
  ;; bits.
  (func (export "qgelu") (param $x i32) (param $n i32)
    (local $i i32) (local $p i32) (local $v v128)
    (loop $l
      (local.set $p (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $v (v128.load (local.get $p)))
      (v128.store (local.get $p) (f32x4.div (local.get $v)
        (f32x4.add (v128.const f32x4 1 1 1 1) (call $expf4 (f32x4.mul (local.get $v) (v128.const f32x4 -0x1.b3b646p+00 -0x1.b3b646p+00 -0x1.b3b646p+00 -0x1.b3b646p+00))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))

  ;; expf4 is expf on four lanes: x = n·ln2 + r, e^r by a degree-6 Horner polynomial,
  ;; 2^n into the exponent bits; +Inf above 88, 0 below -87.3, NaN stays NaN.
  (func $expf4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $q v128) (local $e v128)
    (local.set $n (f32x4.sub (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 0x1.715476p+00 0x1.715476p+00 0x1.715476p+00 0x1.715476p+00)) (v128.const f32x4 12582912 12582912 12582912 12582912)) (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0x1.63p-01 0x1.63p-01 0x1.63p-01 0x1.63p-01))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 -0x1.bd0106p-13 -0x1.bd0106p-13 -0x1.bd0106p-13 -0x1.bd0106p-13))))
    (local.set $q (f32x4.add (f32x4.mul (v128.const f32x4 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10 0x1.6c16c2p-10) (local.get $r)) (v128.const f32x4 0x1.111112p-07 0x1.111112p-07 0x1.111112p-07 0x1.111112p-07)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 0x1.555556p-05 0x1.555556p-05 0x1.555556p-05 0x1.555556p-05)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 0x1.555556p-03 0x1.555556p-03 0x1.555556p-03 0x1.555556p-03)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 0.5 0.5 0.5 0.5)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (v128.const f32x4 1 1 1 1)))
    (local.set $e (f32x4.mul (local.get $q)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $e (v128.bitselect (v128.const f32x4 inf inf inf inf) (local.get $e) (f32x4.gt (local.get $x) (v128.const f32x4 88 88 88 88))))
    (local.set $e (v128.bitselect (v128.const i64x2 0 0) (local.get $e) (f32x4.lt (local.get $x) (v128.const f32x4 -0x1.5d3334p+06 -0x1.5d3334p+06 -0x1.5d3334p+06 -0x1.5d3334p+06))))
    (v128.bitselect (local.get $x) (local.get $e) (f32x4.ne (local.get $x) (local.get $x))))
)
