//go:build amd64 && !purego

#include "textflag.h"

// The AMX int8 tile kernel: 16 outputs (half a panel) for up to 16 activation rows,
// computing exactly what tileGeneric and the VNNI kernel compute: per block, the exact
// int32 dot products, times ascale·wscale in float32, added to c in block order.
//
// TDPBSSD multiplies a tile of signed bytes (rows × kstep inputs of the activations) by a
// tile of signed bytes (kstep/4 groups of 4 inputs × 16 outputs: the panel layout of
// repack, read with its 128-byte stride, holding the weights as they are, without the
// VNNI kernel's +128), so one instruction does rows×16×kstep multiply-adds and no
// correction term is needed. After each block the int32 tile goes to scratch and the
// float part runs in AVX-512 with the 16 rows' sums held in Z0-Z15 across blocks, so a
// block costs five vector instructions per row on top of the tile's own work.
//
// Go's assembler has no AMX mnemonics, so the instructions are spelled as bytes (VEX.128
// 0F38 forms; only AX, CX, DX, BX, SI, DI appear in them, so no VEX register extension
// bits are needed).

// LDTILECFG (AX)
#define LDTILECFG_AX BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0x00
// TILERELEASE
#define TILERELEASE BYTE $0xC4; BYTE $0xE2; BYTE $0x78; BYTE $0x49; BYTE $0xC0
// TILEZERO tmm0, tmm3
#define TILEZERO_T0 BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xC0
#define TILEZERO_T3 BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x49; BYTE $0xD8
// TILELOADD tmm1, (SI)(BX*1): the activations, lda apart
#define TILELOADD_T1_SI_BX BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x4B; BYTE $0x0C; BYTE $0x1E
// TILELOADD tmm2, (DI)(DX*1): the weights, 128 bytes apart
#define TILELOADD_T2_DI_DX BYTE $0xC4; BYTE $0xE2; BYTE $0x7B; BYTE $0x4B; BYTE $0x14; BYTE $0x17
// TDPBSSD tmm0, tmm1, tmm2 and TDPBSSD tmm3, tmm1, tmm2
#define TDPBSSD_T0_T1_T2 BYTE $0xC4; BYTE $0xE2; BYTE $0x6B; BYTE $0x5E; BYTE $0xC1
#define TDPBSSD_T3_T1_T2 BYTE $0xC4; BYTE $0xE2; BYTE $0x6B; BYTE $0x5E; BYTE $0xD9
// TILESTORED (AX)(CX*1), tmm0 and TILESTORED 1024(AX)(CX*1), tmm3
#define TILESTORED_AX_CX_T0 BYTE $0xC4; BYTE $0xE2; BYTE $0x7A; BYTE $0x4B; BYTE $0x04; BYTE $0x08
#define TILESTORED_1024_AX_CX_T3 BYTE $0xC4; BYTE $0xE2; BYTE $0x7A; BYTE $0x4B; BYTE $0x9C; BYTE $0x08; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00

// ROW adds row r's block sum (scratch at AX + 64r) times its scale into ACC; R13 walks
// the rows' activation scales (lds apart), Z16 holds the block's 16 weight scales; DX
// counts the rows left, and at zero the epilogue jumps to DONE.
#define ROW(OFF, r, ACC, DONE) \
	VBROADCASTSS (R13), Z17 \
	VMULPS       Z16, Z17, Z17 \
	VCVTDQ2PS    (OFF+r*64)(AX), Z18 \
	VMULPS       Z17, Z18, Z18 \
	VADDPS       Z18, ACC, ACC \
	ADDQ         R10, R13 \
	DECQ         DX \
	JZ           DONE

// EPILOGUE folds the block in scratch (at AX+OFF) into Z0-Z15 (its weight scales at R11, its
// activation scales at R9) and moves R9 and R11 to the next block; DX is 128 after it.
#define EPILOGUE(OFF, DONE) \
	VCVTPH2PS (R11), Z16 \
	MOVQ      R9, R13 \
	MOVQ      rows+104(FP), DX \
	ROW(OFF, 0, Z0, DONE) \
	ROW(OFF, 1, Z1, DONE) \
	ROW(OFF, 2, Z2, DONE) \
	ROW(OFF, 3, Z3, DONE) \
	ROW(OFF, 4, Z4, DONE) \
	ROW(OFF, 5, Z5, DONE) \
	ROW(OFF, 6, Z6, DONE) \
	ROW(OFF, 7, Z7, DONE) \
	ROW(OFF, 8, Z8, DONE) \
	ROW(OFF, 9, Z9, DONE) \
	ROW(OFF, 10, Z10, DONE) \
	ROW(OFF, 11, Z11, DONE) \
	ROW(OFF, 12, Z12, DONE) \
	ROW(OFF, 13, Z13, DONE) \
	ROW(OFF, 14, Z14, DONE) \
	ROW(OFF, 15, Z15, DONE) \
DONE: \
	MOVQ $128, DX \
	ADDQ $64, R11 \
	ADDQ $4, R9

// STEPS0 and STEPS3 compute one block into tmm0 or tmm3 (SI, DI advance to the next
// block).
#define STEPS0(LOOP) \
	TILEZERO_T0 \
	MOVQ steps+56(FP), R13 \
