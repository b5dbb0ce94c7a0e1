//go:build js && wasm

package engine

import (
	"runtime"
	"syscall/js"
	"unsafe"
)

// jsKernelName and jsRelaxedName name the WebAssembly SIMD kernels in Model.Kernel.
const jsKernelName, jsRelaxedName = "wasm-simd128", "wasm-relaxed-simd"

// jsMM, jsScores, jsAttnOut, jsQuant and jsQGELU are the exports of wasm/simd/kernel.wat:
// the matmul, attention's two products, the activations' quantization and quick_gelu in
// WebAssembly SIMD, which Go's compiler does not emit. The page (wasm/web/clip-worker.js)
// instantiates that module on this program's own memory and publishes its exports as
// globalThis.clipSIMD before the engine loads; without it the portable kernel runs.
//
// The module writes through raw addresses, where Go would check bounds: each call below
// first checks that the slices cover what the module will touch, so that a bug panics
// instead of corrupting memory.
var jsMM, jsScores, jsAttnOut, jsQuant, jsQGELU js.Value

// jsMM4 and jsMM8 are the exports of wasm/simd/kernel_relaxed.wat: the int4 matmul, and
// the int8 one for 7-bit activations, in relaxed SIMD. The worker publishes them as
// globalThis.clipRelaxed only where a probe module validates and computes the exact dot
// product (relaxedWorks in clip-worker.js), so their presence is the detection.
var jsMM4, jsMM8 js.Value

// findJSKernel looks for the SIMD module's exports.
func findJSKernel() bool {
	k := js.Global().Get("clipSIMD")
	if k.Type() != js.TypeObject {
		return false
	}
	for _, f := range []struct {
		name string
		fn   *js.Value
	}{{"mm", &jsMM}, {"scores", &jsScores}, {"attnout", &jsAttnOut}, {"quant", &jsQuant}, {"qgelu", &jsQGELU}} {
		if *f.fn = k.Get(f.name); f.fn.Type() != js.TypeFunction {
			return false
		}
	}
	return true
}

// findRelaxedKernel looks for the relaxed-SIMD module's export.
func findRelaxedKernel() bool {
	k := js.Global().Get("clipRelaxed")
	if k.Type() != js.TypeObject {
		return false
	}
	jsMM4, jsMM8 = k.Get("mm4"), k.Get("mm8")
	return jsMM4.Type() == js.TypeFunction && jsMM8.Type() == js.TypeFunction
}

// addr is a slice's address in linear memory: what the SIMD module dereferences. Go's
// heap does not move, and the program is suspended during the call, so it stays valid.
func addr[T any](s []T) int { return int(uintptr(unsafe.Pointer(unsafe.SliceData(s)))) }

