//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// The NEON I8MM tile kernels ("neon-i8mm"), for arm64 CPUs with the ARMv8.6 int8 matrix
// multiply (SMMLA). As the SDOT kernel (kernel_arm64.s), each call computes half a tile,
// 4 activation rows × 16 outputs, and per block exactly tileGeneric's expression:
//
//	d = Σ_k a[r][k]·w[j][k]   (int32, exact)
//	c[r][j] += float32(d) · (ascale[r][b] · wscale[b][j])
//
// with separate multiplies and adds (no FMLA), so the results are bit-identical to the
// portable kernel's.
//
// SMMLA Vd.4S, Vn.16B, Vm.16B adds the 2×2 int32 matrix product of Vn (2 rows of 8
// signed bytes) and Vm (2 rows of 8 signed bytes, transposed): lane 2i+j of Vd += Σ_k
// Vn[8i+k]·Vm[8j+k], 32 multiply-adds, twice SDOT's. Here Vn holds 8 inputs of a pair
// of activation rows (2R, 2R+1), Vm 8 inputs of a pair of outputs (2P, 2P+1) (repack's
// neon-i8mm layout), so each int32 sum register X(R,P) is a 2×2 block:
// [row 2R out 2P, row 2R out 2P+1, row 2R+1 out 2P, row 2R+1 out 2P+1].
//   - 8 bits: the weights stay signed; the block sums start from zero.
//   - 4 bits: the nibbles q+8 (0-15) are non-negative signed bytes; the block sums start
//     from init = -8·Σa, as in the SDOT kernel. A register of 16 weight bytes holds two
//     output pairs, one in the low nibbles (AND 15), one in the high ones (USHR 4).
// The activations are pairs of rows: ZIP1/ZIP2 on 64-bit lanes of two rows' 16 inputs
// give the row pair's inputs 0-7 and 8-15.
//
// The float part works on the same 2×2 blocks, so the int sums are never permuted: the
// activation scales as [s(2R), s(2R), s(2R+1), s(2R+1)], the weight scales as [s(2P),
// s(2P+1), s(2P), s(2P+1)] (ZIP of the float16 pairs before FCVTL), and the float sums,
// which start from the bias as [b(2P), b(2P+1), b(2P), b(2P+1)], kept in c's 4 rows in
// that layout (c's row 2R+g holds X(R,4g..4g+3)) until the last block; then one ZIP per
// register puts them in c's rows. Each lane is computed with the same operations as the
// SDOT kernel's and tileGeneric's; only where the lanes sit differs.
//
// Go's assembler has no SMMLA and no ZIP on .2D/.4S by register number: hand-encoded
// below (checked against llvm-mc -triple=aarch64 -mattr=+i8mm); the float instructions
// come from neon_arm64.h.
//
// Registers: V0-V15 int32 sums, X(R,P) = V(8R+P) (R the row pair, P the output pair of
// the half); V16-V19 activation row pairs (rows 0-1 inputs 0-7, rows 0-1 inputs 8-15,
// rows 2-3 inputs 0-7, rows 2-3 inputs 8-15: V16, V17, V18, V19), loaded as rows into
// V20-V23; V20-V27 weights of a group of 8 inputs (output pair P in V(20+P); for 4 bits
// V20-V23 the low nibbles, pairs 0, 2, 4, 6, and V24-V27 the high ones, pairs 1, 3, 5, 7);
// V28 the nibble mask (4 bits; set again at each block, as the float part takes V28).
// At a block's end V16-V31 hold the scales and float temporaries.
// R0-R3 activation rows; R4 weights (a group of 8 inputs is 256 bytes at 8 bits, 128 at
// 4: both halves of the panel; R10 the step to the next group after the last load); R5
// weight scales (64 bytes per block; R25 = 64); R6 blocks left; R7 16-input chunks per
// block, R8 whether an 8-input tail follows; R11-R14 each row's activation scale and
// R15-R17, R19 its init at the current block; R20-R23 c's rows.

// SMMLA(d, n, m): SMMLA Vd.4S, Vn.16B, Vm.16B:
// 0 1 0 01110 100 Rm 1 0100 1 Rn Rd = 0x4E80A400.
#define SMMLA(d, n, m) WORD $(0x4E80A400 | ((m)<<16) | ((n)<<5) | (d))

