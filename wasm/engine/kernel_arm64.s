//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// The NEON tile kernels, for arm64 CPUs with the ARMv8.2 dot product (SDOT). Each call
// computes half a tile: 4 activation rows × 16 outputs (outputs 0-15 or 16-31 of a
// panel; the caller passes pointers offset to the half): the int32 sums of a whole tile
// would take all 32 vector registers. The float sums live in c (rows 32 floats apart),
// which starts as the bias; per block, exactly as tileGeneric:
//
//	d = Σ_k a[r][k]·w[j][k]   (int32, exact)
//	c[r][j] += float32(d) · (ascale[r][b] · wscale[b][j])
//
// with separate multiplies and adds (no FMLA), so the results are bit-identical to the
// portable kernel's.
//
// SDOT multiplies signed by signed bytes, 4 of them into each int32 lane. Its by-element
// form takes the 4 bytes of one 32-bit lane of the second operand for all 4 lanes, which
// is the broadcast of a group of 4 activations: one 16-byte load per row serves 4 groups
// (16 inputs), where x86 broadcasts each group from memory.
//   - 8 bits: the weights stay signed (repack's signed layout), so the block sums start
//     from zero; -128 is fine (only AVX2's VPSIGNB cannot take it).
//   - 4 bits: the nibbles q+8 (0-15) are non-negative signed bytes too; the block sums
//     start from init = -8·Σa, as in the x86 kernels. USHR by 4 on bytes gives the high
//     nibbles (inputs 4-7 of a group of 8) without a mask.
//
// Go's assembler has no SDOT, no vector FMUL, FADD or SCVTF, and no FCVTL: SDOT is
// hand-encoded below (checked against llvm-mc -mattr=+dotprod), the others in
// neon_arm64.h, which ops_arm64.s shares.
//
// Registers: V0-V15 int32 sums (row r, outputs 4q..4q+3: V(4r+q)); V16-V19 activations of
// rows 0-3 (16 inputs); V20-V23 and V24-V27 weights (4 groups of 4 inputs × 16 outputs,
// alternating; for 4 bits V20-V23 the low nibbles and V24-V27 the high ones); V28 the
// nibble mask. At a block's end V16-V27 and V29-V31 hold the scales and float temporaries.
// R0-R3 activation rows; R4 weights (a group of inputs is 128 bytes: both halves of the
// panel; R10 = 128); R5 weight scales (64 bytes per block; R25 = 64); R6 blocks left;
// R7 16-input chunks per block, R8 whether an 8-input tail follows; R11-R14 each row's
// activation scale and R15-R17, R19 its init at the current block; R20-R23 c's rows.

// SDOT_E(d, n, m, i): SDOT Vd.4S, Vn.16B, Vm.4B[i], from the by-element encoding
// 0 Q=1 U=0 01111 size=10 L M Rm 1110 H 0 Rn Rd = 0x4F80E000, with the lane i = H:L
// (bits 11 and 21) and, for size 10, M:Rm the whole 5-bit register number (bits 16-20).
#define SDOT_E(d, n, m, i) WORD $(0x4F80E000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))

// LOADARGS reads the arguments, sets the row pointers and c's 4 rows to the bias.
#define LOADARGS \
	TILEARGS \
	MOVD  $128, R10 \
	MOVD  $64, R25 \
	VLD1  (R24), [V20.S4, V21.S4, V22.S4, V23.S4] \
	VST1  [V20.S4, V21.S4, V22.S4, V23.S4], (R20) \
	VST1  [V20.S4, V21.S4, V22.S4, V23.S4], (R21) \
	VST1  [V20.S4, V21.S4, V22.S4, V23.S4], (R22) \
	VST1  [V20.S4, V21.S4, V22.S4, V23.S4], (R23)

// ZEROSTART sets the int sums to zero (signed 8-bit weights need no offset).
#define ZEROSTART ZERO_V0_V15

// INITROW sets row r's int sums (V(4r)..V(4r+3), here VA-VD) to its block's init value.
#define INITROW(PTR, VA, VB, VC, VD) \
	VLD1R.P 4(PTR), [VA.S4] \
	VMOV    VA.B16, VB.B16 \
	VMOV    VA.B16, VC.B16 \
	VMOV    VA.B16, VD.B16

#define INITSTART \
	INITROW(R15, V0, V1, V2, V3) \
	INITROW(R16, V4, V5, V6, V7) \
	INITROW(R17, V8, V9, V10, V11) \
	INITROW(R19, V12, V13, V14, V15)

// LOADACT16 and LOADACT8 load the next 16 or 8 inputs of each row (the lanes of 4
// inputs the SDOTs pick from).
#define LOADACT16 \
	VLD1.P 16(R0), [V16.B16] \
	VLD1.P 16(R1), [V17.B16] \
	VLD1.P 16(R2), [V18.B16] \
	VLD1.P 16(R3), [V19.B16]

#define LOADACT8 \
	VLD1.P 8(R0), [V16.B8] \
	VLD1.P 8(R1), [V17.B8] \
	VLD1.P 8(R2), [V18.B8] \
	VLD1.P 8(R3), [V19.B8]

// LOADW loads the next group's weights for this half (64 bytes) into W..W+3 and steps
// over the other half's.
#define LOADW20 VLD1.P (R4)(R10), [V20.B16, V21.B16, V22.B16, V23.B16]
#define LOADW24 VLD1.P (R4)(R10), [V24.B16, V25.B16, V26.B16, V27.B16]