// matmulJS is matmul through the SIMD module: out[r][n] (= or +=) b[n] + a[r]·W[n], one
// call for the whole product (the call into JavaScript costs about a microsecond). Its
// arithmetic is tileGeneric's, so the results are identical.
func (m *Model) matmulJS(l *linear, a *qact, out []float32, ldo int, add bool) {
	if a.rows == 0 { // the module's loops run at least once
		return
	}
	if len(out) < (a.rows-1)*ldo+l.out || len(a.q) < a.rowsPad*a.kpad || len(l.q) < l.out*l.rowBytes || a.kpad != l.kpad {
		panic("engine: matmul operands too short for the SIMD module")
	}
	ws := &m.ws
	ws.a16 = grow(ws.a16, a.rowsPad*a.kpad)
	ws.sf = grow(ws.sf, tileCols*a.nb)
	switch {
	case m.relaxed && l.bits == 4 && a.bs%32 == 0:
		// the same product with relaxed dots; init (-8·Σa per block) corrects the
		// weights' +8, and a16 holds the permuted int8 activations
		if len(a.init) < a.rowsPad*a.nb || a.offset != 8 {
			panic("engine: activations not quantized for the relaxed SIMD module")
		}
		jsMM4.Invoke(addr(a.q), addr(ws.a16), addr(a.scale), a.rows, a.rowsPad, a.kpad, a.nb, a.bs,
			addr(l.q), l.rowBytes, addr(l.scale), l.bits, addr(out), ldo, l.out, addr(l.biasPad), add, addr(ws.sf), addr(a.init))
	case m.relaxed && l.bits == 8 && a.qmax == 63:
		// 7-bit activations: one relaxed dot per 16 inputs (the module adds 64 to them,
		// into a16, and corrects each block by 64·Σw, kept in cf)
		ws.cf = grow(ws.cf, tileCols*a.nb)
		jsMM8.Invoke(addr(a.q), addr(ws.a16), addr(a.scale), a.rows, a.rowsPad, a.kpad, a.nb, a.bs,
			addr(l.q), l.rowBytes, addr(l.scale), l.bits, addr(out), ldo, l.out, addr(l.biasPad), add, addr(ws.sf), addr(ws.cf))
	default:
		jsMM.Invoke(addr(a.q), addr(ws.a16), addr(a.scale), a.rows, a.rowsPad, a.kpad, a.nb, a.bs,
			addr(l.q), l.rowBytes, addr(l.scale), l.bits, addr(out), ldo, l.out, addr(l.biasPad), add, addr(ws.sf))
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(l)
	runtime.KeepAlive(out)
}

// attentionJS is attention with its two products in the SIMD module, two calls per
// (sequence, head); the keys' transposition and the softmax stay in Go. Same operations
// as the portable path, so the same results. The head size must be a multiple of 4.
func (m *Model) attentionJS(q, k, v, o []float32, d, heads int, seqs []seq, causal bool) {
	dh, scale, ldk := attnShape(d, heads, seqs)
	ws := &m.ws
	ws.kt = grow(ws.kt, dh*ldk)
	ws.scores = grow(ws.scores, ldk*ldk)
	kt, scores := ws.kt, ws.scores
	for _, s := range seqs {
		if s.len == 0 {
			continue
		}
		for h := range heads {
			transposeKeys(kt, k, s, h, d, dh, ldk)
			at := s.start*d + h*dh
			if n := at + (s.len-1)*d + dh; len(q) < n || len(v) < n || len(o) < n {
				panic("engine: attention operands too short for the SIMD module")
			}
			jsScores.Invoke(addr(q[at:]), d, addr(kt), ldk, dh, s.len, addr(scores), scale)
			for i := range s.len {
				n := visible(i, s.len, causal)
				sc := scores[i*ldk : i*ldk+(n+15)/16*16]
				maskFrom(sc, n)
				softmax16(sc)
			}
			jsAttnOut.Invoke(addr(scores), ldk, addr(v[at:]), addr(o[at:]), d, dh, s.len, causal)
		}
	}
	runtime.KeepAlive(q)
	runtime.KeepAlive(v)
	runtime.KeepAlive(o)
}

// quantJS quantizes rows×k values of x (row stride k) into a, which reset has sized:
// qact.setRow for all rows in one call. k must be a whole number of blocks.
func quantJS(x []float32, rows, k int, a *qact) {
	if rows == 0 {
		return
	}
	if len(x) < rows*k || len(a.q) < rows*a.kpad || k != a.kpad {
		panic("engine: quantization operands too short for the SIMD module")
	}
	jsQuant.Invoke(addr(x), k, rows, k, addr(a.q), a.kpad, addr(a.scale), addr(a.init), a.nb, a.bs, a.offset, a.qmax)
	runtime.KeepAlive(x)
	runtime.KeepAlive(a)
}

// quickGELUJS is quick_gelu in place, whole groups of 4 in the SIMD module.
func quickGELUJS(x []float32) {
	n := len(x) &^ 3
	if n > 0 {
		jsQGELU.Invoke(addr(x), n)
		runtime.KeepAlive(x)
	}
	activations["quick_gelu"](x[n:])
}
