//go:build amd64 && !purego

#include "textflag.h"

// AVX2 versions of the AVX-512 float helpers (ops_amd64.s), for CPUs without AVX-512 and
// for the AVX2 and AVX-VNNI kernels' models. Each computes exactly what its Go twin
// computes (same float32 operations in the same order per value, multiplies and adds
// kept apart), so all of them agree bit for bit. Element-wise work goes 8 values at a
// time; the sums that ops.go folds in 16 lanes (softmax16's total, layerNorm's float64
// sums) keep 16 lanes in two (or four) YMM registers and fold them in the same tree.
//
// The expf constants come from expConsts8 (ops_simd_amd64.go), each repeated 8 times
// (32 bytes): 0 log2e, 32 magic (1.5·2^23), 64 ln2hi, 96 ln2lo, 128..288 the polynomial
// (1/720, 1/120, 1/24, 1/6, 1/2, 1), 320 the upper limit 88, 352 the lower limit -87.3,
// 384 -1.702 (quick GELU), 416 +Inf, 448 int32 127, 480 float 127, 512 abs mask.

// EXPF8: X = expf(X) on 8 values (see expf in ops.go and EXPF in ops_amd64.s); the
// constants at R8; temporaries T1, T2 and the masks M1 (x > 88), M2 (x < -87.3).
#define EXPF8(X, T1, T2, M1, M2) \
	VCMPPS     $0x1E, 320(R8), X, M1 \
	VCMPPS     $0x11, 352(R8), X, M2 \
	VMINPS     320(R8), X, X \
	VMAXPS     352(R8), X, X \
	VMULPS     0(R8), X, T1 \
	VADDPS     32(R8), T1, T1 \
	VSUBPS     32(R8), T1, T1 \
	VMULPS     64(R8), T1, T2 \
	VSUBPS     T2, X, X \
	VMULPS     96(R8), T1, T2 \
	VSUBPS     T2, X, X \
	VMOVAPS    128(R8), T2 \
	VMULPS     X, T2, T2 \
	VADDPS     160(R8), T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     192(R8), T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     224(R8), T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     256(R8), T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     288(R8), T2, T2 \
	VMULPS     X, T2, T2 \
	VADDPS     288(R8), T2, T2 \
	VCVTTPS2DQ T1, T1 \
	VPADDD     448(R8), T1, T1 \
	VPSLLD     $23, T1, T1 \
	VMULPS     T1, T2, X \
	VBLENDVPS  M1, 416(R8), X, X \
	VANDNPS    X, M2, X

