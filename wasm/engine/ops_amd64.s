//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 versions of the element-wise hot spots of ops.go and act.go, each computing
// exactly what its Go twin computes (same float32 operations in the same order per
// value; multiplies and adds kept separate), so native and WebAssembly agree bit for bit.
//
// The expf constants come from a table filled by Go (expConsts in ops_simd_amd64.go), so
// they are the very float32 values the Go code rounds its constants to:
//   0 log2e, 4 magic (1.5·2^23), 8 ln2hi, 12 ln2lo, 16..36 the polynomial (1/720, 1/120,
//   1/24, 1/6, 1/2, 1), 40 the upper limit 88, 44 the lower limit -87.3, 48 -1.702
//   (quick GELU), 52 +Inf, 56 int32 127, 60 float 127, 64 abs mask.

// LOADCONSTS broadcasts the table at R8 into Z16-Z30.
#define LOADCONSTS \
	VBROADCASTSS 0(R8), Z16 \
	VBROADCASTSS 4(R8), Z17 \
	VBROADCASTSS 8(R8), Z18 \
	VBROADCASTSS 12(R8), Z19 \
	VBROADCASTSS 16(R8), Z20 \
	VBROADCASTSS 20(R8), Z21 \
	VBROADCASTSS 24(R8), Z22 \
	VBROADCASTSS 28(R8), Z23 \
	VBROADCASTSS 32(R8), Z24 \
	VBROADCASTSS 36(R8), Z25 \
	VBROADCASTSS 40(R8), Z26 \
	VBROADCASTSS 44(R8), Z27 \
	VBROADCASTSS 48(R8), Z30 \
	VPBROADCASTD 56(R8), Z28 \
	VBROADCASTSS 52(R8), Z29

// EXPF: X = expf(X) (see expf in ops.go), temporaries T1, T2, masks K1, K2.
#define EXPF(X, T1, T2) \
	VCMPPS     $0x1E, Z26, X, K1 \
	VCMPPS     $0x11, Z27, X, K2 \
	VMINPS     Z26, X, X \
	VMAXPS     Z27, X, X \
	VMULPS     Z16, X, T1 \
	VADDPS     Z17, T1, T1 \
	VSUBPS     Z17, T1, T1 \
	VMULPS     Z18, T1, T2 \
	VSUBPS     T2, X, X \
	VMULPS     Z19, T1, T2 \
	VSUBPS     T2, X, X \
	VMOVAPS    Z20, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     Z21, T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     Z22, T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     Z23, T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     Z24, T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     Z25, T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     Z25, T2, T2 \
	VCVTTPS2DQ T1, T1 \
	VPADDD     Z28, T1, T1 \
	VPSLLD     $23, T1, T1 \
	VMULPS     T1, T2, X \
	VMOVAPS    Z29, K1, X \
	VPXORD     X, X, K2, X