// ZIP1_2D and ZIP2_2D: Vd.2D = {Vn.D[0], Vm.D[0]} and {Vn.D[1], Vm.D[1]};
// ZIP1_4S and ZIP2_4S: Vd.4S = {Vn.S[0], Vm.S[0], Vn.S[1], Vm.S[1]} and the same of
// lanes 2, 3: 0 Q=1 001110 size 0 Rm 0 op 11 10 Rn Rd, size 11 (2D) or 10 (4S), op 0 for
// ZIP1, 1 for ZIP2.
#define ZIP1_2D(d, n, m) WORD $(0x4EC03800 | ((m)<<16) | ((n)<<5) | (d))
#define ZIP2_2D(d, n, m) WORD $(0x4EC07800 | ((m)<<16) | ((n)<<5) | (d))
#define ZIP1_4S(d, n, m) WORD $(0x4E803800 | ((m)<<16) | ((n)<<5) | (d))
#define ZIP2_4S(d, n, m) WORD $(0x4E807800 | ((m)<<16) | ((n)<<5) | (d))

// LOADARGS reads the arguments, sets the row pointers, and stores the bias into c's 4
// rows in the 2×2 layout: rows 0 and 2 hold output pairs 0-3, rows 1 and 3 pairs 4-7,
// each pair as [b(2P), b(2P+1), b(2P), b(2P+1)].
#define LOADARGS \
	TILEARGS \
	MOVD  $64, R25 \
	VLD1  (R24), [V20.S4, V21.S4, V22.S4, V23.S4] \
	ZIP1_2D(24, 20, 20) \
	ZIP2_2D(25, 20, 20) \
	ZIP1_2D(26, 21, 21) \
	ZIP2_2D(27, 21, 21) \
	ZIP1_2D(28, 22, 22) \
	ZIP2_2D(29, 22, 22) \
	ZIP1_2D(30, 23, 23) \
	ZIP2_2D(31, 23, 23) \
	VST1  [V24.S4, V25.S4, V26.S4, V27.S4], (R20) \
	VST1  [V28.S4, V29.S4, V30.S4, V31.S4], (R21) \
	VST1  [V24.S4, V25.S4, V26.S4, V27.S4], (R22) \
	VST1  [V28.S4, V29.S4, V30.S4, V31.S4], (R23)

// ZEROSTART sets the int sums to zero (signed 8-bit weights need no offset).
#define ZEROSTART ZERO_V0_V15

// INITPAIR sets row pair R's int sums (V(8R)..V(8R+7), here VA-VH) to [init(2R),
// init(2R), init(2R+1), init(2R+1)] of the block.
#define INITPAIR(P0, P1, VA, VB, VC, VD, VE, VF, VG, VH, A) \
	VLD1R.P 4(P0), [V16.S4] \
	VLD1R.P 4(P1), [V17.S4] \
	ZIP1_2D(A, 16, 17) \
	VMOV    VA.B16, VB.B16 \
	VMOV    VA.B16, VC.B16 \
	VMOV    VA.B16, VD.B16 \
	VMOV    VA.B16, VE.B16 \
	VMOV    VA.B16, VF.B16 \
	VMOV    VA.B16, VG.B16 \
	VMOV    VA.B16, VH.B16

// INITSTART also sets the nibble mask, which the previous block's float part overwrote.
#define INITSTART \
	INITPAIR(R15, R16, V0, V1, V2, V3, V4, V5, V6, V7, 0) \
	INITPAIR(R17, R19, V8, V9, V10, V11, V12, V13, V14, V15, 8) \
	VMOVI $15, V28.B16

// LOADACT16 loads the next 16 inputs of each row and pairs the rows: V16 rows 0-1 inputs
// 0-7, V17 rows 0-1 inputs 8-15, V18 and V19 the same of rows 2-3.
#define LOADACT16 \
	VLD1.P 16(R0), [V20.B16] \
	VLD1.P 16(R1), [V21.B16] \
	VLD1.P 16(R2), [V22.B16] \
	VLD1.P 16(R3), [V23.B16] \
	ZIP1_2D(16, 20, 21) \
	ZIP2_2D(17, 20, 21) \
	ZIP1_2D(18, 22, 23) \
	ZIP2_2D(19, 22, 23)

