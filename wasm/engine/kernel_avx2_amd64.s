//go:build amd64 && !purego

#include "textflag.h"

// The AVX2 and AVX-VNNI tile kernels, for CPUs without AVX-512 (AMD Zen 2-4 desktops and
// laptops, Intel client CPUs since Haswell; AVX-VNNI since Alder Lake). Each call computes
// half a tile: 4 activation rows × 16 outputs (outputs 0-15 or 16-31 of a panel, the
// caller passes pointers offset to the half), with 16 YMM registers too few for the
// whole 4 × 32 tile's sums. The float sums live in c (rows 32 floats apart), which starts
// as the bias; per block, exactly as tileGeneric:
//
//	d = Σ_k a[r][k]·w[j][k]   (int32, exact)
//	c[r][j] += float32(d) · (ascale[r][b] · wscale[b][j])
//
// with separate multiplies and adds (no FMA), so the results are bit-identical to the
// portable kernel's.
//
// The integer products, per group of 4 inputs (one 32-bit lane per output):
//   - AVX2, 8-bit: VPMADDUBSW multiplies unsigned by signed bytes into int16 pair sums,
//     which saturate at 32767: weights q+128 (to 255) times activations to ±127 would.
//     So the weights stay signed (repack's signed layout) and each activation's sign moves
//     onto them: |a| (VPABSB) times sign(a)·w (VPSIGNB), at most 127·127·2 = 32258 per
//     pair, exact. VPMADDWD by ones adds the pairs into int32. Weights of -128 would
//     overflow VPSIGNB; a layer holding one stays on the portable kernel (repack).
//   - AVX2, 4-bit: the weights are nibbles q+8 (0-15), so unsigned × signed at most
//     15·127·2 = 3810 per pair; the two nibble halves' int16 sums are added before one
//     VPMADDWD. The block's sums start from init = -8·Σa, as in the AVX-512 kernel.
//   - AVX-VNNI: VPDPBUSD on YMM registers (VEX-encoded, hand-assembled below: Go's
//     assembler emits only the EVEX form, which needs AVX-512), exactly as the AVX-512
//     VNNI kernel on 256 bits: weights q+128 or q+8, sums from init.
//
// Registers: Y0-Y7 int32 sums (row r: Y(2r) outputs 0-7, Y(2r+1) outputs 8-15), Y8-Y11
// weights, Y12-Y15 activations and temporaries. SI, R13: activation rows 0 and 2 (rows 1,
// 3 at +BX); R8, R9: init and scale of row 0 at the current block (rows R10 apart); DI
// weights (a group of inputs is 128 bytes: both halves of the panel); R11 weight scales
// (64 bytes per block); R12 c.

// VPDPBUSD_Y(dst, src1, src2): dst += Σ4 unsigned bytes of Y(src1) × signed bytes of
// Y(src2), per 32-bit lane; VEX.256.66.0F38.W0 50 /r, operands given as register numbers.
#define VPDPBUSD_Y(dst, src1, src2) \
	BYTE $0xC4; \
	BYTE $(0x42 | ((1-((dst)>>3))<<7) | ((1-((src2)>>3))<<5)); \
	BYTE $(0x05 | ((15-(src1))<<3)); \
	BYTE $0x50; \
	BYTE $(0xC0 | (((dst)&7)<<3) | ((src2)&7))

DATA ones16<>+0(SB)/8, $0x0001000100010001
DATA ones16<>+8(SB)/8, $0x0001000100010001
DATA ones16<>+16(SB)/8, $0x0001000100010001
DATA ones16<>+24(SB)/8, $0x0001000100010001
GLOBL ones16<>(SB), RODATA|NOPTR, $32

DATA nibbles<>+0(SB)/8, $0x0F0F0F0F0F0F0F0F
DATA nibbles<>+8(SB)/8, $0x0F0F0F0F0F0F0F0F
DATA nibbles<>+16(SB)/8, $0x0F0F0F0F0F0F0F0F
DATA nibbles<>+24(SB)/8, $0x0F0F0F0F0F0F0F0F
GLOBL nibbles<>(SB), RODATA|NOPTR, $32

// LOADARGS reads the arguments and sets c's 4 rows to the bias.
#define LOADARGS \
	MOVQ    a+0(FP), SI \
	MOVQ    lda+8(FP), BX \
	MOVQ    init+16(FP), R8 \
	MOVQ    scale+24(FP), R9 \
	MOVQ    lds+32(FP), R10 \
	MOVQ    w+40(FP), DI \
	MOVQ    ws+48(FP), R11 \
	MOVQ    nb+56(FP), CX \
	MOVQ    groups+64(FP), DX \
	MOVQ    c+72(FP), R12 \
	MOVQ    bias+80(FP), AX \
	LEAQ    (SI)(BX*2), R13 \
	VMOVUPS (AX), Y8 \
	VMOVUPS 32(AX), Y9 \
	VMOVUPS Y8, (R12) \
	VMOVUPS Y9, 32(R12) \
	VMOVUPS Y8, 128(R12) \
	VMOVUPS Y9, 160(R12) \
	VMOVUPS Y8, 256(R12) \
	VMOVUPS Y9, 288(R12) \
	VMOVUPS Y8, 384(R12) \
	VMOVUPS Y9, 416(R12)