// DOT adds one group of 4 inputs (activation lane L) of all 4 rows against the weights
// in registers W..W+3 (outputs 0-3, ..., 12-15): 16 SDOTs.
#define DOT(W, L) \
	SDOT_E(0, W, 16, L) \
	SDOT_E(1, (W)+1, 16, L) \
	SDOT_E(2, (W)+2, 16, L) \
	SDOT_E(3, (W)+3, 16, L) \
	SDOT_E(4, W, 17, L) \
	SDOT_E(5, (W)+1, 17, L) \
	SDOT_E(6, (W)+2, 17, L) \
	SDOT_E(7, (W)+3, 17, L) \
	SDOT_E(8, W, 18, L) \
	SDOT_E(9, (W)+1, 18, L) \
	SDOT_E(10, (W)+2, 18, L) \
	SDOT_E(11, (W)+3, 18, L) \
	SDOT_E(12, W, 19, L) \
	SDOT_E(13, (W)+1, 19, L) \
	SDOT_E(14, (W)+2, 19, L) \
	SDOT_E(15, (W)+3, 19, L)

// NIBBLES splits a group of 8 inputs' nibbles (V20-V23): the high ones (inputs 4-7) to
// V24-V27, the low ones (inputs 0-3) kept in V20-V23.
#define NIBBLES \
	VUSHR $4, V20.B16, V24.B16 \
	VUSHR $4, V21.B16, V25.B16 \
	VUSHR $4, V22.B16, V26.B16 \
	VUSHR $4, V23.B16, V27.B16 \
	VAND  V28.B16, V20.B16, V20.B16 \
	VAND  V28.B16, V21.B16, V21.B16 \
	VAND  V28.B16, V22.B16, V22.B16 \
	VAND  V28.B16, V23.B16, V23.B16

// ROWSCALE adds row r's block sums (V(S)..V(S+3)), scaled, to its floats in c at CPTR.
// V24-V27 hold the block's 16 weight scales; SPTR points to the row's activation scale.
#define ROWSCALE(SPTR, CPTR, S) \
	VLD1R.P 4(SPTR), [V29.S4] \
	FMUL_V(16, 29, 24) \
	FMUL_V(17, 29, 25) \
	FMUL_V(18, 29, 26) \
	FMUL_V(19, 29, 27) \
	SCVTF_V(S, S) \
	SCVTF_V((S)+1, (S)+1) \
	SCVTF_V((S)+2, (S)+2) \
	SCVTF_V((S)+3, (S)+3) \
	FMUL_V(S, S, 16) \
	FMUL_V((S)+1, (S)+1, 17) \
	FMUL_V((S)+2, (S)+2, 18) \
	FMUL_V((S)+3, (S)+3, 19) \
	VLD1    (CPTR), [V20.S4, V21.S4, V22.S4, V23.S4] \
	FADD_V(20, 20, S) \
	FADD_V(21, 21, (S)+1) \
	FADD_V(22, 22, (S)+2) \
	FADD_V(23, 23, (S)+3) \
	VST1    [V20.S4, V21.S4, V22.S4, V23.S4], (CPTR)

// BLOCKEND converts the block's 16 weight scales and applies them to all rows.
#define BLOCKEND \
	VLD1.P (R5)(R25), [V30.B16, V31.B16] \
	FCVTL_V(24, 30) \
	FCVTL2_V(25, 30) \
	FCVTL_V(26, 31) \
	FCVTL2_V(27, 31) \
	ROWSCALE(R11, R20, 0) \
	ROWSCALE(R12, R21, 4) \
	ROWSCALE(R13, R22, 8) \
	ROWSCALE(R14, R23, 12)

// func tileDot8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)
// init is not read (signed weights need no offset).
TEXT ·tileDot8(SB), NOSPLIT, $0-88
	LOADARGS

dot8block:
	ZEROSTART
	CBZ  R7, dot8tail
	MOVD R7, R9

dot8chunk:
	LOADACT16
	LOADW20
	DOT(20, 0)
	LOADW24
	DOT(24, 1)
	LOADW20
	DOT(20, 2)
	LOADW24
	DOT(24, 3)
	SUB  $1, R9
	CBNZ R9, dot8chunk

dot8tail:
	CBZ R8, dot8end
	LOADACT8
	LOADW20
	DOT(20, 0)
	LOADW24
	DOT(24, 1)

dot8end:
	BLOCKEND
	SUB  $1, R6
	CBNZ R6, dot8block
	RET

// func tileDot4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)
TEXT ·tileDot4(SB), NOSPLIT, $0-88
	LOADARGS
	VMOVI $15, V28.B16

dot4block:
	INITSTART
	CBZ  R7, dot4tail
	MOVD R7, R9

dot4chunk:
	LOADACT16
	LOADW20
	NIBBLES
	DOT(20, 0)
	DOT(24, 1)
	LOADW20
	NIBBLES
	DOT(20, 2)
	DOT(24, 3)
	SUB  $1, R9
	CBNZ R9, dot4chunk

dot4tail:
	CBZ R8, dot4end
	LOADACT8
	LOADW20
	NIBBLES
	DOT(20, 0)
	DOT(24, 1)

dot4end:
	BLOCKEND
	SUB  $1, R6
	CBNZ R6, dot4block
	RET