// LOADACT8 loads the next 8 inputs of each row into V16 (rows 0-1) and V18 (rows 2-3).
#define LOADACT8 \
	VLD1.P 8(R0), [V20.B8] \
	VLD1.P 8(R1), [V21.B8] \
	VLD1.P 8(R2), [V22.B8] \
	VLD1.P 8(R3), [V23.B8] \
	ZIP1_2D(16, 20, 21) \
	ZIP1_2D(18, 22, 23)

// LOADW8 loads a group's 8-bit weights for this half (128 bytes: output pairs 0-7 into
// V20-V27) and steps over the other half's (R10 = 192).
#define LOADW8 \
	VLD1.P 64(R4), [V20.B16, V21.B16, V22.B16, V23.B16] \
	VLD1.P (R4)(R10), [V24.B16, V25.B16, V26.B16, V27.B16]

// MM8 adds one group of 8 inputs of both row pairs (activations in A0 for rows 0-1, A1
// for rows 2-3) against output pairs 0-7 (V20-V27): 16 SMMLAs.
#define MM8(A0, A1) \
	SMMLA(0, A0, 20) \
	SMMLA(1, A0, 21) \
	SMMLA(2, A0, 22) \
	SMMLA(3, A0, 23) \
	SMMLA(4, A0, 24) \
	SMMLA(5, A0, 25) \
	SMMLA(6, A0, 26) \
	SMMLA(7, A0, 27) \
	SMMLA(8, A1, 20) \
	SMMLA(9, A1, 21) \
	SMMLA(10, A1, 22) \
	SMMLA(11, A1, 23) \
	SMMLA(12, A1, 24) \
	SMMLA(13, A1, 25) \
	SMMLA(14, A1, 26) \
	SMMLA(15, A1, 27)

// LOADW4 loads a group's 4-bit weights for this half (64 bytes) into V20-V23, steps
// over the other half's (R10 = 128) and splits the nibbles: the high ones (output pairs
// 1, 3, 5, 7) to V24-V27, the low ones (pairs 0, 2, 4, 6) kept in V20-V23.
#define LOADW4 \
	VLD1.P (R4)(R10), [V20.B16, V21.B16, V22.B16, V23.B16] \
	VUSHR $4, V20.B16, V24.B16 \
	VUSHR $4, V21.B16, V25.B16 \
	VUSHR $4, V22.B16, V26.B16 \
	VUSHR $4, V23.B16, V27.B16 \
	VAND  V28.B16, V20.B16, V20.B16 \
	VAND  V28.B16, V21.B16, V21.B16 \
	VAND  V28.B16, V22.B16, V22.B16 \
	VAND  V28.B16, V23.B16, V23.B16

// MM4 is MM8 on LOADW4's registers: output pair 2t in V(20+t), 2t+1 in V(24+t).
#define MM4(A0, A1) \
	SMMLA(0, A0, 20) \
	SMMLA(1, A0, 24) \
	SMMLA(2, A0, 21) \
	SMMLA(3, A0, 25) \
	SMMLA(4, A0, 22) \
	SMMLA(5, A0, 26) \
	SMMLA(6, A0, 23) \
	SMMLA(7, A0, 27) \
	SMMLA(8, A1, 20) \
	SMMLA(9, A1, 24) \
	SMMLA(10, A1, 21) \
	SMMLA(11, A1, 25) \
	SMMLA(12, A1, 22) \
	SMMLA(13, A1, 26) \
	SMMLA(14, A1, 23) \
	SMMLA(15, A1, 27)

// GROUPSCALE adds 4 int sum registers (X(R,P) for 4 output pairs: V(D)..V(D+3)),
// scaled, to their floats in c at CPTR: V(SA) holds the row pair's activation scales,
// V(SW)..V(SW+3) the output pairs' weight scales, both in the 2×2 layout.
#define GROUPSCALE(SA, SW, D, CPTR) \
	FMUL_V(28, SA, SW) \
	FMUL_V(29, SA, (SW)+1) \
	FMUL_V(30, SA, (SW)+2) \
	FMUL_V(31, SA, (SW)+3) \
	SCVTF_V(D, D) \
	SCVTF_V((D)+1, (D)+1) \
	SCVTF_V((D)+2, (D)+2) \
	SCVTF_V((D)+3, (D)+3) \
	FMUL_V(D, D, 28) \
	FMUL_V((D)+1, (D)+1, 29) \
	FMUL_V((D)+2, (D)+2, 30) \
	FMUL_V((D)+3, (D)+3, 31) \
	VLD1    (CPTR), [V28.S4, V29.S4, V30.S4, V31.S4] \
	FADD_V(28, 28, D) \
	FADD_V(29, 29, (D)+1) \
	FADD_V(30, 30, (D)+2) \
	FADD_V(31, 31, (D)+3) \
	VST1    [V28.S4, V29.S4, V30.S4, V31.S4], (CPTR)

