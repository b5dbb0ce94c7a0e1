//go:build amd64 && !purego

#include "textflag.h"

// The AMX int8 tile kernel: c[16][32] (float32, row-major) for 16 activation rows × one
// 32-output weight panel, computing exactly what tileGeneric and the VNNI kernel compute
// (see kernel_amd64.s): per block, the exact int32 dot products, plus init (the weights'
// +128 taken back out), times ascale·wscale in float32, added to c in block order.
//
// TDPBSUD multiplies a tile of signed bytes (16 activation rows × 32 inputs) by a tile of
// unsigned bytes (8 groups of 4 inputs × 16 outputs, the VNNI panel layout read with a
// 128-byte stride), so the repacked weights serve as they are: one instruction does
// 16×16×32 multiply-adds. The int32 tiles are stored after each block and the float
// epilogue runs in AVX-512, row by row, in the portable kernel's order.
//
// Go's assembler has no AMX mnemonics, so the six instructions are spelled as bytes
// (VEX.128 0F38 forms; only AX, CX, DX, BX, SI, DI appear in them, so no VEX register
// extension bits are needed).

// LDTILECFG (AX)
#define LDTILECFG_AX BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0x00
// TILERELEASE
#define TILERELEASE BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0xC0
// TILEZERO tmm0, tmm1
#define TILEZERO_T0 BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xC0
#define TILEZERO_T1 BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xC8
// TILELOADD tmm2, (SI)(BX*1): the activations, lda apart
#define TILELOADD_T2_SI_BX BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x4B; BYTE $0x14; BYTE $0x1E
// TILELOADD tmm3, (DI)(DX*1): weights of outputs 0-15, 128 bytes apart
#define TILELOADD_T3_DI_DX BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x4B; BYTE $0x1C; BYTE $0x17
// TILELOADD tmm4, (AX)(DX*1): weights of outputs 16-31
#define TILELOADD_T4_AX_DX BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x4B; BYTE $0x24; BYTE $0x10
// TDPBSUD tmm0, tmm2, tmm3 and TDPBSUD tmm1, tmm2, tmm4
#define TDPBSUD_T0_T2_T3 BYTE $0xC4; BYTE $0xE2; BYTE $0x62; BYTE $0x5E; BYTE $0xC2
#define TDPBSUD_T1_T2_T4 BYTE $0xC4; BYTE $0xE2; BYTE $0x5A; BYTE $0x5E; BYTE $0xCA
// TILESTORED (AX)(CX*1), tmm0 and tmm1
#define TILESTORED_AX_CX_T0 BYTE $0xC4; BYTE $0xE2; BYTE $0x7A; BYTE $0x4B; BYTE $0x04; BYTE $0x08
#define TILESTORED_AX_CX_T1 BYTE $0xC4; BYTE $0xE2; BYTE $0x7A; BYTE $0x4B; BYTE $0x0C; BYTE $0x08

// func tileAMX8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, steps int, c *float32, bias *float32, scratch *int32, cfg *byte, kstep int, rows int)
// Each block is steps steps of kstep inputs (32 or 64) for rows rows (1 to 16), as the
// 64-byte tile configuration cfg says; scratch holds 2×16×16 int32.
TEXT ·tileAMX8(SB), NOSPLIT, $0-120
	MOVQ cfg+96(FP), AX
	LDTILECFG_AX
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), BX
	MOVQ init+16(FP), R8
	MOVQ scale+24(FP), R9
	MOVQ lds+32(FP), R10
	MOVQ w+40(FP), DI
	MOVQ ws+48(FP), R11

	// c starts from the bias in every row.
	MOVQ    bias+80(FP), AX
	VMOVUPS (AX), Z30
	VMOVUPS 64(AX), Z31
	MOVQ    c+72(FP), CX
	MOVQ    $16, DX

biasrow:
	VMOVUPS Z30, (CX)
	VMOVUPS Z31, 64(CX)
	ADDQ    $128, CX
	DECQ    DX
	JNZ     biasrow

block:
	TILEZERO_T0
	TILEZERO_T1
	MOVQ $128, DX
	MOVQ kstep+104(FP), R12 // activation bytes per step
	MOVQ R12, R14
	SHLQ $5, R14            // weight bytes per step: kstep/4 groups of 128
	LEAQ 64(DI), AX
	MOVQ steps+64(FP), R13

step:
	TILELOADD_T2_SI_BX
	TILELOADD_T3_DI_DX
	TILELOADD_T4_AX_DX
	TDPBSUD_T0_T2_T3
	TDPBSUD_T1_T2_T4
	ADDQ R12, SI
	ADDQ R14, DI
	ADDQ R14, AX
	DECQ R13
	JNZ  step

	// The block's int32 sums to scratch: outputs 0-15 of each row, then 16-31.
	MOVQ scratch+88(FP), AX
	MOVQ $64, CX
	TILESTORED_AX_CX_T0
	ADDQ $1024, AX
	TILESTORED_AX_CX_T1
	SUBQ $1024, AX

	// The block's 32 weight scales.
	VCVTPH2PS (R11), Z24
	VCVTPH2PS 32(R11), Z25
	ADDQ      $64, R11

	// Row by row: (sum + init) as float32, times ascale·wscale, added to c.
	MOVQ c+72(FP), CX
	MOVQ R8, R14
	MOVQ R9, R13
	MOVQ rows+112(FP), DX

row:
	VMOVDQU32    (AX), Z0
	VMOVDQU32    1024(AX), Z1
	VPBROADCASTD (R14), Z2
	VPADDD       Z2, Z0, Z0
	VPADDD       Z2, Z1, Z1
	VBROADCASTSS (R13), Z26
	VMULPS       Z24, Z26, Z27
	VMULPS       Z25, Z26, Z28
	VCVTDQ2PS    Z0, Z0
	VCVTDQ2PS    Z1, Z1
	VMULPS       Z27, Z0, Z0
	VMULPS       Z28, Z1, Z1
	VADDPS       (CX), Z0, Z0
	VADDPS       64(CX), Z1, Z1
	VMOVUPS      Z0, (CX)
	VMOVUPS      Z1, 64(CX)
	ADDQ         $64, AX
	ADDQ         $128, CX
	ADDQ         R10, R14
	ADDQ         R10, R13
	DECQ         DX
	JNZ          row

	ADDQ $4, R8
	ADDQ $4, R9
	DECQ nb+56(FP)
	JNZ  block

	TILERELEASE
	VZEROUPPER
	RET
