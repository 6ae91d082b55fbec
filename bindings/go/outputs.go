package deep

/*
#include <deep.h>
*/
import "C"

// Models of several outputs (since 1.1; Keras' Model(inputs, [out1, out2])). The C library
// reads one target row per sample holding every output's targets one after the other, each
// the output's size, or one label (a whole number, as a float) for
// SparseCategoricalCrossentropy: build a Dataset with SetTargets(rows, width) and pass such
// rows to TrainOnBatch. Predict gives each sample's outputs flattened one after the other
// (PredictOutputs splits them). Evaluate gives Keras' order: the total loss, each output's
// loss, then each output's metrics (1 + k*(1+len(metrics)) values).

// CompileOutputs compiles a model of several outputs: losses[k] for output k (in the order
// of OutputNodes; len(losses) must be the number of outputs), weighted by weights[k] (nil:
// 1 each; else finite, >= 0, one per output). The model minimises the weighted sum of the
// outputs' losses; metrics are computed for every output. As Compile, the model takes the
// optimizer over in every case, except a weights slice whose length is not len(losses)
// (ErrInvalidArgument before any C call; the optimizer stays the caller's).
func (m *Model) CompileOutputs(optimizer *Optimizer, losses []Loss, weights []float64, metrics ...Metric) error {
	if optimizer == nil {
		return nilError("Model.CompileOutputs: optimizer")
	}
	if m == nil {
		return nilError("Model.CompileOutputs")
	}
	if weights != nil && len(weights) != len(losses) {
		return goError(ErrInvalidArgument, "deep: Model.CompileOutputs: %d loss weights for %d losses",
			len(weights), len(losses))
	}
	cl := make([]C.deep_loss, len(losses)+1) // +1: a valid pointer even for no loss
	for i, loss := range losses {
		cl[i] = C.deep_loss(loss)
	}
	cm := make([]C.deep_metric, len(metrics)+1)
	for i, metric := range metrics {
		cm[i] = C.deep_metric(metric)
	}
	var cw *C.double
	if weights != nil {
		cw = doublePtr(weights)
	}
	optimizer.mu.Lock()
	defer optimizer.mu.Unlock()
	if optimizer.p == nil {
		return closedError("Model.CompileOutputs: optimizer")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p == nil {
		return closedError("Model.CompileOutputs")
	}
	op := optimizer.p
	optimizer.p = nil // owned by the model from here on, whatever compile says
	return call(func() C.deep_status {
		return C.deep_model_compile_outputs(m.p, op, &cl[0], cw, C.int64_t(len(losses)), &cm[0],
			C.int64_t(len(metrics)))
	})
}

// HistoryOutput is output output's own (unweighted) loss (MetricLoss) or value of a compiled
// metric at an epoch of the last Fit (Keras' "dense_2_loss", "dense_2_accuracy"); output -1
// is History's total loss.
func (m *Model) HistoryOutput(epoch, output int, metric Metric, validation bool) (float64, error) {
	var v C.double
	err := m.read("Model.HistoryOutput", func(p *C.deep_model) C.deep_status {
		return C.deep_model_history_output(p, C.int64_t(epoch), C.int32_t(output), C.deep_metric(metric),
			cBool(validation), &v)
	})
	return float64(v), err
}

// PredictOutputs is Predict split per output: one new tensor per output, in the order of
// OutputNodes, each of shape (n, that output's shape...). Close them as any tensor.
func (m *Model) PredictOutputs(inputs *Tensor) ([]*Tensor, error) {
	outputs, err := m.OutputNodes()
	if err != nil {
		return nil, err
	}
	shapes := make([][]int64, len(outputs))
	sizes := make([]int, len(outputs))
	total := 0
	for k, node := range outputs {
		if shapes[k], err = m.NodeShape(node); err != nil {
			return nil, err
		}
		sizes[k] = 1
		for _, d := range shapes[k] {
			sizes[k] *= int(d)
		}
		total += sizes[k]
	}
	rows, err := m.Predict(inputs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	data, err := rows.Data()
	if err != nil {
		return nil, err
	}
	n := len(data) / total
	parts := make([]*Tensor, 0, len(outputs))
	start := 0
	for k := range outputs {
		values := make([]float32, n*sizes[k])
		for i := 0; i < n; i++ {
			copy(values[i*sizes[k]:(i+1)*sizes[k]], data[i*total+start:i*total+start+sizes[k]])
		}
		part, err := NewTensor(append([]int64{int64(n)}, shapes[k]...), values)
		if err != nil {
			for _, p := range parts {
				p.Close()
			}
			return nil, err
		}
		parts = append(parts, part)
		start += sizes[k]
	}
	return parts, nil
}
