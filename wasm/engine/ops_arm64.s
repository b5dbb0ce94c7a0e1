//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// NEON versions of the float helpers of ops.go, act.go and forward.go (the AVX-512 and
// AVX2 ones are ops_amd64.s and ops_avx2_amd64.s), for the NEON kernel's models. Each
// computes exactly what its Go twin computes: the same float32 operations in the same
// order per value, multiplies and adds kept apart (no FMLA), so all platforms agree bit
// for bit. (The Go twins must round each product themselves, float32(x*y): Go's arm64
// compiler fuses x*y+z into FMADD wherever the language lets it, and a fused twin
// matches neither these nor amd64 nor WebAssembly.) Element-wise work goes 16 values (4
// vectors) per step; the sums that ops.go folds in 16 lanes (softmax16's total,
// layerNorm's float64 sums) keep 16 lanes in four float32 (or eight float64) registers
// and fold them in the same tree: lane j += lane j+8, then j+4, j+2, j+1.
//
// NaN: FMAX propagates NaN as Go's max does, so softmax's maximum and quantizing's amax
// match Go's even then (a NaN amax gives a zero block on both sides); expf of NaN is NaN
// on both. The x86 versions differ there (MAXPS drops NaN); no test feeds NaN.
//
// Go's assembler lacks most vector float instructions: see neon_arm64.h. The constants
// come from neonConsts (ops_arm64.go), loaded into V16-V29 by LOADCONSTS: V16 log2e, V17
// ln2hi, V18 ln2lo, V19-V24 the polynomial (1/720, 1/120, 1/24, 1/6, 1/2, 1), V25 88, V26
// -87.3, V27 +Inf, V28 int32 127, V29 -1.702.

#define LOADCONSTS \
	VLD1.P 64(R7), [V16.S4, V17.S4, V18.S4, V19.S4] \
	VLD1.P 64(R7), [V20.S4, V21.S4, V22.S4, V23.S4] \
	VLD1.P 64(R7), [V24.S4, V25.S4, V26.S4, V27.S4] \
	VLD1   (R7), [V28.S4, V29.S4]

// EXPF: VP = expf(VX) on 4 lanes (expf in ops.go), VX kept, VN, VR, VT clobbered.
//   - n = roundf(x·log2e): FRINTN rounds to nearest, ties to even, as adding and
//     subtracting 1.5·2^23 does for |x·log2e| < 2^22; they differ only in the sign of a
//     zero n (FRINTN keeps -0), and then r = x - n·ln2hi - n·ln2lo is x either way (for x
//     = ±0 both give +0), and 2^n is 1. Outside that range the lane is replaced below.
//   - 2^n goes into the exponent bits; FCVTZS is exact on the integral n.
//   - x > 88 gives +Inf, x < -87.3 gives 0, as Go's tests before computing; where they
//     apply, whatever was computed (NaN, garbage exponents: FCVTZS saturates) is
//     replaced, so x needs no clamping first. NaN fails both tests and stays NaN.
#define EXPF(X, N, R, T, P) \
	FMUL_V(N, X, 16) \
	FRINTN_V(N, N) \
	FMUL_V(T, N, 17) \
	FSUB_V(R, X, T) \
	FMUL_V(T, N, 18) \
	FSUB_V(R, R, T) \
	FMUL_V(P, 19, R) \
	FADD_V(P, P, 20) \
	FMUL_V(P, P, R) \
	FADD_V(P, P, 21) \
	FMUL_V(P, P, R) \
	FADD_V(P, P, 22) \
	FMUL_V(P, P, R) \
	FADD_V(P, P, 23) \
	FMUL_V(P, P, R) \
	FADD_V(P, P, 24) \
	FMUL_V(P, P, R) \
	FADD_V(P, P, 24) \
	FCVTZS_V(N, N) \
	ADD_4S(N, N, 28) \
	SHL_4S(N, N, 23) \
	FMUL_V(P, P, N) \
	FCMGT_V(T, X, 25) \
	BIT_V(P, 27, T) \
	FCMGT_V(T, 26, X) \
	BIC_V(P, P, T)