// BLOCKEND converts the block's 16 weight scales to the 2×2 layout (output pair P in
// V(16+P): the ZIP on 32-bit lanes doubles each float16 pair before FCVTL), pairs the
// rows' activation scales (V26 rows 0-1, V27 rows 2-3) and applies them.
#define BLOCKEND \
	VLD1.P  (R5)(R25), [V30.B16, V31.B16] \
	ZIP1_4S(29, 30, 30) \
	FCVTL_V(16, 29) \
	FCVTL2_V(17, 29) \
	ZIP2_4S(29, 30, 30) \
	FCVTL_V(18, 29) \
	FCVTL2_V(19, 29) \
	ZIP1_4S(29, 31, 31) \
	FCVTL_V(20, 29) \
	FCVTL2_V(21, 29) \
	ZIP2_4S(29, 31, 31) \
	FCVTL_V(22, 29) \
	FCVTL2_V(23, 29) \
	VLD1R.P 4(R11), [V24.S4] \
	VLD1R.P 4(R12), [V25.S4] \
	ZIP1_2D(26, 24, 25) \
	VLD1R.P 4(R13), [V24.S4] \
	VLD1R.P 4(R14), [V25.S4] \
	ZIP1_2D(27, 24, 25) \
	GROUPSCALE(26, 16, 0, R20) \
	GROUPSCALE(26, 20, 4, R21) \
	GROUPSCALE(27, 16, 8, R22) \
	GROUPSCALE(27, 20, 12, R23)

// UNPAIR puts the float sums of a row pair, in c's rows CA (pairs 0-3) and CB (pairs
// 4-7) in the 2×2 layout, back into rows: the even row's outputs 4q..4q+3 are the low
// halves of pairs 2q and 2q+1 (ZIP1), the odd row's their high halves (ZIP2).
#define UNPAIR(CA, CB) \
	VLD1 (CA), [V0.S4, V1.S4, V2.S4, V3.S4] \
	VLD1 (CB), [V4.S4, V5.S4, V6.S4, V7.S4] \
	ZIP1_2D(16, 0, 1) \
	ZIP1_2D(17, 2, 3) \
	ZIP1_2D(18, 4, 5) \
	ZIP1_2D(19, 6, 7) \
	ZIP2_2D(20, 0, 1) \
	ZIP2_2D(21, 2, 3) \
	ZIP2_2D(22, 4, 5) \
	ZIP2_2D(23, 6, 7) \
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (CA) \
	VST1 [V20.S4, V21.S4, V22.S4, V23.S4], (CB)

// func tileMM8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)
// init is not read (signed weights need no offset).
TEXT ·tileMM8(SB), NOSPLIT, $0-88
	LOADARGS
	MOVD $192, R10

mm8block:
	ZEROSTART
	CBZ  R7, mm8tail
	MOVD R7, R9

mm8chunk:
	LOADACT16
	LOADW8
	MM8(16, 18)
	LOADW8
	MM8(17, 19)
	SUB  $1, R9
	CBNZ R9, mm8chunk

mm8tail:
	CBZ R8, mm8end
	LOADACT8
	LOADW8
	MM8(16, 18)

mm8end:
	BLOCKEND
	SUB  $1, R6
	CBNZ R6, mm8block
	UNPAIR(R20, R21)
	UNPAIR(R22, R23)
	RET

// func tileMM4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)
TEXT ·tileMM4(SB), NOSPLIT, $0-88
	LOADARGS
	MOVD $128, R10

mm4block:
	INITSTART
	CBZ  R7, mm4tail
	MOVD R7, R9

mm4chunk:
	LOADACT16
	LOADW4
	MM4(16, 18)
	LOADW4
	MM4(17, 19)
	SUB  $1, R9
	CBNZ R9, mm4chunk

mm4tail:
	CBZ R8, mm4end
	LOADACT8
	LOADW4
	MM4(16, 18)

mm4end:
	BLOCKEND
	SUB  $1, R6
	CBNZ R6, mm4block
	UNPAIR(R20, R21)
	UNPAIR(R22, R23)
	RET