// func quickGELU8(x *float32, n int, c *float32)
// x[i] = x[i] / (1 + expf(-1.702·x[i])) for n (a multiple of 8) values.
TEXT ·quickGELU8(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ c+16(FP), R8
	SHRQ $3, CX
	JZ   g8done

g8loop:
	VMOVUPS (SI), Y0
	VMULPS  384(R8), Y0, Y1
	EXPF8(Y1, Y2, Y3, Y4, Y5)
	VADDPS  288(R8), Y1, Y1
	VDIVPS  Y1, Y0, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     g8loop

g8done:
	VZEROUPPER
	RET

// HMAX8 leaves the maximum of Y0's 8 lanes in X0's lane 0 (max is exact in any order).
#define HMAX8 \
	VEXTRACTF128 $1, Y0, X1 \
	VMAXPS       X1, X0, X0 \
	VPERMILPS    $0x4E, X0, X1 \
	VMAXPS       X1, X0, X0 \
	VPERMILPS    $0xB1, X0, X1 \
	VMAXPS       X1, X0, X0

// func softmax8(x *float32, n int, c *float32)
// softmax16 of ops.go on n (a multiple of 16, at least 16) values.
TEXT ·softmax8(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ c+16(FP), R8
	SHRQ $4, CX

	// m = max over all values.
	MOVQ    SI, DI
	MOVQ    CX, DX
	VMOVUPS (DI), Y0

s8max:
	VMAXPS (DI), Y0, Y0
	VMAXPS 32(DI), Y0, Y0
	ADDQ   $64, DI
	DECQ   DX
	JNZ    s8max
	HMAX8
	VBROADCASTSS X0, Y6

	// e = expf(x - m), stored back; the 16 lane sums in Y8 (lanes 0-7) and Y9 (8-15).
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	MOVQ   SI, DI
	MOVQ   CX, DX

s8exp:
	VMOVUPS (DI), Y0
	VSUBPS  Y6, Y0, Y0
	EXPF8(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (DI)
	VADDPS  Y0, Y8, Y8
	VMOVUPS 32(DI), Y0
	VSUBPS  Y6, Y0, Y0
	EXPF8(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, 32(DI)
	VADDPS  Y0, Y9, Y9
	ADDQ    $64, DI
	DECQ    DX
	JNZ     s8exp

	// The tree: lanes i += i+8, i += i+4, i += i+2, then lane 0 + lane 1.
	VADDPS       Y9, Y8, Y4
	VEXTRACTF128 $1, Y4, X1
	VADDPS       X1, X4, X4
	VMOVHLPS     X4, X4, X1
	VADDPS       X1, X4, X4
	VMOVSHDUP    X4, X1
	VADDSS       X1, X4, X4
	VMOVSS       288(R8), X1
	VDIVSS       X4, X1, X1
	VBROADCASTSS X1, Y1

s8scale:
	VMULPS  (SI), Y1, Y0
	VMULPS  32(SI), Y1, Y2
	VMOVUPS Y0, (SI)
	VMOVUPS Y2, 32(SI)
	ADDQ    $64, SI
	DECQ    CX
	JNZ     s8scale
	VZEROUPPER
	RET

// func attnScores8(q *float32, dh int, kt *float32, ldk int, s *float32, n int, scale float32)
// attnScores of ops.go: s[j] = (Σ_d q[d]·kt[d·ldk+j])·scale for j < n (a multiple of 16),
// 16 keys at a time in two independent sums.
TEXT ·attnScores8(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         dh+8(FP), BX
	MOVQ         kt+16(FP), DI
	MOVQ         ldk+24(FP), R9
	MOVQ         s+32(FP), R10
	MOVQ         n+40(FP), CX
	VBROADCASTSS scale+48(FP), Y7
	SHLQ         $2, R9
	SHRQ         $4, CX

s8chunk:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ   SI, AX
	MOVQ   DI, DX
	MOVQ   BX, R11

s8d:
	VBROADCASTSS (AX), Y2
	VMULPS       (DX), Y2, Y3
	VMULPS       32(DX), Y2, Y2
	VADDPS       Y3, Y0, Y0
	VADDPS       Y2, Y1, Y1
	ADDQ         $4, AX
	ADDQ         R9, DX
	DECQ         R11
	JNZ          s8d
	VMULPS       Y7, Y0, Y0
	VMULPS       Y7, Y1, Y1
	VMOVUPS      Y0, (R10)
	VMOVUPS      Y1, 32(R10)
	ADDQ         $64, R10
	ADDQ         $64, DI
	DECQ         CX
	JNZ          s8chunk
	VZEROUPPER
	RET

// func attnOut8(p *float32, n int, v *float32, ldv int, o *float32, dh int)
// attnOut of ops.go: o[i] = Σ_j p[j]·v[j·ldv+i] for i < dh (a multiple of 16), n ≥ 1.
TEXT ·attnOut8(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), BX
	MOVQ v+16(FP), DI
	MOVQ ldv+24(FP), R9
	MOVQ o+32(FP), R10
	MOVQ dh+40(FP), CX
	SHLQ $2, R9
	SHRQ $4, CX

o8chunk:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ   SI, AX
	MOVQ   DI, DX
	MOVQ   BX, R11

o8j:
	VBROADCASTSS (AX), Y2
	VMULPS       (DX), Y2, Y3
	VMULPS       32(DX), Y2, Y2
	VADDPS       Y3, Y0, Y0
	VADDPS       Y2, Y1, Y1
	ADDQ         $4, AX
	ADDQ         R9, DX
	DECQ         R11
	JNZ          o8j
	VMOVUPS      Y0, (R10)
	VMOVUPS      Y1, 32(R10)
	ADDQ         $64, R10
	ADDQ         $64, DI
	DECQ         CX
	JNZ          o8chunk
	VZEROUPPER
	RET

// func quantBlocks8(x *float32, q *int8, scale *float32, init *int32, nb int, bs int, offset int, c *float32, qmax int)
// qact.setRow of act.go for a row of nb whole blocks of bs (a multiple of 16) values.
TEXT ·quantBlocks8(SB), NOSPLIT, $0-72
	MOVQ         x+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         scale+16(FP), R9
	MOVQ         init+24(FP), R10
	MOVQ         nb+32(FP), CX
	MOVQ         bs+40(FP), BX
	MOVQ         offset+48(FP), R12
	MOVQ         c+56(FP), R8
	SHRQ         $4, BX
	VMOVUPS      32(R8), Y14  // magic
	VMOVUPS      512(R8), Y15 // abs mask
	MOVQ         qmax+64(FP), AX
	VCVTSI2SSL   AX, X10, X10 // qmax as float32 (127 or 63: exact)
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12     // qmax
	NEGL         AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13     // -qmax

q8block:
	// amax
	VXORPS Y0, Y0, Y0
	MOVQ   SI, AX
	MOVQ   BX, DX

q8max:
	VANDPS (AX), Y15, Y1
	VMAXPS Y1, Y0, Y0
	VANDPS 32(AX), Y15, Y1
	VMAXPS Y1, Y0, Y0
	ADDQ   $64, AX
	DECQ   DX
	JNZ    q8max
	HMAX8
	VXORPS   X2, X2, X2
	VUCOMISS X2, X0
	JEQ      q8zero

	VDIVSS       X0, X10, X3 // inv = qmax / amax
	VBROADCASTSS X3, Y11
	VDIVSS       X10, X0, X4 // scale = amax / qmax
	VMOVSS       X4, (R9)
	VPXOR        Y5, Y5, Y5  // int sums
	MOVQ         BX, DX

q8round:
	VMULPS      (SI), Y11, Y1
	VMULPS      32(SI), Y11, Y2
	VADDPS      Y14, Y1, Y1
	VADDPS      Y14, Y2, Y2
	VSUBPS      Y14, Y1, Y1
	VSUBPS      Y14, Y2, Y2
	VCVTTPS2DQ  Y1, Y1
	VCVTTPS2DQ  Y2, Y2
	VPMINSD     Y12, Y1, Y1
	VPMINSD     Y12, Y2, Y2
	VPMAXSD     Y13, Y1, Y1
	VPMAXSD     Y13, Y2, Y2
	VPADDD      Y1, Y5, Y5
	VPADDD      Y2, Y5, Y5
	// 16 int32 (within ±127) to 16 bytes, in order: the packs work per 128-bit half.
	VPACKSSDW   Y2, Y1, Y3
	VPERMQ      $0xD8, Y3, Y3
	VEXTRACTI128 $1, Y3, X4
	VPACKSSWB   X4, X3, X3
	VMOVDQU     X3, (DI)
	ADDQ        $64, SI
	ADDQ        $16, DI
	DECQ        DX
	JNZ         q8round
	VEXTRACTI128 $1, Y5, X1
	VPADDD       X1, X5, X5
	VPSHUFD      $0x4E, X5, X1
	VPADDD       X1, X5, X5
	VPSHUFD      $0xB1, X5, X1
	VPADDD       X1, X5, X5
	VMOVD        X5, AX
	IMULL        R12, AX
	NEGL         AX
	MOVL         AX, (R10)
	JMP          q8next

q8zero:
	MOVL $0, (R9)
	MOVL $0, (R10)
	MOVQ BX, DX

q8z:
	VMOVDQU X2, (DI)
	ADDQ    $64, SI
	ADDQ    $16, DI
	DECQ    DX
	JNZ     q8z

q8next:
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ CX
	JNZ  q8block
	VZEROUPPER
	RET

// LANES16X4 folds 16 float64 lane sums (Y0 lanes 0-3, Y1 4-7, Y2 8-11, Y3 12-15) into
// X0's low lane in lanes16's order (ops.go): j+8, j+4, j+2, j+1.
#define LANES16X4 \
	VADDPD       Y2, Y0, Y0 \
	VADDPD       Y3, Y1, Y1 \
	VADDPD       Y1, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPD       X1, X0, X0 \
	VPERMILPD    $1, X0, X1 \
	VADDSD       X1, X0, X0

// LNLOAD16 converts the 16 floats at AX to float64 in Y4-Y7 (lanes 0-3, 4-7, 8-11, 12-15).
#define LNLOAD16 \
	VCVTPS2PD (AX), Y4 \
	VCVTPS2PD 16(AX), Y5 \
	VCVTPS2PD 32(AX), Y6 \
	VCVTPS2PD 48(AX), Y7

#define ZERO16X4 \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3

// func layerNorm8(dst, x *float32, n int, weight, bias *float32, eps float64)
// layerNorm of ops.go for n (a multiple of 16) values: float64 sums in 16 lanes, folded
// in lanes16's order; then the float32 pass, 8 values at a time.
TEXT ·layerNorm8(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ weight+24(FP), R8
	MOVQ bias+32(FP), R9
	SHRQ $4, CX

	// mean
	ZERO16X4
	MOVQ SI, AX
	MOVQ CX, DX

ln8sum:
	LNLOAD16
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ   $64, AX
	DECQ   DX
	JNZ    ln8sum
	LANES16X4
	MOVQ         n+16(FP), AX
	VCVTSI2SDQ   AX, X8, X8 // n as float64
	VDIVSD       X8, X0, X9 // mean
	VBROADCASTSD X9, Y9

	// variance
	ZERO16X4
	MOVQ SI, AX
	MOVQ CX, DX

ln8var:
	LNLOAD16
	VSUBPD Y9, Y4, Y4
	VSUBPD Y9, Y5, Y5
	VSUBPD Y9, Y6, Y6
	VSUBPD Y9, Y7, Y7
	VMULPD Y4, Y4, Y4
	VMULPD Y5, Y5, Y5
	VMULPD Y6, Y6, Y6
	VMULPD Y7, Y7, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ   $64, AX
	DECQ   DX
	JNZ    ln8var
	LANES16X4
	VDIVSD       X8, X0, X0 // ss/n
	VADDSD       eps+40(FP), X0, X0
	VSQRTSD      X0, X0, X0
	MOVQ         $0x3FF0000000000000, AX
	VMOVQ        AX, X1     // 1.0
	VDIVSD       X0, X1, X0 // inv
	VCVTSD2SS    X0, X0, X0 // s
	VCVTSD2SS    X9, X9, X9 // m
	VBROADCASTSS X0, Y0
	VBROADCASTSS X9, Y9
	SHLQ         $1, CX     // 8 values per step

ln8out:
	VMOVUPS (SI), Y2
	VSUBPS  Y9, Y2, Y2
	VMULPS  Y0, Y2, Y2
	VMULPS  (R8), Y2, Y2
	VADDPS  (R9), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     ln8out
	VZEROUPPER
	RET

// func emitTile8(dst *float32, ldo int, src *float32, rows int, add bool)
// emitTile of ops_amd64.s in AVX2: rows rows of 32 floats from src (128 bytes apart) to
// dst (4·ldo bytes apart), copied, or with add added to dst.
TEXT ·emitTile8(SB), NOSPLIT, $0-33
	MOVQ dst+0(FP), DI
	MOVQ ldo+8(FP), BX
	SHLQ $2, BX
	MOVQ src+16(FP), SI
	MOVQ rows+24(FP), CX
	MOVB add+32(FP), AX
	TESTB AL, AL
	JNZ  e8add

e8copy:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    BX, DI
	DECQ    CX
	JNZ     e8copy
	VZEROUPPER
	RET

e8add:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VADDPS  64(SI), Y2, Y2
	VADDPS  96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    BX, DI
	DECQ    CX
	JNZ     e8add
	VZEROUPPER
	RET

// STEP4ROWS8 is one step of attnScores4's and attnOut4's sums on 16 columns: the 16
// values at DX (two loads for the four rows) times each row's value at AX, AX+R12,
// AX+2·R12 and AX+R14, added to Y0-Y7 (row r: Y(2r) columns 0-7, Y(2r+1) 8-15).
#define ROWSTEP8(PTR, A0, A1) \
	VBROADCASTSS PTR, Y10 \
	VMULPS       Y8, Y10, Y11 \
	VMULPS       Y9, Y10, Y10 \
	VADDPS       Y11, A0, A0 \
	VADDPS       Y10, A1, A1

#define STEP4ROWS8 \
	VMOVUPS (DX), Y8 \
	VMOVUPS 32(DX), Y9 \
	ROWSTEP8((AX), Y0, Y1) \
	ROWSTEP8((AX)(R12*1), Y2, Y3) \
	ROWSTEP8((AX)(R12*2), Y4, Y5) \
	ROWSTEP8((AX)(R14*1), Y6, Y7) \
	ADDQ $4, AX \
	ADDQ R9, DX \
	DECQ R11

#define ZERO4X2 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7

// STORE4ROWS8 stores Y0-Y7 to the four output rows from R10, R13 bytes apart.
#define STORE4ROWS8 \
	MOVQ    R10, AX \
	VMOVUPS Y0, (AX) \
	VMOVUPS Y1, 32(AX) \
	ADDQ    R13, AX \
	VMOVUPS Y2, (AX) \
	VMOVUPS Y3, 32(AX) \
	ADDQ    R13, AX \
	VMOVUPS Y4, (AX) \
	VMOVUPS Y5, 32(AX) \
	ADDQ    R13, AX \
	VMOVUPS Y6, (AX) \
	VMOVUPS Y7, 32(AX)

// func attnScores4x8(q *float32, ldq int, dh int, kt *float32, ldk int, s *float32, lds int, n int, scale float32)
// attnScores8 for four query rows at once, sharing each load of the keys.
TEXT ·attnScores4x8(SB), NOSPLIT, $0-68
	MOVQ         q+0(FP), SI
	MOVQ         ldq+8(FP), R12
	SHLQ         $2, R12
	MOVQ         kt+24(FP), DI
	MOVQ         ldk+32(FP), R9
	MOVQ         s+40(FP), R10
	MOVQ         lds+48(FP), R13
	SHLQ         $2, R13
	MOVQ         n+56(FP), CX
	VBROADCASTSS scale+64(FP), Y12
	SHLQ         $2, R9
	SHRQ         $4, CX
	LEAQ         (R12)(R12*2), R14 // 3 rows of q

s48chunk:
	ZERO4X2
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ dh+16(FP), R11

s48d:
	STEP4ROWS8
	JNZ     s48d
	VMULPS  Y12, Y0, Y0
	VMULPS  Y12, Y1, Y1
	VMULPS  Y12, Y2, Y2
	VMULPS  Y12, Y3, Y3
	VMULPS  Y12, Y4, Y4
	VMULPS  Y12, Y5, Y5
	VMULPS  Y12, Y6, Y6
	VMULPS  Y12, Y7, Y7
	STORE4ROWS8
	ADDQ    $64, R10
	ADDQ    $64, DI
	DECQ    CX
	JNZ     s48chunk
	VZEROUPPER
	RET

// func attnOut4x8(p *float32, ldp int, n int, v *float32, ldv int, o *float32, ldo int, dh int)
// attnOut8 for four rows of probabilities at once, sharing each load of the values.
TEXT ·attnOut4x8(SB), NOSPLIT, $0-64
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

o48chunk:
	ZERO4X2
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ n+16(FP), R11

o48j:
	STEP4ROWS8
	JNZ  o48j
	STORE4ROWS8
	ADDQ $64, R10
	ADDQ $64, DI
	DECQ CX
	JNZ  o48chunk
	VZEROUPPER
	RET