// GELU4: V(8+k) = quick_gelu of Vk: x / (1 + expf(-1.702·x)); V4-V7 temporaries.
#define GELU4(k) \
	FMUL_V(4, k, 29) \
	EXPF(4, 5, 6, 7, 8+(k)) \
	FADD_V(8+(k), 8+(k), 24) \
	FDIV_V(8+(k), k, 8+(k))

// func quickGELUNEON(x *float32, n int, c *[4]float32)
// x[i] = x[i] / (1 + expf(-1.702·x[i])) for n (a multiple of 16) values.
TEXT ·quickGELUNEON(SB), NOSPLIT, $0-24
	MOVD x+0(FP), R0
	MOVD n+8(FP), R1
	MOVD c+16(FP), R7
	LSR  $4, R1, R1
	CBZ  R1, gdone
	LOADCONSTS

gloop:
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	GELU4(0)
	GELU4(1)
	GELU4(2)
	GELU4(3)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R0)
	SUBS   $1, R1, R1
	BNE    gloop

gdone:
	RET

// SOFTEXP: V(8+k) = expf(Vk - m) (m in V4), added to lane sum V(12+k); V5-V7 temporaries.
#define SOFTEXP(k) \
	FSUB_V(k, k, 4) \
	EXPF(k, 5, 6, 7, 8+(k)) \
	FADD_V(12+(k), 12+(k), 8+(k))

// func softmaxNEON(x *float32, n int, c *[4]float32)
// softmax16 of ops.go on n (a multiple of 16, at least 16) values.
TEXT ·softmaxNEON(SB), NOSPLIT, $0-24
	MOVD x+0(FP), R0
	MOVD n+8(FP), R1
	MOVD c+16(FP), R7
	LOADCONSTS
	LSR  $4, R1, R1

	// m = max over all values (exact in any order), from the first 16.
	MOVD R0, R2
	MOVD R1, R3
	VLD1 (R2), [V0.S4, V1.S4, V2.S4, V3.S4]

smax:
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMAX_V(0, 0, 4)
	FMAX_V(1, 1, 5)
	FMAX_V(2, 2, 6)
	FMAX_V(3, 3, 7)
	SUBS   $1, R3, R3
	BNE    smax
	FMAX_V(0, 0, 1)
	FMAX_V(2, 2, 3)
	FMAX_V(0, 0, 2)
	FMAXV_S(0, 0)
	VDUP   V0.S[0], V4.S4

	// e = expf(x - m), stored back; value i's lane sum is lane i%16 of V12-V15.
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	MOVD R0, R2
	MOVD R1, R3

sexp:
	VLD1   (R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	SOFTEXP(0)
	SOFTEXP(1)
	SOFTEXP(2)
	SOFTEXP(3)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R2)
	SUBS   $1, R3, R3
	BNE    sexp

	// softmax16's tree: lanes i += i+8 (V12 += V14, V13 += V15), i += i+4 (V12 += V13),
	// i += i+2 (V12's high half onto its low), then lane 0 + lane 1. FADDP on 4 lanes
	// would pair 0+1 and 2+3: another order, another last bit.
	FADD_V(12, 12, 14)
	FADD_V(13, 13, 15)
	FADD_V(12, 12, 13)
	VEXT   $8, V12.B16, V12.B16, V13.B16
	FADD_V(12, 12, 13)
	FADDP_S(12, 12)
	FDIVS  F12, F24, F12
	VDUP   V12.S[0], V12.S4

sscale:
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMUL_V(0, 0, 12)
	FMUL_V(1, 1, 12)
	FMUL_V(2, 2, 12)
	FMUL_V(3, 3, 12)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $1, R1, R1
	BNE    sscale
	RET

