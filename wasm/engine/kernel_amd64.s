//go:build amd64 && !purego

#include "textflag.h"

// The AVX-512 VNNI tile kernels: c[4][32] (float32, row-major) for 4 quantized activation
// rows × one 32-output weight panel (see repack.go for the layout), computing exactly
// what tileGeneric computes:
//
//	c[r][j] = bias[j]
//	for each block b: d = Σ_k a[r][k]·w[j][k]   (int32, exact)
//	                  c[r][j] += float32(d) · (ascale[r][b] · wscale[b][j])
//
// VPDPBUSD multiplies unsigned by signed bytes, so the weights are stored plus an offset
// (128 or 8) and each block's int32 sums start from init[r][b] = -offset·Σ_k a[r][k],
// which removes it exactly. The float part uses separate multiplies and adds (no FMA),
// in the portable kernel's order, so both kernels give identical bits.
//
// Registers: Z0-Z7 int32 sums (row r: Z(2r) outputs 0-15, Z(2r+1) outputs 16-31),
// Z16-Z23 float sums, Z24-Z29 weights and broadcast activations, Z31 the nibble mask.
// SI, R13: activation rows 0 and 2 at the current k (rows 1, 3 at +BX); R8, R9: init and
// scale of row 0 at the current block (rows at +R10); DI weights; R11 weight scales.

// ROWSCALE folds block sums of row r (int sums ZA, ZB) into its float sums FA, FB.
// Z24, Z25 hold the block's 32 weight scales; SCALE is the row's activation scale address.
#define ROWSCALE(SCALE, ZA, ZB, FA, FB) \
	VBROADCASTSS SCALE, Z26 \
	VMULPS       Z24, Z26, Z27 \
	VMULPS       Z25, Z26, Z28 \
	VCVTDQ2PS    ZA, ZA \
	VCVTDQ2PS    ZB, ZB \
	VMULPS       Z27, ZA, ZA \
	VMULPS       Z28, ZB, ZB \
	VADDPS       ZA, FA, FA \
	VADDPS       ZB, FB, FB

// BLOCKSTART sets the int sums of all rows to their blocks' init values.
#define BLOCKSTART \
	VPBROADCASTD (R8), Z0 \
	VMOVDQA32    Z0, Z1 \
	VPBROADCASTD (R8)(R10*1), Z2 \
	VMOVDQA32    Z2, Z3 \
	LEAQ         (R8)(R10*2), R14 \
	VPBROADCASTD (R14), Z4 \
	VMOVDQA32    Z4, Z5 \
	VPBROADCASTD (R14)(R10*1), Z6 \
	VMOVDQA32    Z6, Z7

// BLOCKEND applies the block's scales to all rows and moves to the next block.
#define BLOCKEND \
	VCVTPH2PS (R11), Z24 \
	VCVTPH2PS 32(R11), Z25 \
	ADDQ      $64, R11 \
	ROWSCALE((R9), Z0, Z1, Z16, Z17) \
	ROWSCALE((R9)(R10*1), Z2, Z3, Z18, Z19) \
	LEAQ      (R9)(R10*2), R14 \
	ROWSCALE((R14), Z4, Z5, Z20, Z21) \
	ROWSCALE((R14)(R10*1), Z6, Z7, Z22, Z23) \
	ADDQ      $4, R8 \
	ADDQ      $4, R9

#define LOADARGS \
	MOVQ a+0(FP), SI \
	MOVQ lda+8(FP), BX \
	MOVQ init+16(FP), R8 \
	MOVQ scale+24(FP), R9 \
	MOVQ lds+32(FP), R10 \
	MOVQ w+40(FP), DI \
	MOVQ ws+48(FP), R11 \
	MOVQ nb+56(FP), CX \
	MOVQ groups+64(FP), DX \
	MOVQ c+72(FP), R12 \
	MOVQ bias+80(FP), AX \
	LEAQ (SI)(BX*2), R13 \
	VMOVUPS (AX), Z16 \
	VMOVUPS 64(AX), Z17 \
	VMOVAPS Z16, Z18 \
	VMOVAPS Z17, Z19 \
	VMOVAPS Z16, Z20 \
	VMOVAPS Z17, Z21 \
	VMOVAPS Z16, Z22 \
	VMOVAPS Z17, Z23

#define STORE \
	VMOVUPS Z16, (R12) \
	VMOVUPS Z17, 64(R12) \
	VMOVUPS Z18, 128(R12) \
	VMOVUPS Z19, 192(R12) \
	VMOVUPS Z20, 256(R12) \
	VMOVUPS Z21, 320(R12) \
	VMOVUPS Z22, 384(R12) \
	VMOVUPS Z23, 448(R12) \
	VZEROUPPER

// DOT4 adds 4 inputs of all 4 rows (activation bytes at OFF from each row pointer)
// against weight registers WA (outputs 0-15) and WB (outputs 16-31).
#define DOT4(OFF, WA, WB) \
	VPBROADCASTD OFF(SI), Z26 \
	VPDPBUSD     Z26, WA, Z0 \
	VPDPBUSD     Z26, WB, Z1 \
	VPBROADCASTD OFF(SI)(BX*1), Z27 \
	VPDPBUSD     Z27, WA, Z2 \
	VPDPBUSD     Z27, WB, Z3 \
	VPBROADCASTD OFF(R13), Z28 \
	VPDPBUSD     Z28, WA, Z4 \
	VPDPBUSD     Z28, WB, Z5 \
	VPBROADCASTD OFF(R13)(BX*1), Z29 \
	VPDPBUSD     Z29, WA, Z6 \
	VPDPBUSD     Z29, WB, Z7

// func tileVNNI8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)
// groups = block/4.
TEXT ·tileVNNI8(SB), NOSPLIT, $0-88
	LOADARGS

block8:
	BLOCKSTART
	MOVQ DX, AX

k8:
	VMOVDQU32 (DI), Z24
	VMOVDQU32 64(DI), Z25
	DOT4(0, Z24, Z25)
	ADDQ $128, DI
	ADDQ $4, SI
	ADDQ $4, R13
	DECQ AX
	JNZ  k8

	BLOCKEND
	DECQ CX
	JNZ  block8

	STORE
	RET

// func tileVNNI4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)
// groups = block/8.
TEXT ·tileVNNI4(SB), NOSPLIT, $0-88
	LOADARGS
	MOVL         $0x0F0F0F0F, AX
	VPBROADCASTD AX, Z31

block4:
	BLOCKSTART
	MOVQ DX, AX

k4:
	VMOVDQU32 (DI), Z24
	VMOVDQU32 64(DI), Z25
	VPSRLW    $4, Z24, Z30
	VPSRLW    $4, Z25, Z9
	VPANDD    Z31, Z24, Z24
	VPANDD    Z31, Z25, Z25
	VPANDD    Z31, Z30, Z30
	VPANDD    Z31, Z9, Z9
	DOT4(0, Z24, Z25)
	DOT4(4, Z30, Z9)
	ADDQ $128, DI
	ADDQ $8, SI
	ADDQ $8, R13
	DECQ AX
	JNZ  k4

	BLOCKEND
	DECQ CX
	JNZ  block4

	STORE
	RET
