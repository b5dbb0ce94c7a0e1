package train

import (
	"fmt"

	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// dataParallel splits each batch over a mesh of devices with one axis, "data". The
// parameters, their gradient accumulators and AdamW's moments are replicated; XLA's
// sharding propagation (Exec.AutoSharding) partitions the graph from the inputs' batch
// axis alone, so the program is the one-device program: the contrastive loss still
// compares every image with every text of the global batch (the embeddings are
// gathered across devices where the logits need them), and the gradients are summed
// across devices before they reach the accumulators. That is the property the paper's
// large batches rely on, and what a per-device loss would lose.
type dataParallel struct {
	devices           int
	mesh              *distributed.DeviceMesh
	batch, replicated *distributed.ShardingSpec
}

// DevicesFor is the number of devices a run uses: asked, checked against the backend's
// and h's batch sizes; or with asked 0 the most of the backend's devices that the batch
// and the micro-batch divide by (1 on a backend of one device).
func DevicesFor(asked, have int, h Hyper) (int, error) {
	fits := func(n int) bool { return h.Batch%n == 0 && h.micro()%n == 0 }
	if asked < 0 {
		return 0, fmt.Errorf("--devices %d", asked)
	}
	if asked == 0 {
		n := max(have, 1)
		for !fits(n) {
			n--
		}
		return n, nil
	}
	if asked > have {
		return 0, fmt.Errorf("--devices %d: the backend has %d", asked, have)
	}
	if !fits(asked) {
		return 0, fmt.Errorf("--devices %d: a batch of %d (micro-batch %d) does not split evenly over them", asked, h.Batch, h.micro())
	}
	return asked, nil
}

func newDataParallel(devices int) (*dataParallel, error) {
	mesh, err := distributed.NewDeviceMesh([]int{devices}, []string{"data"})
	if err != nil {
		return nil, err
	}
	batch, err := distributed.BuildSpec(mesh).S("data").Done()
	if err != nil {
		return nil, err
	}
	return &dataParallel{devices, mesh, batch, distributed.NewReplicatedShardingSpec(mesh)}, nil
}

// distribute makes e run over the mesh: inputs[i] says whether input i is split along
// its batch axis (else it is replicated); every output is replicated.
func (p *dataParallel) distribute(e *gmodel.Exec, inputs []bool, outputs int) error {
	in := make([]*distributed.ShardingSpec, len(inputs))
	for i, split := range inputs {
		in[i] = p.replicated
		if split {
			in[i] = p.batch
		}
	}
	out := make([]*distributed.ShardingSpec, outputs)
	for i := range out {
		out[i] = p.replicated
	}
	e.AutoSharding(p.mesh).WithInputShardingSpecs(in...).WithOutputShardingSpecs(out...)
	return e.SetDefaultShardingSpec(p.replicated)
}

// call runs e over the mesh: args[i] is split along its batch axis where split[i]
// (its batch must divide by the devices), else copied to every device. It returns the
// outputs of the first device (every output is replicated).
func (p *dataParallel) call(e *gmodel.Exec, split []bool, args ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	dargs := make([]any, len(args))
	for i, a := range args {
		spec := p.replicated
		if split[i] {
			if n := a.Shape().Dimensions[0]; n%p.devices != 0 {
				return nil, fmt.Errorf("a batch of %d does not split over %d devices", n, p.devices)
			}
			spec = p.batch
		}
		d, err := dtensor.ShardTensor(spec, a)
		if err != nil {
			return nil, err
		}
		dargs[i] = d
	}
	out, err := call(e, dargs...)
	if err != nil {
		return nil, err
	}
	per := len(out) / p.devices
	return out[:per], nil
}