// DOTSTEP adds the value at R6 times the 16 values at R7 to V0-V3 (multiply and add
// apart, the products in V20-V23), R6 moving to the next value and R7 by R3 bytes.
#define DOTSTEP \
	VLD1R.P 4(R6), [V4.S4] \
	VLD1.P  (R7)(R3), [V16.S4, V17.S4, V18.S4, V19.S4] \
	FMUL_V(20, 4, 16) \
	FMUL_V(21, 4, 17) \
	FMUL_V(22, 4, 18) \
	FMUL_V(23, 4, 19) \
	FADD_V(0, 0, 20) \
	FADD_V(1, 1, 21) \
	FADD_V(2, 2, 22) \
	FADD_V(3, 3, 23)

// func attnScoresNEON(q *float32, dh int, kt *float32, ldk int, s *float32, n int, scale float32)
// attnScores of ops.go: s[j] = (Σ_d q[d]·kt[d·ldk+j])·scale for j < n (a multiple of 16),
// 16 keys at a time.
TEXT ·attnScoresNEON(SB), NOSPLIT, $0-52
	MOVD  q+0(FP), R0
	MOVD  dh+8(FP), R1
	MOVD  kt+16(FP), R2
	MOVD  ldk+24(FP), R3
	MOVD  s+32(FP), R4
	MOVD  n+40(FP), R5
	FMOVS scale+48(FP), F28
	VDUP  V28.S[0], V28.S4
	LSL   $2, R3, R3
	LSR   $4, R5, R5

schunk:
	ZERO_V0_V3
	MOVD R0, R6
	MOVD R2, R7
	MOVD R1, R8

sd:
	DOTSTEP
	SUBS   $1, R8, R8
	BNE    sd
	FMUL_V(0, 0, 28)
	FMUL_V(1, 1, 28)
	FMUL_V(2, 2, 28)
	FMUL_V(3, 3, 28)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R4)
	ADD    $64, R2, R2
	SUBS   $1, R5, R5
	BNE    schunk
	RET

// func attnOutNEON(p *float32, n int, v *float32, ldv int, o *float32, dh int)
// attnOut of ops.go: o[i] = Σ_j p[j]·v[j·ldv+i] for i < dh (a multiple of 16), n ≥ 1.
TEXT ·attnOutNEON(SB), NOSPLIT, $0-48
	MOVD p+0(FP), R0
	MOVD n+8(FP), R1
	MOVD v+16(FP), R2
	MOVD ldv+24(FP), R3
	MOVD o+32(FP), R4
	MOVD dh+40(FP), R5
	LSL  $2, R3, R3
	LSR  $4, R5, R5

ochunk:
	ZERO_V0_V3
	MOVD R0, R6
	MOVD R2, R7
	MOVD R1, R8

oj:
	DOTSTEP
	SUBS   $1, R8, R8
	BNE    oj
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R4)
	ADD    $64, R2, R2
	SUBS   $1, R5, R5
	BNE    ochunk
	RET

// The 4-row versions share each load of 16 keys (or values) among four rows: row r's
// sums are V(4r)..V(4r+3), its broadcast value V(20+r), the shared 16 values V16-V19,
// the products V24-V27. Four independent chains of adds where one row alone waits on
// its single chain of dh (or n) dependent adds; each row's arithmetic is the one-row
// version's.

// ROW4(B, A): V(A)..V(A+3) += V(B) times V16-V19.
#define ROW4(B, A) \
	FMUL_V(24, B, 16) \
	FMUL_V(25, B, 17) \
	FMUL_V(26, B, 18) \
	FMUL_V(27, B, 19) \
	FADD_V(A, A, 24) \
	FADD_V((A)+1, (A)+1, 25) \
	FADD_V((A)+2, (A)+2, 26) \
	FADD_V((A)+3, (A)+3, 27)

