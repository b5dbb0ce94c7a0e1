package engine

import (
	"fmt"
	"strings"
)

// kernel is an integer matmul kernel. The best one the CPU runs is picked when a model
// loads (cpuKernels, per platform); Options.Kernel forces another. All of them compute
// tileGeneric's expression with the same integer dot products and the same float32
// operations in the same order, so they give identical bits (TestKernels).
type kernel uint8

const (
	portableKernel kernel = iota // tileGeneric, in Go: every platform, and the reference
	avx2Kernel                   // kernel_avx2_amd64.s: VPMADDUBSW, for any AVX2 CPU
	avxVNNIKernel                // kernel_avx2_amd64.s: VPDPBUSD on 256 bits (Alder Lake and later)
	avx512Kernel                 // kernel_amd64.s: VPDPBUSD on 512 bits (Xeons since Cascade Lake, Zen 4)
	neonDotKernel                // kernel_arm64.s: SDOT on 128 bits (ARMv8.2 dot product: Graviton 2+, Apple M1+)
	neonI8MMKernel               // kernel_i8mm_arm64.s: SMMLA on 128 bits (ARMv8.6 I8MM: Graviton 3+, Apple M2+)
)

var kernelNames = [...]string{portableKernel: "portable", avx2Kernel: "avx2", avxVNNIKernel: "avx-vnni", avx512Kernel: "avx512-vnni",
	neonDotKernel: "neon-dot", neonI8MMKernel: "neon-i8mm"}

func (k kernel) String() string { return kernelNames[k] }

// signed8 tells whether the kernel takes 8-bit weights as stored (signed) rather than
// offset by 128 to unsigned (see repack): AVX2 moves the activations' signs onto them,
// SDOT and SMMLA multiply signed by signed bytes.
func (k kernel) signed8() bool { return k == avx2Kernel || k == neonDotKernel || k == neonI8MMKernel }

// refusesMinus128 tells whether the kernel cannot take an 8-bit weight of -128, which
// AVX2's VPSIGNB cannot negate: repack leaves such a layer to the portable kernel.
func (k kernel) refusesMinus128() bool { return k == avx2Kernel }

// Kernels names the matmul kernels this CPU runs, best first; "portable" runs everywhere.
func Kernels() []string {
	var names []string
	for _, k := range cpuKernels() {
		names = append(names, k.String())
	}
	return append(names, portableKernel.String())
}

// pickKernel is the kernel for Options.Kernel (name, "" for the best) and Options.Portable.
func pickKernel(name string, portable bool) (kernel, error) {
	ks := append(cpuKernels(), portableKernel)
	switch {
	case portable && name != "" && name != portableKernel.String():
		return 0, fmt.Errorf("kernel %q asked for with the portable one", name)
	case portable:
		return portableKernel, nil
	case name == "":
		return ks[0], nil
	}
	for _, k := range ks {
		if k.String() == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("kernel %q does not run on this CPU (it runs %s)", name, strings.Join(Kernels(), ", "))
}