// func quickGELU16(x *float32, n int, c *float32)
// x[i] = x[i] / (1 + expf(-1.702·x[i])) for n (a multiple of 16) values.
TEXT ·quickGELU16(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ c+16(FP), R8
	LOADCONSTS
	SHRQ $4, CX
	JZ   gdone

gloop:
	VMOVUPS (SI), Z0
	VMULPS  Z30, Z0, Z1
	EXPF(Z1, Z2, Z3)
	VADDPS  Z25, Z1, Z1
	VDIVPS  Z1, Z0, Z0
	VMOVUPS Z0, (SI)
	ADDQ    $64, SI
	DECQ    CX
	JNZ     gloop

gdone:
	VZEROUPPER
	RET

// func softmax16(x *float32, n int, c *float32)
// softmax16 of ops.go on n (a multiple of 16, at least 16) values.
TEXT ·softmax16asm(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ c+16(FP), R8
	LOADCONSTS
	SHRQ $4, CX

	// m = max over all values.
	MOVQ    SI, DI
	MOVQ    CX, DX
	VMOVUPS (DI), Z0

smax:
	VMAXPS (DI), Z0, Z0
	ADDQ   $64, DI
	DECQ   DX
	JNZ    smax
	VEXTRACTF32X8 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0x4E, X0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0xB1, X0, X1
	VMAXPS        X1, X0, X0
	VBROADCASTSS  X0, Z5

	// e = expf(x - m), stored back; lane sums in Z4.
	VPXORD Z4, Z4, Z4
	MOVQ   SI, DI
	MOVQ   CX, DX

sexp:
	VMOVUPS (DI), Z0
	VSUBPS  Z5, Z0, Z0
	EXPF(Z0, Z1, Z2)
	VMOVUPS Z0, (DI)
	VADDPS  Z0, Z4, Z4
	ADDQ    $64, DI
	DECQ    DX
	JNZ     sexp

	// The tree: lanes i += i+8, i += i+4, i += i+2, then lane 0 + lane 1.
	VEXTRACTF32X8 $1, Z4, Y1
	VADDPS        Y1, Y4, Y4
	VEXTRACTF128  $1, Y4, X1
	VADDPS        X1, X4, X4
	VMOVHLPS      X4, X4, X1
	VADDPS        X1, X4, X4
	VMOVSHDUP     X4, X1
	VADDSS        X1, X4, X4
	VMOVSS        36(R8), X1
	VDIVSS        X4, X1, X1
	VBROADCASTSS  X1, Z1

sscale:
	VMULPS  (SI), Z1, Z0
	VMOVUPS Z0, (SI)
	ADDQ    $64, SI
	DECQ    CX
	JNZ     sscale
	VZEROUPPER
	RET

// func attnScores16(q *float32, dh int, kt *float32, ldk int, s *float32, n int, scale float32)
// attnScores of ops.go: s[j] = (Σ_d q[d]·kt[d·ldk+j])·scale for j < n (a multiple of 16).
TEXT ·attnScores16(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         dh+8(FP), BX
	MOVQ         kt+16(FP), DI
	MOVQ         ldk+24(FP), R9
	MOVQ         s+32(FP), R10
	MOVQ         n+40(FP), CX
	VBROADCASTSS scale+48(FP), Z7
	SHLQ         $2, R9
	SHRQ         $4, CX

schunk:
	VPXORD Z0, Z0, Z0
	MOVQ   SI, AX
	MOVQ   DI, DX
	MOVQ   BX, R11

sd:
	VBROADCASTSS (AX), Z1
	VMULPS       (DX), Z1, Z1
	VADDPS       Z1, Z0, Z0
	ADDQ         $4, AX
	ADDQ         R9, DX
	DECQ         R11
	JNZ          sd
	VMULPS       Z7, Z0, Z0
	VMOVUPS      Z0, (R10)
	ADDQ         $64, R10
	ADDQ         $64, DI
	DECQ         CX
	JNZ          schunk
	VZEROUPPER
	RET

// func attnOut16(p *float32, n int, v *float32, ldv int, o *float32, dh int)
// attnOut of ops.go: o[i] = Σ_j p[j]·v[j·ldv+i] for i < dh (a multiple of 16), n ≥ 1.
TEXT ·attnOut16(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), BX
	MOVQ v+16(FP), DI
	MOVQ ldv+24(FP), R9
	MOVQ o+32(FP), R10
	MOVQ dh+40(FP), CX
	SHLQ $2, R9
	SHRQ $4, CX

ochunk:
	VPXORD Z0, Z0, Z0
	MOVQ   SI, AX
	MOVQ   DI, DX
	MOVQ   BX, R11

oj:
	VBROADCASTSS (AX), Z1
	VMULPS       (DX), Z1, Z1
	VADDPS       Z1, Z0, Z0
	ADDQ         $4, AX
	ADDQ         R9, DX
	DECQ         R11
	JNZ          oj
	VMOVUPS      Z0, (R10)
	ADDQ         $64, R10
	ADDQ         $64, DI
	DECQ         CX
	JNZ          ochunk
	VZEROUPPER
	RET

// func quantBlocks16(x *float32, q *int8, scale *float32, init *int32, nb int, bs int, offset int, c *float32, qmax int)
// qact.setRow of act.go for a row of nb whole blocks of bs (a multiple of 16) values.
TEXT ·quantBlocks16(SB), NOSPLIT, $0-72
	MOVQ x+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ scale+16(FP), R9
	MOVQ init+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ bs+40(FP), BX
	MOVQ offset+48(FP), R12
	MOVQ c+56(FP), R8
	SHRQ $4, BX
	VBROADCASTSS 4(R8), Z17   // magic
	VBROADCASTSS 64(R8), Z18  // abs mask
	MOVQ         qmax+64(FP), AX
	VCVTSI2SSL   AX, X21, X21 // qmax as float32 (127 or 63: exact)
	VPBROADCASTD AX, Z19      // qmax
	NEGL         AX
	VPBROADCASTD AX, Z20      // -qmax

qblock:
	// amax
	VPXORD Z0, Z0, Z0
	MOVQ   SI, AX
	MOVQ   BX, DX

qmax:
	VANDPS (AX), Z18, Z1
	VMAXPS Z1, Z0, Z0
	ADDQ   $64, AX
	DECQ   DX
	JNZ    qmax
	VEXTRACTF32X8 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0x4E, X0, X1
	VMAXPS        X1, X0, X0
	VPERMILPS     $0xB1, X0, X1
	VMAXPS        X1, X0, X0
	VXORPS        X2, X2, X2
	VUCOMISS      X2, X0
	JEQ           qzero

	VDIVSS       X0, X21, X3   // inv = qmax / amax
	VBROADCASTSS X3, Z3
	VDIVSS       X21, X0, X4   // scale = amax / qmax
	VMOVSS       X4, (R9)
	VPXORD       Z5, Z5, Z5    // int sums
	MOVQ         BX, DX

qround:
	VMULPS     (SI), Z3, Z1
	VADDPS     Z17, Z1, Z1
	VSUBPS     Z17, Z1, Z1
	VCVTTPS2DQ Z1, Z1
	VPMINSD    Z19, Z1, Z1
	VPMAXSD    Z20, Z1, Z1
	VPADDD     Z1, Z5, Z5
	VPMOVDB    Z1, (DI)
	ADDQ       $64, SI
	ADDQ       $16, DI
	DECQ       DX
	JNZ        qround
	VEXTRACTI32X8 $1, Z5, Y1
	VPADDD        Y1, Y5, Y5
	VEXTRACTI128  $1, Y5, X1
	VPADDD        X1, X5, X5
	VPSHUFD       $0x4E, X5, X1
	VPADDD        X1, X5, X5
	VPSHUFD       $0xB1, X5, X1
	VPADDD        X1, X5, X5
	VMOVD         X5, AX
	IMULL         R12, AX
	NEGL          AX
	MOVL          AX, (R10)
	JMP           qnext

qzero:
	MOVL   $0, (R9)
	MOVL   $0, (R10)
	MOVQ   BX, DX

qz:
	VMOVDQU32 X2, (DI)
	ADDQ      $64, SI
	ADDQ      $16, DI
	DECQ      DX
	JNZ       qz

qnext:
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ CX
	JNZ  qblock
	VZEROUPPER
	RET

// LANES16 folds the 16 float64 lane sums in Z0 (lanes 0-7) and Z1 (lanes 8-15) into X0's
// low lane in lanes16's order (ops.go): j+8, j+4, j+2, j+1.
#define LANES16 \
	VADDPD        Z1, Z0, Z0 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPD        Y1, Y0, Y0 \
	VEXTRACTF128  $1, Y0, X1 \
	VADDPD        X1, X0, X0 \
	VPERMILPD     $1, X0, X1 \
	VADDSD        X1, X0, X0

// func layerNorm16(dst, x *float32, n int, weight, bias *float32, eps float64)
// layerNorm of ops.go for n (a multiple of 16) values: float64 sums in 16 lanes (Z0 and
// Z1, values i and i+8 of each 16), folded in lanes16's order; then the float32 pass.
TEXT ·layerNorm16(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ weight+24(FP), R8
	MOVQ bias+32(FP), R9
	SHRQ $4, CX

	// mean
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	MOVQ   SI, AX
	MOVQ   CX, DX

lnsum:
	VCVTPS2PD (AX), Z2
	VCVTPS2PD 32(AX), Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, AX
	DECQ      DX
	JNZ       lnsum
	LANES16
	MOVQ      n+16(FP), AX
	VCVTSI2SDQ AX, X6, X6       // n as float64
	VDIVSD    X6, X0, X7        // mean
	VBROADCASTSD X7, Z7

	// variance
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	MOVQ   SI, AX
	MOVQ   CX, DX

lnvar:
	VCVTPS2PD (AX), Z2
	VCVTPS2PD 32(AX), Z3
	VSUBPD    Z7, Z2, Z2
	VSUBPD    Z7, Z3, Z3
	VMULPD    Z2, Z2, Z2
	VMULPD    Z3, Z3, Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, AX
	DECQ      DX
	JNZ       lnvar
	LANES16
	VDIVSD    X6, X0, X0        // ss/n
	VADDSD    eps+40(FP), X0, X0
	VSQRTSD   X0, X0, X0
	MOVQ      $0x3FF0000000000000, AX
	VMOVQ     AX, X1            // 1.0
	VDIVSD    X0, X1, X0        // inv
	VCVTSD2SS X0, X0, X0        // s
	VCVTSD2SS X7, X7, X7        // m
	VBROADCASTSS X0, Z0
	VBROADCASTSS X7, Z7

lnout:
	VMOVUPS (SI), Z2
	VSUBPS  Z7, Z2, Z2
	VMULPS  Z0, Z2, Z2
	VMULPS  (R8), Z2, Z2
	VADDPS  (R9), Z2, Z2
	VMOVUPS Z2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R8
	ADDQ    $64, R9
	DECQ    CX
	JNZ     lnout
	VZEROUPPER
	RET

// func emitTile(dst *float32, ldo int, src *float32, rows int, add bool)
// The matmul's emit (forward.go) for a whole panel: rows rows of 32 floats from src
// (128 bytes apart) to dst (4·ldo bytes apart), copied, or with add added to dst.
TEXT ·emitTile(SB), NOSPLIT, $0-33
	MOVQ dst+0(FP), DI
	MOVQ ldo+8(FP), BX
	SHLQ $2, BX
	MOVQ src+16(FP), SI
	MOVQ rows+24(FP), CX
	MOVB add+32(FP), AX
	TESTB AL, AL
	JNZ  eadd

ecopy:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $128, SI
	ADDQ    BX, DI
	DECQ    CX
	JNZ     ecopy
	VZEROUPPER
	RET

eadd:
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VADDPS  (SI), Z0, Z0
	VADDPS  64(SI), Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $128, SI
	ADDQ    BX, DI
	DECQ    CX
	JNZ     eadd
	VZEROUPPER
	RET

// STEP4ROWS is one step of attnScores4's and attnOut4's sums: the 16 values at DX (one
// load for the four rows) times each row's value at AX, AX+R12, AX+2·R12 and AX+R14,
// added to Z0-Z3 (multiply and add kept apart, as the Go twins do); AX moves to the
// rows' next value, DX by R9, and R11 counts down.
#define STEP4ROWS \
	VMOVUPS      (DX), Z5 \
	VBROADCASTSS (AX), Z4 \
	VMULPS       Z5, Z4, Z4 \
	VADDPS       Z4, Z0, Z0 \
	VBROADCASTSS (AX)(R12*1), Z4 \
	VMULPS       Z5, Z4, Z4 \
	VADDPS       Z4, Z1, Z1 \
	VBROADCASTSS (AX)(R12*2), Z4 \
	VMULPS       Z5, Z4, Z4 \
	VADDPS       Z4, Z2, Z2 \
	VBROADCASTSS (AX)(R14*1), Z4 \
	VMULPS       Z5, Z4, Z4 \
	VADDPS       Z4, Z3, Z3 \
	ADDQ         $4, AX \
	ADDQ         R9, DX \
	DECQ         R11

// ZERO4 clears the four rows' sums Z0-Z3.
#define ZERO4 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3

// STORE4ROWS stores Z0-Z3 to the four output rows from R10, R13 bytes apart.
#define STORE4ROWS \
	MOVQ    R10, AX \
	VMOVUPS Z0, (AX) \
	ADDQ    R13, AX \
	VMOVUPS Z1, (AX) \
	ADDQ    R13, AX \
	VMOVUPS Z2, (AX) \
	ADDQ    R13, AX \
	VMOVUPS Z3, (AX)

// func attnScores4(q *float32, ldq int, dh int, kt *float32, ldk int, s *float32, lds int, n int, scale float32)
// attnScores16 for four query rows at once (q's rows ldq floats apart, s's lds apart),
// sharing each load of the keys: four independent sums per chunk where one row alone
// waits on its single chain of dh dependent adds. Each row's arithmetic is attnScores16's.
TEXT ·attnScores4(SB), NOSPLIT, $0-68
	MOVQ         q+0(FP), SI
	MOVQ         ldq+8(FP), R12
	SHLQ         $2, R12
	MOVQ         kt+24(FP), DI
	MOVQ         ldk+32(FP), R9
	MOVQ         s+40(FP), R10
	MOVQ         lds+48(FP), R13
	SHLQ         $2, R13
	MOVQ         n+56(FP), CX
	VBROADCASTSS scale+64(FP), Z7
	SHLQ         $2, R9
	SHRQ         $4, CX
	LEAQ         (R12)(R12*2), R14 // 3 rows of q

s4chunk:
	ZERO4
	MOVQ   SI, AX
	MOVQ   DI, DX
	MOVQ   dh+16(FP), R11

s4d:
	STEP4ROWS
	JNZ          s4d
	VMULPS       Z7, Z0, Z0
	VMULPS       Z7, Z1, Z1
	VMULPS       Z7, Z2, Z2
	VMULPS       Z7, Z3, Z3
	STORE4ROWS
	ADDQ         $64, R10
	ADDQ         $64, DI
	DECQ         CX
	JNZ          s4chunk
	VZEROUPPER
	RET

// func attnOut4(p *float32, ldp int, n int, v *float32, ldv int, o *float32, ldo int, dh int)
// attnOut16 for four rows of probabilities at once (p's rows ldp floats apart, o's ldo
// apart), sharing each load of the values; each row's arithmetic is attnOut16's.
TEXT ·attnOut4(SB), NOSPLIT, $0-64
	MOVQ p+0(FP), SI
	MOVQ ldp+8(FP), R12
	SHLQ $2, R12
	MOVQ v+24(FP), DI
	MOVQ ldv+32(FP), R9
	MOVQ o+40(FP), R10
	MOVQ ldo+48(FP), R13
	SHLQ $2, R13
	MOVQ dh+56(FP), CX
	SHLQ $2, R9
	SHRQ $4, CX
	LEAQ (R12)(R12*2), R14

o4chunk:
	ZERO4
	MOVQ   SI, AX
	MOVQ   DI, DX
	MOVQ   n+16(FP), R11

o4j:
	STEP4ROWS
	JNZ          o4j
	STORE4ROWS
	ADDQ         $64, R10
	ADDQ         $64, DI
	DECQ         CX
	JNZ          o4chunk
	VZEROUPPER
	RET