// STEP4ROWS: one step of the four rows' sums: the 16 values at R13 (which moves by R4
// bytes) times each row's value at R8-R11 (which move to the next).
#define STEP4ROWS \
	VLD1.P  (R13)(R4), [V16.S4, V17.S4, V18.S4, V19.S4] \
	VLD1R.P 4(R8), [V20.S4] \
	VLD1R.P 4(R9), [V21.S4] \
	VLD1R.P 4(R10), [V22.S4] \
	VLD1R.P 4(R11), [V23.S4] \
	ROW4(20, 0) \
	ROW4(21, 4) \
	ROW4(22, 8) \
	ROW4(23, 12)

// ROWS4START points R8-R11 at the four rows from R0, R1 bytes apart, R13 at R3's column.
#define ROWS4START \
	MOVD R0, R8 \
	ADD  R1, R8, R9 \
	ADD  R1, R9, R10 \
	ADD  R1, R10, R11 \
	MOVD R3, R13

// STORE4ROWS stores the four rows' sums from R5, R6 bytes apart, and moves R5 on by 16
// values.
#define STORE4ROWS \
	MOVD R5, R14 \
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R14) \
	ADD  R6, R14, R14 \
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R14) \
	ADD  R6, R14, R14 \
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R14) \
	ADD  R6, R14, R14 \
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R14) \
	ADD  $64, R5, R5

// func attnScores4NEON(q *float32, ldq int, dh int, kt *float32, ldk int, s *float32, lds int, n int, scale float32)
// attnScoresNEON for four query rows at once (q's rows ldq floats apart, s's lds apart).
TEXT ·attnScores4NEON(SB), NOSPLIT, $0-68
	MOVD  q+0(FP), R0
	MOVD  ldq+8(FP), R1
	MOVD  dh+16(FP), R2
	MOVD  kt+24(FP), R3
	MOVD  ldk+32(FP), R4
	MOVD  s+40(FP), R5
	MOVD  lds+48(FP), R6
	MOVD  n+56(FP), R7
	FMOVS scale+64(FP), F28
	VDUP  V28.S[0], V28.S4
	LSL   $2, R1, R1
	LSL   $2, R4, R4
	LSL   $2, R6, R6
	LSR   $4, R7, R7

s4chunk:
	ZERO_V0_V15
	ROWS4START
	MOVD R2, R12

s4d:
	STEP4ROWS
	SUBS $1, R12, R12
	BNE  s4d
	FMUL_V(0, 0, 28)
	FMUL_V(1, 1, 28)
	FMUL_V(2, 2, 28)
	FMUL_V(3, 3, 28)
	FMUL_V(4, 4, 28)
	FMUL_V(5, 5, 28)
	FMUL_V(6, 6, 28)
	FMUL_V(7, 7, 28)
	FMUL_V(8, 8, 28)
	FMUL_V(9, 9, 28)
	FMUL_V(10, 10, 28)
	FMUL_V(11, 11, 28)
	FMUL_V(12, 12, 28)
	FMUL_V(13, 13, 28)
	FMUL_V(14, 14, 28)
	FMUL_V(15, 15, 28)
	STORE4ROWS
	ADD  $64, R3, R3
	SUBS $1, R7, R7
	BNE  s4chunk
	RET

// func attnOut4NEON(p *float32, ldp int, n int, v *float32, ldv int, o *float32, ldo int, dh int)
// attnOutNEON for four rows of probabilities at once (p's rows ldp floats apart, o's ldo
// apart).
TEXT ·attnOut4NEON(SB), NOSPLIT, $0-64
	MOVD p+0(FP), R0
	MOVD ldp+8(FP), R1
	MOVD n+16(FP), R2
	MOVD v+24(FP), R3
	MOVD ldv+32(FP), R4
	MOVD o+40(FP), R5
	MOVD ldo+48(FP), R6
	MOVD dh+56(FP), R7
	LSL  $2, R1, R1
	LSL  $2, R4, R4
	LSL  $2, R6, R6
	LSR  $4, R7, R7