LOOP: \
	TILELOADD_T1_SI_BX \
	TILELOADD_T2_DI_DX \
	TDPBSSD_T0_T1_T2 \
	ADDQ R12, SI \
	ADDQ R14, DI \
	DECQ R13 \
	JNZ  LOOP

#define STEPS3(LOOP) \
	TILEZERO_T3 \
	MOVQ steps+56(FP), R13 \
LOOP: \
	TILELOADD_T1_SI_BX \
	TILELOADD_T2_DI_DX \
	TDPBSSD_T3_T1_T2 \
	ADDQ R12, SI \
	ADDQ R14, DI \
	DECQ R13 \
	JNZ  LOOP

// func tileAMX8(a *int8, lda int, scale *float32, lds int, w *byte, ws *byte, nb int, steps int, c *float32, bias *float32, scratch *int32, cfg *byte, kstep int, rows int, halves int, wstep int, sstep int)
// Each block is steps steps of kstep inputs (32 or 64) for rows rows (1 to 16), as the
// 64-byte tile configuration cfg says; w and ws are the first half panel's weights and
// scales, and the call sweeps halves half panels (two per panel: the next panel's are
// wstep and sstep bytes on); c holds 16×32 floats per panel, rows 32 floats apart;
// scratch holds 2×16×16 int32. The tile configuration is loaded once per call: loading
// it (and releasing the tiles) costs about 150 ns, which per half panel was about a tenth
// of the multiply's time.
TEXT ·tileAMX8(SB), NOSPLIT, $0-136
	MOVQ cfg+88(FP), AX
	LDTILECFG_AX

half:
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), BX
	MOVQ scale+16(FP), R9
	MOVQ lds+24(FP), R10
	MOVQ w+32(FP), DI
	MOVQ ws+40(FP), R11
	MOVQ $128, DX
	MOVQ kstep+96(FP), R12 // activation bytes per step
	MOVQ R12, R14
	SHLQ $5, R14           // weight bytes per step: kstep/4 groups of 128
	MOVQ scratch+80(FP), AX
	MOVQ $64, CX

	// Every row starts from the bias.
	MOVQ      bias+72(FP), R8
	VMOVUPS   (R8), Z0
	VMOVAPS   Z0, Z1
	VMOVAPS   Z0, Z2
	VMOVAPS   Z0, Z3
	VMOVAPS   Z0, Z4
	VMOVAPS   Z0, Z5
	VMOVAPS   Z0, Z6
	VMOVAPS   Z0, Z7
	VMOVAPS   Z0, Z8
	VMOVAPS   Z0, Z9
	VMOVAPS   Z0, Z10
	VMOVAPS   Z0, Z11
	VMOVAPS   Z0, Z12
	VMOVAPS   Z0, Z13
	VMOVAPS   Z0, Z14
	VMOVAPS   Z0, Z15
	MOVQ      nb+48(FP), R8

	// Two blocks are in flight: while one block's tile multiplies run (in tmm0 or tmm3),
	// the epilogue reads the other's sums from scratch (at 0 or 1024). One accumulator
	// tile made every block wait for the last one's store and reload.
	STEPS0(step0)
	TILESTORED_AX_CX_T0
	DECQ R8
	JZ   last0

pair:
	STEPS3(step3)
	EPILOGUE(0, done0)
	TILESTORED_1024_AX_CX_T3
	DECQ R8
	JZ   last3
	STEPS0(step0b)
	EPILOGUE(1024, done3)
	TILESTORED_AX_CX_T0
	DECQ R8
	JNZ  pair

last0:
	EPILOGUE(0, lastdone0)
	JMP out

last3:
	EPILOGUE(1024, lastdone3)

out:
	MOVQ    c+64(FP), R8
	VMOVUPS Z0, (R8)
	VMOVUPS Z1, 128(R8)
	VMOVUPS Z2, 256(R8)
	VMOVUPS Z3, 384(R8)
	VMOVUPS Z4, 512(R8)
	VMOVUPS Z5, 640(R8)
	VMOVUPS Z6, 768(R8)
	VMOVUPS Z7, 896(R8)
	VMOVUPS Z8, 1024(R8)
	VMOVUPS Z9, 1152(R8)
	VMOVUPS Z10, 1280(R8)
	VMOVUPS Z11, 1408(R8)
	VMOVUPS Z12, 1536(R8)
	VMOVUPS Z13, 1664(R8)
	VMOVUPS Z14, 1792(R8)
	VMOVUPS Z15, 1920(R8)

	// Next half panel: the other half of this panel (16 outputs on), or the next panel.
	DECQ  halves+112(FP)
	JZ    fin
	MOVQ  halves+112(FP), AX
	TESTQ $1, AX
	JZ    nextpanel
	ADDQ  $64, w+32(FP)
	ADDQ  $32, ws+40(FP)
	ADDQ  $64, c+64(FP)
	ADDQ  $64, bias+72(FP)
	JMP   half

nextpanel:
	MOVQ wstep+120(FP), AX
	SUBQ $64, AX
	ADDQ AX, w+32(FP)
	MOVQ sstep+128(FP), AX
	SUBQ $32, AX
	ADDQ AX, ws+40(FP)
	ADDQ $1984, c+64(FP) // from the second half's column 16 to the next panel's 16×32 floats
	ADDQ $64, bias+72(FP)
	JMP  half

fin:
	TILERELEASE
	VZEROUPPER
	RET