// INITSTART sets each row's int sums to its block's init value; ZEROSTART to zero.
#define INITSTART \
	VPBROADCASTD (R8), Y0 \
	VMOVDQA      Y0, Y1 \
	VPBROADCASTD (R8)(R10*1), Y2 \
	VMOVDQA      Y2, Y3 \
	LEAQ         (R8)(R10*2), R14 \
	VPBROADCASTD (R14), Y4 \
	VMOVDQA      Y4, Y5 \
	VPBROADCASTD (R14)(R10*1), Y6 \
	VMOVDQA      Y6, Y7

#define ZEROSTART \
	VPXOR Y0, Y0, Y0 \
	VPXOR Y1, Y1, Y1 \
	VPXOR Y2, Y2, Y2 \
	VPXOR Y3, Y3, Y3 \
	VPXOR Y4, Y4, Y4 \
	VPXOR Y5, Y5, Y5 \
	VPXOR Y6, Y6, Y6 \
	VPXOR Y7, Y7, Y7

// ROWSCALE adds row r's block sums (YA, YB), scaled, to its floats in c at OFF(R12).
// Y8, Y9 hold the block's 16 weight scales; SCALE is the row's activation scale.
#define ROWSCALE(SCALE, YA, YB, OFF) \
	VBROADCASTSS SCALE, Y10 \
	VMULPS       Y8, Y10, Y11 \
	VMULPS       Y9, Y10, Y12 \
	VCVTDQ2PS    YA, YA \
	VCVTDQ2PS    YB, YB \
	VMULPS       Y11, YA, YA \
	VMULPS       Y12, YB, YB \
	VADDPS       OFF(R12), YA, YA \
	VADDPS       OFF+32(R12), YB, YB \
	VMOVUPS      YA, OFF(R12) \
	VMOVUPS      YB, OFF+32(R12)

// BLOCKEND applies the block's scales to all rows and moves to the next block.
#define BLOCKEND \
	VCVTPH2PS (R11), Y8 \
	VCVTPH2PS 16(R11), Y9 \
	ADDQ      $64, R11 \
	ROWSCALE((R9), Y0, Y1, 0) \
	ROWSCALE((R9)(R10*1), Y2, Y3, 128) \
	LEAQ      (R9)(R10*2), R14 \
	ROWSCALE((R14), Y4, Y5, 256) \
	ROWSCALE((R14)(R10*1), Y6, Y7, 384) \
	ADDQ      $4, R8 \
	ADDQ      $4, R9

// ROW8 adds 4 inputs of one row (activation bytes at PTR) against the weights in Y8, Y9
// (AVX2, signed weights).
#define ROW8(PTR, ACC0, ACC1) \
	VPBROADCASTD PTR, Y12 \
	VPABSB       Y12, Y13 \
	VPSIGNB      Y12, Y8, Y14 \
	VPSIGNB      Y12, Y9, Y15 \
	VPMADDUBSW   Y14, Y13, Y14 \
	VPMADDUBSW   Y15, Y13, Y15 \
	VPMADDWD     ones16<>(SB), Y14, Y14 \
	VPMADDWD     ones16<>(SB), Y15, Y15 \
	VPADDD       Y14, ACC0, ACC0 \
	VPADDD       Y15, ACC1, ACC1

// ROW4 adds 8 inputs of one row (bytes at LO and HI: inputs 0-3 and 4-7) against the
// nibbles in Y8, Y9 (inputs 0-3) and Y10, Y11 (inputs 4-7) (AVX2).
#define ROW4(LO, HI, ACC0, ACC1) \
	VPBROADCASTD LO, Y12 \
	VPBROADCASTD HI, Y13 \
	VPMADDUBSW   Y12, Y8, Y14 \
	VPMADDUBSW   Y12, Y9, Y12 \
	VPMADDUBSW   Y13, Y10, Y15 \
	VPMADDUBSW   Y13, Y11, Y13 \
	VPADDW       Y15, Y14, Y14 \
	VPADDW       Y13, Y12, Y12 \
	VPMADDWD     ones16<>(SB), Y14, Y14 \
	VPMADDWD     ones16<>(SB), Y12, Y12 \
	VPADDD       Y14, ACC0, ACC0 \
	VPADDD       Y12, ACC1, ACC1