o4chunk:
	ZERO_V0_V15
	ROWS4START
	MOVD R2, R12

o4j:
	STEP4ROWS
	SUBS $1, R12, R12
	BNE  o4j
	STORE4ROWS
	ADD  $64, R3, R3
	SUBS $1, R7, R7
	BNE  o4chunk
	RET

// LNLOAD16 loads the next 16 floats at R6 and widens them to float64 in V20-V27 (two
// lanes each, in order: V20 values 0-1, ..., V27 values 14-15).
#define LNLOAD16 \
	VLD1.P 64(R6), [V16.S4, V17.S4, V18.S4, V19.S4] \
	FCVTL_2D(20, 16) \
	FCVTL2_2D(21, 16) \
	FCVTL_2D(22, 17) \
	FCVTL2_2D(23, 17) \
	FCVTL_2D(24, 18) \
	FCVTL2_2D(25, 18) \
	FCVTL_2D(26, 19) \
	FCVTL2_2D(27, 19)

// ADD16X8 adds V20-V27 to the 16 float64 lane sums V0-V7.
#define ADD16X8 \
	FADD_V2D(0, 0, 20) \
	FADD_V2D(1, 1, 21) \
	FADD_V2D(2, 2, 22) \
	FADD_V2D(3, 3, 23) \
	FADD_V2D(4, 4, 24) \
	FADD_V2D(5, 5, 25) \
	FADD_V2D(6, 6, 26) \
	FADD_V2D(7, 7, 27)

#define ZERO8 \
	ZERO_V0_V3 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16

// LANES16X8 folds the 16 float64 lane sums (V0 lanes 0-1, ..., V7 lanes 14-15) into F0
// in lanes16's order (ops.go): j+8 (V0-V3 += V4-V7), j+4 (V0 += V2, V1 += V3), j+2 (V0
// += V1), j+1 (FADDP).
#define LANES16X8 \
	FADD_V2D(0, 0, 4) \
	FADD_V2D(1, 1, 5) \
	FADD_V2D(2, 2, 6) \
	FADD_V2D(3, 3, 7) \
	FADD_V2D(0, 0, 2) \
	FADD_V2D(1, 1, 3) \
	FADD_V2D(0, 0, 1) \
	FADDP_D(0, 0)

// func layerNormNEON(dst, x *float32, n int, weight, bias *float32, eps float64)
// layerNorm of ops.go for n (a multiple of 16) values: float64 sums in 16 lanes, folded
// in lanes16's order; then the float32 pass, 16 values per step.
TEXT ·layerNormNEON(SB), NOSPLIT, $0-48
	MOVD   dst+0(FP), R0
	MOVD   x+8(FP), R1
	MOVD   n+16(FP), R2
	MOVD   weight+24(FP), R3
	MOVD   bias+32(FP), R4
	FMOVD  eps+40(FP), F30
	SCVTFD R2, F31 // n as float64
	LSR    $4, R2, R5

	// mean
	ZERO8
	MOVD R1, R6
	MOVD R5, R7

lnsum:
	LNLOAD16
	ADD16X8
	SUBS  $1, R7, R7
	BNE   lnsum
	LANES16X8
	FDIVD F31, F0, F29 // mean
	VDUP  V29.D[0], V28.D2

	// variance: d = x - mean, d·d added (multiply and add apart, as the Go twin)
	ZERO8
	MOVD R1, R6
	MOVD R5, R7

