package engine

import "bytes"

// repack rearranges a layer's weights in place, panel by panel, into the layout of
// kernel k, and marks it tiled for k. A panel is tileCols consecutive weight rows, which
// are contiguous in the file layout too, so one panel-sized scratch buffer suffices and
// memory stays at the file's size.
//
// Tiled layout of a panel (outputs j = 0..31, k the input index):
//   - 8 bits: byte (k/4)·128 + j·4 + k%4 holds q+128 as unsigned: for each group of 4
//     inputs, the 32 outputs' 4 bytes side by side, as VPDPBUSD multiplies them against
//     4 broadcast activation bytes;
//   - 4 bits: for each group of 8 inputs o, byte o·128 + (j/16)·64 + (j%16)·4 + i holds
//     input 8o+i in its low nibble and input 8o+4+i in its high one (both q+8), so a
//     mask and a shift give the two 4-input groups;
//   - scales: [block][32] float16.
//
// For the AMX kernel (amx: an 8-bit layer in blocks of a multiple of 32) and the AVX2 and
// NEON ones (k.signed8) the 8-bit weights stay signed: AMX and SDOT multiply signed ×
// signed bytes, and the AVX2 kernel moves each activation's sign onto the weights
// (VPSIGNB), which cannot negate -128 (k.refusesMinus128). Our quantizer writes ±127, but
// a file may hold -128: for AVX2 such a layer stays in the file layout, on the portable
// kernel, and repack reports false.
//
// The neon-i8mm kernel (SMMLA: a 2×8 by 8×2 byte matrix product into a 2×2 block of
// int32) has its own layout (repackI8MM), in groups of 8 inputs: one 16-byte register
// holds 8 consecutive inputs of two adjacent outputs. Its 8-bit weights stay signed; the
// scales keep the layout above.
//   - 8 bits: byte (k/8)·256 + j·8 + k%8 holds q: the pairs of outputs 2P, 2P+1 of a
//     half (16 outputs, 128 bytes) side by side;
//   - 4 bits: for each group of 8 inputs o, byte o·128 + (j/16)·64 + ((j%16)/4)·16 +
//     (j%2)·8 + k%8 holds input k of output j (q+8) in nibble (j/2)%2: each register
//     holds outputs 4t, 4t+1 in its low nibbles and 4t+2, 4t+3 in its high ones, so a
//     mask and a shift give two registers of output pairs.
func (l *linear) repack(k kernel, amx bool) bool {
	if k.refusesMinus128() && !amx && l.bits == 8 && bytes.IndexByte(l.q[:l.out*l.rowBytes], 0x80) >= 0 {
		return false
	}
	panels := l.panels()
	if rows := panels * tileCols; rows != l.out {
		// Pad the last panel with zero weights (no file row to rearrange in place).
		zero := byte(0)
		if l.bits == 4 {
			zero = 0x88
		}
		q := make([]byte, rows*l.rowBytes)
		copy(q, l.q)
		for i := l.out * l.rowBytes; i < len(q); i++ {
			q[i] = zero
		}
		s := make([]byte, rows*l.nb*2)
		copy(s, l.scale)
		l.q, l.scale = q, s
	}
	flip := byte(0x80) // int8 + 128, as a byte
	if amx || k.signed8() {
		flip = 0
	}
	panelBytes := tileCols * l.rowBytes
	tmp := make([]byte, panelBytes)
	stmp := make([]byte, tileCols*l.nb*2)
	for p := range panels {
		dst := l.q[p*panelBytes : (p+1)*panelBytes]
		copy(tmp, dst)
		for j := range tileCols {
			row := tmp[j*l.rowBytes : (j+1)*l.rowBytes]
			if k == neonI8MMKernel {
				l.repackI8MM(dst, row, j)
				continue
			}
			if l.bits == 8 {
				for k, v := range row {
					dst[(k/4)*128+j*4+k%4] = v ^ flip
				}
				continue
			}
			nib := func(k int) byte { return row[k/2] >> (4 * (k % 2)) & 15 }
			for o := range l.kpad / 8 {
				for i := range 4 {
					dst[o*128+(j/16)*64+(j%16)*4+i] = nib(8*o+i) | nib(8*o+4+i)<<4
				}
			}
		}
		sdst := l.scale[p*tileCols*l.nb*2 : (p+1)*tileCols*l.nb*2]
		copy(stmp, sdst)
		for j := range tileCols {
			for b := range l.nb {
				sdst[(b*tileCols+j)*2] = stmp[(j*l.nb+b)*2]
				sdst[(b*tileCols+j)*2+1] = stmp[(j*l.nb+b)*2+1]
			}
		}
	}
	l.kern, l.amx = k, amx
	return true
}

// repackI8MM puts output j's weights (row, in the file layout) into panel dst in the
// neon-i8mm kernel's layout (see repack). At 4 bits a byte holds two outputs' nibbles:
// each is written without touching the other, which output j^2 writes.
func (l *linear) repackI8MM(dst, row []byte, j int) {
	if l.bits == 8 {
		for k, v := range row {
			dst[(k/8)*256+j*8+k%8] = v
		}
		return
	}
	sh := 4 * (j / 2 % 2)
	for k := range l.kpad {
		nib := row[k/2] >> (4 * (k % 2)) & 15
		i := (k/8)*128 + (j/16)*64 + (j%16/4)*16 + (j%2)*8 + k%8
		dst[i] = dst[i]&^(15<<sh) | nib<<sh
	}
}
