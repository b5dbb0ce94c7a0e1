// NEON instructions that Go's arm64 assembler lacks, hand-encoded for kernel_arm64.s and
// ops_arm64.s (every encoding checked against llvm-mc -triple=aarch64). Arguments are
// register numbers (d the destination, n and m the sources, in the ARM order: FSUB_V(d,
// n, m) is Vd = Vn - Vm). None of these fuses a multiply with an add: the engine keeps
// them apart so that every platform rounds the same way.

// Float32 on 4 lanes (.4S): 0 Q=1 U 01110 0 sz=0 1 Rm opcode Rn Rd, or the two-register
// forms with 10000 in place of Rm.
#define FMUL_V(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FADD_V(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB_V(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FDIV_V(d, n, m) WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
// FMAX_V is FMAX, which gives NaN if either lane is NaN, as Go's max does (FMAXNM
// would not); -0 < +0 for both.
#define FMAX_V(d, n, m) WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
#define FABS_V(d, n) WORD $(0x4EA0F800 | ((n)<<5) | (d))
// FCMGT_V(d, n, m): lanes of Vd all ones where Vn > Vm (false for NaN), else zero.
#define FCMGT_V(d, n, m) WORD $(0x6EA0E400 | ((m)<<16) | ((n)<<5) | (d))
// FRINTN_V rounds to an integral float, ties to even.
#define FRINTN_V(d, n) WORD $(0x4E218800 | ((n)<<5) | (d))
// FCVTZS_V and FCVTNS_V convert to int32, toward zero or to nearest (ties to even), both
// saturating, NaN to 0 (as Go's int32(f) on arm64, FCVTZSSW).
#define FCVTZS_V(d, n) WORD $(0x4EA1B800 | ((n)<<5) | (d))
#define FCVTNS_V(d, n) WORD $(0x4E21A800 | ((n)<<5) | (d))
// SCVTF_V: int32 to float32, rounding to nearest as Go's float32(int32).
#define SCVTF_V(d, n) WORD $(0x4E21D800 | ((n)<<5) | (d))

// Horizontal float32: FMAXV_S(d, n) is Sd = the max of Vn's 4 lanes (NaN if any is);
// FADDP_S(d, n) is Sd = Vn.S[0] + Vn.S[1].
#define FMAXV_S(d, n) WORD $(0x6E30F800 | ((n)<<5) | (d))
#define FADDP_S(d, n) WORD $(0x7E30D800 | ((n)<<5) | (d))

// Float64 on 2 lanes (.2D), and FADDP_D(d, n): Dd = Vn.D[0] + Vn.D[1].
#define FADD_V2D(d, n, m) WORD $(0x4E60D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB_V2D(d, n, m) WORD $(0x4EE0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FMUL_V2D(d, n, m) WORD $(0x6E60DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FADDP_D(d, n) WORD $(0x7E70D800 | ((n)<<5) | (d))

// Widening float conversions (exact): FCVTL_V and FCVTL2_V are float16 to float32 (Vn's
// low and high 4 halves); FCVTL_2D and FCVTL2_2D float32 to float64 (Vn's lanes 0-1 and
// 2-3): 0 Q 0 01110 0 sz 10000 10111 10 Rn Rd, Q=0 for the low half, sz=1 for float64.
#define FCVTL_V(d, n) WORD $(0x0E217800 | ((n)<<5) | (d))
#define FCVTL2_V(d, n) WORD $(0x4E217800 | ((n)<<5) | (d))
#define FCVTL_2D(d, n) WORD $(0x0E617800 | ((n)<<5) | (d))
#define FCVTL2_2D(d, n) WORD $(0x4E617800 | ((n)<<5) | (d))

// BIC_V: Vd = Vn AND NOT Vm; BIT_V: Vd's bits replaced by Vn's where Vm's are set (16
// bytes each; Go's VBIT takes register names, these the numbers that macros pass).
#define BIC_V(d, n, m) WORD $(0x4E601C00 | ((m)<<16) | ((n)<<5) | (d))
#define BIT_V(d, n, m) WORD $(0x6EA01C00 | ((m)<<16) | ((n)<<5) | (d))