lnvar:
	LNLOAD16
	FSUB_V2D(20, 20, 28)
	FSUB_V2D(21, 21, 28)
	FSUB_V2D(22, 22, 28)
	FSUB_V2D(23, 23, 28)
	FSUB_V2D(24, 24, 28)
	FSUB_V2D(25, 25, 28)
	FSUB_V2D(26, 26, 28)
	FSUB_V2D(27, 27, 28)
	FMUL_V2D(20, 20, 20)
	FMUL_V2D(21, 21, 21)
	FMUL_V2D(22, 22, 22)
	FMUL_V2D(23, 23, 23)
	FMUL_V2D(24, 24, 24)
	FMUL_V2D(25, 25, 25)
	FMUL_V2D(26, 26, 26)
	FMUL_V2D(27, 27, 27)
	ADD16X8
	SUBS   $1, R7, R7
	BNE    lnvar
	LANES16X8
	FDIVD  F31, F0, F0 // ss/n
	FADDD  F30, F0, F0 // + eps
	FSQRTD F0, F0
	FMOVD  $1.0, F1
	FDIVD  F0, F1, F0  // inv
	FCVTDS F0, F30     // s
	FCVTDS F29, F29    // m
	VDUP   V30.S[0], V30.S4
	VDUP   V29.S[0], V29.S4

	// dst = float32(float32((x - m)·s)·weight) + bias
lnout:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R3), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R4), [V8.S4, V9.S4, V10.S4, V11.S4]
	FSUB_V(0, 0, 29)
	FSUB_V(1, 1, 29)
	FSUB_V(2, 2, 29)
	FSUB_V(3, 3, 29)
	FMUL_V(0, 0, 30)
	FMUL_V(1, 1, 30)
	FMUL_V(2, 2, 30)
	FMUL_V(3, 3, 30)
	FMUL_V(0, 0, 4)
	FMUL_V(1, 1, 5)
	FMUL_V(2, 2, 6)
	FMUL_V(3, 3, 7)
	FADD_V(0, 0, 8)
	FADD_V(1, 1, 9)
	FADD_V(2, 2, 10)
	FADD_V(3, 3, 11)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $1, R5, R5
	BNE    lnout
	RET

// func quantBlocksNEON(x *float32, q *int8, scale *float32, init *int32, nb int, bs int, offset int, qmax int)
// qact.setRow of act.go for a row of nb whole blocks of bs (a multiple of 16) values:
//   - amax = max |x| over the block (FABS, FMAX: a NaN gives NaN, as Go's max);
//   - amax = 0 or NaN: a zero block; else inv = qmax/amax, scale = amax/qmax;
//   - q = clamp(int32(roundf(x·inv)), ±qmax): FCVTNS rounds to nearest even straight to
//     int32, as roundf does below 2^22; beyond that (or ±Inf, after an inv that
//     overflowed) both saturate past qmax and clamp to it, and NaN gives 0 as Go's
//     int32(NaN) on arm64 (FCVTZS; amd64 gives -2^31, hence -qmax there). The int32 are
//     narrowed to bytes with signed saturation (to ±32767, then -128..127, the clamp
//     unchanged) and clamped there, 16 at a time;
//   - init = -offset·Σq, Σq from the bytes' pairwise sums (exact).
TEXT ·quantBlocksNEON(SB), NOSPLIT, $0-64
	MOVD    x+0(FP), R0
	MOVD    q+8(FP), R1
	MOVD    scale+16(FP), R2
	MOVD    init+24(FP), R3
	MOVD    nb+32(FP), R4
	MOVD    bs+40(FP), R5
	MOVD    offset+48(FP), R6
	MOVD    qmax+56(FP), R7
	LSR     $4, R5, R5
	SCVTFWS R7, F31 // qmax as float32 (127 or 63: exact)
	VDUP    R7, V29.B16
	NEG     R7, R8
	VDUP    R8, V30.B16 // -qmax
	VEOR    V28.B16, V28.B16, V28.B16

qblock:
	// amax: 16 lane maxima in V0-V3 from +0, as Go's starts
	ZERO_V0_V3
	MOVD R0, R9
	MOVD R5, R10