// LOAD4 loads a group of 8 inputs' nibbles: Y8, Y9 the low ones, Y10, Y11 the high ones.
#define LOAD4 \
	VMOVDQU (DI), Y8 \
	VMOVDQU 32(DI), Y9 \
	VPSRLW  $4, Y8, Y10 \
	VPSRLW  $4, Y9, Y11 \
	VPAND   nibbles<>(SB), Y8, Y8 \
	VPAND   nibbles<>(SB), Y9, Y9 \
	VPAND   nibbles<>(SB), Y10, Y10 \
	VPAND   nibbles<>(SB), Y11, Y11

// func tileAVX2x8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)
// groups = block/4; init is not read (signed weights need no offset).
TEXT ·tileAVX2x8(SB), NOSPLIT, $0-88
	LOADARGS

avx2b8:
	ZEROSTART
	MOVQ DX, AX

avx2k8:
	VMOVDQU (DI), Y8
	VMOVDQU 32(DI), Y9
	ROW8(0(SI), Y0, Y1)
	ROW8(0(SI)(BX*1), Y2, Y3)
	ROW8(0(R13), Y4, Y5)
	ROW8(0(R13)(BX*1), Y6, Y7)
	ADDQ $128, DI
	ADDQ $4, SI
	ADDQ $4, R13
	DECQ AX
	JNZ  avx2k8

	BLOCKEND
	DECQ CX
	JNZ  avx2b8
	VZEROUPPER
	RET

// func tileAVX2x4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)
// groups = block/8.
TEXT ·tileAVX2x4(SB), NOSPLIT, $0-88
	LOADARGS

avx2b4:
	INITSTART
	MOVQ DX, AX

avx2k4:
	LOAD4
	ROW4(0(SI), 4(SI), Y0, Y1)
	ROW4(0(SI)(BX*1), 4(SI)(BX*1), Y2, Y3)
	ROW4(0(R13), 4(R13), Y4, Y5)
	ROW4(0(R13)(BX*1), 4(R13)(BX*1), Y6, Y7)
	ADDQ $128, DI
	ADDQ $8, SI
	ADDQ $8, R13
	DECQ AX
	JNZ  avx2k4

	BLOCKEND
	DECQ CX
	JNZ  avx2b4
	VZEROUPPER
	RET

// VROW8 adds 4 inputs of one row against the weights (q+128) in Y8, Y9 (AVX-VNNI).
#define VROW8(PTR, ACC0, ACC1) \
	VPBROADCASTD PTR, Y12 \
	VPDPBUSD_Y(ACC0, 8, 12) \
	VPDPBUSD_Y(ACC1, 9, 12)

// VROW4 adds 8 inputs of one row against the nibbles in Y8-Y11 (AVX-VNNI).
#define VROW4(LO, HI, ACC0, ACC1) \
	VPBROADCASTD LO, Y12 \
	VPBROADCASTD HI, Y13 \
	VPDPBUSD_Y(ACC0, 8, 12) \
	VPDPBUSD_Y(ACC1, 9, 12) \
	VPDPBUSD_Y(ACC0, 10, 13) \
	VPDPBUSD_Y(ACC1, 11, 13)

// func tileAVXVNNI8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)
// groups = block/4.
TEXT ·tileAVXVNNI8(SB), NOSPLIT, $0-88
	LOADARGS

vnnib8:
	INITSTART
	MOVQ DX, AX

vnnik8:
	VMOVDQU (DI), Y8
	VMOVDQU 32(DI), Y9
	VROW8(0(SI), 0, 1)
	VROW8(0(SI)(BX*1), 2, 3)
	VROW8(0(R13), 4, 5)
	VROW8(0(R13)(BX*1), 6, 7)
	ADDQ $128, DI
	ADDQ $4, SI
	ADDQ $4, R13
	DECQ AX
	JNZ  vnnik8

	BLOCKEND
	DECQ CX
	JNZ  vnnib8
	VZEROUPPER
	RET

// func tileAVXVNNI4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)
// groups = block/8.
TEXT ·tileAVXVNNI4(SB), NOSPLIT, $0-88
	LOADARGS

vnnib4:
	INITSTART
	MOVQ DX, AX

vnnik4:
	LOAD4
	VROW4(0(SI), 4(SI), 0, 1)
	VROW4(0(SI)(BX*1), 4(SI)(BX*1), 2, 3)
	VROW4(0(R13), 4(R13), 4, 5)
	VROW4(0(R13)(BX*1), 4(R13)(BX*1), 6, 7)
	ADDQ $128, DI
	ADDQ $8, SI
	ADDQ $8, R13
	DECQ AX
	JNZ  vnnik4

	BLOCKEND
	DECQ CX
	JNZ  vnnib4
	VZEROUPPER
	RET