// ADD_4S: int32 Vd = Vn + Vm; SHL_4S: int32 Vd = Vn << sh (0-31). Go's VADD and VSHL
// exist, but take register names.
#define ADD_4S(d, n, m) WORD $(0x4EA08400 | ((m)<<16) | ((n)<<5) | (d))
#define SHL_4S(d, n, sh) WORD $(0x4F205400 | ((sh)<<16) | ((n)<<5) | (d))

// Integer narrowing and byte sums. SQXTN_4H and SQXTN2_8H narrow Vn's 4 int32 to int16
// with signed saturation into Vd's low (zeroing the high) or high half; SQXTN_8B and
// SQXTN2_16B narrow 8 int16 to int8 the same way.
#define SQXTN_4H(d, n) WORD $(0x0E614800 | ((n)<<5) | (d))
#define SQXTN2_8H(d, n) WORD $(0x4E614800 | ((n)<<5) | (d))
#define SQXTN_8B(d, n) WORD $(0x0E214800 | ((n)<<5) | (d))
#define SQXTN2_16B(d, n) WORD $(0x4E214800 | ((n)<<5) | (d))
// SMAX_16B and SMIN_16B: signed byte max and min on 16 lanes.
#define SMAX_16B(d, n, m) WORD $(0x4E206400 | ((m)<<16) | ((n)<<5) | (d))
#define SMIN_16B(d, n, m) WORD $(0x4E206C00 | ((m)<<16) | ((n)<<5) | (d))
// SADDLP_8H: Vd.8H = sums of Vn's adjacent signed byte pairs; SADALP_4S: Vd.4S += sums
// of Vn's adjacent int16 pairs (sign-extended: exact).
#define SADDLP_8H(d, n) WORD $(0x4E202800 | ((n)<<5) | (d))
#define SADALP_4S(d, n) WORD $(0x4E606800 | ((n)<<5) | (d))

// TILEARGS reads the tile kernels' arguments (kernel_arm64.s, kernel_i8mm_arm64.s; both
// take tileSIMD's list): R0-R3 the 4 activation rows; R15-R17, R19 their init and R11-R14
// their scales at the first block; R4 weights, R5 weight scales, R6 blocks, R7 16-input
// chunks per block and R8 whether an 8-input tail follows; R20-R23 c's 4 rows; R24 bias.
#define TILEARGS \
	MOVD  a+0(FP), R0 \
	MOVD  lda+8(FP), R9 \
	ADD   R9, R0, R1 \
	ADD   R9, R1, R2 \
	ADD   R9, R2, R3 \
	MOVD  init+16(FP), R15 \
	MOVD  scale+24(FP), R11 \
	MOVD  lds+32(FP), R9 \
	ADD   R9, R15, R16 \
	ADD   R9, R16, R17 \
	ADD   R9, R17, R19 \
	ADD   R9, R11, R12 \
	ADD   R9, R12, R13 \
	ADD   R9, R13, R14 \
	MOVD  w+40(FP), R4 \
	MOVD  ws+48(FP), R5 \
	MOVD  nb+56(FP), R6 \
	MOVD  bs+64(FP), R7 \
	AND   $8, R7, R8 \
	LSR   $4, R7, R7 \
	MOVD  c+72(FP), R20 \
	ADD   $128, R20, R21 \
	ADD   $128, R21, R22 \
	ADD   $128, R22, R23 \
	MOVD  bias+80(FP), R24

// ZERO_V0_V3 and ZERO_V0_V15 clear the sums the kernels and helpers keep in V0 up.
#define ZERO_V0_V3 \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16

#define ZERO_V0_V15 \
	ZERO_V0_V3 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	VEOR V8.B16, V8.B16, V8.B16 \
	VEOR V9.B16, V9.B16, V9.B16 \
	VEOR V10.B16, V10.B16, V10.B16 \
	VEOR V11.B16, V11.B16, V11.B16 \
	VEOR V12.B16, V12.B16, V12.B16 \
	VEOR V13.B16, V13.B16, V13.B16 \
	VEOR V14.B16, V14.B16, V14.B16 \
	VEOR V15.B16, V15.B16, V15.B16