qamax:
	VLD1.P  64(R9), [V4.S4, V5.S4, V6.S4, V7.S4]
	FABS_V(4, 4)
	FABS_V(5, 5)
	FABS_V(6, 6)
	FABS_V(7, 7)
	FMAX_V(0, 0, 4)
	FMAX_V(1, 1, 5)
	FMAX_V(2, 2, 6)
	FMAX_V(3, 3, 7)
	SUBS    $1, R10, R10
	BNE     qamax
	FMAX_V(0, 0, 1)
	FMAX_V(2, 2, 3)
	FMAX_V(0, 0, 2)
	FMAXV_S(0, 0)
	FCMPS   $(0.0), F0
	BGT     qscale      // amax > 0; not for 0 or NaN (unordered)
	MOVW    ZR, (R2)
	MOVW    ZR, (R3)
	MOVD    R9, R0      // past the block
	MOVD    R5, R10

qzero:
	VST1.P [V28.B16], 16(R1)
	SUBS   $1, R10, R10
	BNE    qzero
	B      qnext

qscale:
	FDIVS F0, F31, F1 // inv = qmax / amax
	FDIVS F31, F0, F2 // scale = amax / qmax
	FMOVS F2, (R2)
	VDUP  V1.S[0], V1.S4
	VEOR  V8.B16, V8.B16, V8.B16 // Σq in 4 int32 lanes
	MOVD  R5, R10

qround:
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL_V(4, 4, 1)
	FMUL_V(5, 5, 1)
	FMUL_V(6, 6, 1)
	FMUL_V(7, 7, 1)
	FCVTNS_V(4, 4)
	FCVTNS_V(5, 5)
	FCVTNS_V(6, 6)
	FCVTNS_V(7, 7)
	SQXTN_4H(12, 4)
	SQXTN2_8H(12, 5)
	SQXTN_4H(13, 6)
	SQXTN2_8H(13, 7)
	SQXTN_8B(14, 12)
	SQXTN2_16B(14, 13)
	SMIN_16B(14, 14, 29)
	SMAX_16B(14, 14, 30)
	SADDLP_8H(15, 14)
	SADALP_4S(8, 15)
	VST1.P [V14.B16], 16(R1)
	SUBS   $1, R10, R10
	BNE    qround
	VADDV  V8.S4, V8
	VMOV   V8.S[0], R11
	MULW   R6, R11, R11
	NEGW   R11, R11
	MOVW   R11, (R3)

qnext:
	ADD  $4, R2, R2
	ADD  $4, R3, R3
	SUBS $1, R4, R4
	BNE  qblock
	RET

// func emitTileNEON(dst *float32, ldo int, src *float32, rows int, add bool)
// The matmul's emit (forward.go) for a whole panel: rows rows of 32 floats from src
// (128 bytes apart) to dst (4·ldo bytes apart), copied, or with add added to dst.
TEXT ·emitTileNEON(SB), NOSPLIT, $0-33
	MOVD  dst+0(FP), R0
	MOVD  ldo+8(FP), R1
	MOVD  src+16(FP), R2
	MOVD  rows+24(FP), R3
	MOVBU add+32(FP), R4
	LSL   $2, R1, R1
	SUB   $64, R1, R1 // from a row's second half to the next row
	CBNZ  R4, eadd

ecopy:
	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], (R0)(R1)
	SUBS   $1, R3, R3
	BNE    ecopy
	RET

eadd:
	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	ADD    $64, R0, R5
	VLD1   (R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1   (R5), [V20.S4, V21.S4, V22.S4, V23.S4]
	FADD_V(16, 16, 0)
	FADD_V(17, 17, 1)
	FADD_V(18, 18, 2)
	FADD_V(19, 19, 3)
	FADD_V(20, 20, 4)
	FADD_V(21, 21, 5)
	FADD_V(22, 22, 6)
	FADD_V(23, 23, 7)
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R0)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], (R0)(R1)
	SUBS   $1, R3, R3
	BNE    eadd
	RET
