package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// Layer graphs (Keras' functional API), since 1.1. NewModel makes node 0, the first input;
// every Model.Add* adds a layer and the node that calls it, on the last node (the
// Sequential chain) or on the nodes chosen just before with Connect. ApplyLayer calls an
// existing layer again with the same weights. Node numbers are the model's, in creation
// order, valid while it lives; the model owns its nodes and layers.
//
// With several inputs, a dataset row (and a row of Predict's input, shaped (n, total
// features)) holds each input's sample flattened, one after the other in the order of
// InputNodes. Models with several outputs compile with CompileOutputs (outputs.go).

// Node is a node of a model's graph: an input, or a call of a layer.
type Node int32

// AddInput adds an input node of that sample shape (rules as NewModel's; 16 inputs at most).
func (m *Model) AddInput(shape ...int64) (Node, error) {
	var node C.int32_t
	err := m.write("Model.AddInput", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_input(p, C.int32_t(len(shape)), int64Ptr(shape), &node)
	})
	return Node(node), err
}

func nodeList(nodes []Node) []int32 {
	ids := make([]int32, len(nodes))
	for i, n := range nodes {
		ids[i] = int32(n)
	}
	return ids
}

// Connect makes the next Add* apply its new layer to these nodes (one for most layers, 2
// to 16 for merge layers) instead of the last node. It holds for that one Add; a failed
// Add keeps it for the next.
func (m *Model) Connect(nodes ...Node) error {
	ids := nodeList(nodes)
	return m.write("Model.Connect", func(p *C.deep_model) C.deep_status {
		return C.deep_model_connect(p, int32Ptr(ids), C.int64_t(len(ids)))
	})
}

// LastNode is the node made last: the output of the layer added or applied last.
func (m *Model) LastNode() (Node, error) {
	var node C.int32_t
	err := m.read("Model.LastNode", func(p *C.deep_model) C.deep_status { return C.deep_model_last_node(p, &node) })
	return Node(node), err
}

// ApplyLayer calls layer layer (an index as in Weight; negative counts from the end) again
// on nodes, sharing its weights (Siamese networks, tied weights); the nodes must have the
// shapes of its first call (ErrShape). It returns the new node.
func (m *Model) ApplyLayer(layer int, nodes ...Node) (Node, error) {
	ids := nodeList(nodes)
	var node C.int32_t
	err := m.write("Model.ApplyLayer", func(p *C.deep_model) C.deep_status {
		return C.deep_model_apply_layer(p, C.int32_t(layer), int32Ptr(ids), C.int64_t(len(ids)), &node)
	})
	return Node(node), err
}

// StateNodes is Keras' return_state, since 1.2: the nodes of the final states of the LSTM,
// GRU or SimpleRNN call at node, [h, c] for an LSTM and [h] for the others, each (units,)
// per sample. The first call adds them to the graph, later ones give the same nodes. A
// recurrent layer takes initial states (Keras' initial_state) as the nodes after its
// sequence: Connect(sequence, h, c) before AddLSTM, or ApplyLayer(layer, sequence, h, c).
func (m *Model) StateNodes(node Node) ([]Node, error) {
	var states [4]C.int32_t
	var needed C.int64_t
	err := m.write("Model.StateNodes", func(p *C.deep_model) C.deep_status {
		return C.deep_model_state_nodes(p, C.int32_t(node), &states[0], C.int64_t(len(states)), &needed)
	})
	if err != nil {
		return nil, err
	}
	nodes := make([]Node, needed)
	for k := range nodes {
		nodes[k] = Node(states[k])
	}
	return nodes, nil
}

// NodeOutputIndex is Keras' tensor index of node, since 1.2: 0 for an input or a layer
// call's output, 1 for a recurrent call's state h, 2 for its state c.
func (m *Model) NodeOutputIndex(node Node) (int, error) {
	var index C.int32_t
	err := m.read("Model.NodeOutputIndex", func(p *C.deep_model) C.deep_status {
		return C.deep_model_node_output_index(p, C.int32_t(node), &index)
	})
	return int(index), err
}

// SetOutputs makes nodes the model's outputs (Keras' Model(inputs, outputs)); each must be
// a layer's node. Without it the output is the last node.
func (m *Model) SetOutputs(nodes ...Node) error {
	ids := nodeList(nodes)
	return m.write("Model.SetOutputs", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_outputs(p, int32Ptr(ids), C.int64_t(len(ids)))
	})
}

// NodeCount is the number of nodes of the graph.
func (m *Model) NodeCount() (int, error) {
	var n C.int32_t
	err := m.read("Model.NodeCount", func(p *C.deep_model) C.deep_status { return C.deep_model_node_count(p, &n) })
	return int(n), err
}

// NodeLayer is the index of the layer node calls, -1 for an input.
func (m *Model) NodeLayer(node Node) (int, error) {
	var layer C.int32_t
	err := m.read("Model.NodeLayer", func(p *C.deep_model) C.deep_status {
		return C.deep_model_node_layer(p, C.int32_t(node), &layer)
	})
	return int(layer), err
}

// NodeShape is the shape of one sample at node.
func (m *Model) NodeShape(node Node) ([]int64, error) {
	return m.shape("Model.NodeShape", func(p *C.deep_model, buf *C.int64_t, n C.int64_t, rank *C.int64_t) C.deep_status {
		return C.deep_model_node_shape(p, C.int32_t(node), buf, n, rank)
	})
}

// nodes reads a list of nodes by the buffer contract (a size query, then the list).
func (m *Model) nodes(op string, get func(p *C.deep_model, buf *C.int32_t, capacity C.int64_t, needed *C.int64_t) C.deep_status) ([]Node, error) {
	var list []Node
	err := m.read(op, func(p *C.deep_model) C.deep_status {
		var needed C.int64_t
		if s := get(p, nil, 0, &needed); s != C.DEEP_OK {
			return s
		}
		ids := make([]int32, int(needed))
		if needed > 0 {
			if s := get(p, int32Ptr(ids), needed, &needed); s != C.DEEP_OK {
				return s
			}
		}
		list = make([]Node, len(ids))
		for i, id := range ids {
			list[i] = Node(id)
		}
		return C.DEEP_OK
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// NodeInputs are the nodes node takes (none for an input).
func (m *Model) NodeInputs(node Node) ([]Node, error) {
	return m.nodes("Model.NodeInputs", func(p *C.deep_model, buf *C.int32_t, capacity C.int64_t, needed *C.int64_t) C.deep_status {
		return C.deep_model_node_inputs(p, C.int32_t(node), buf, capacity, needed)
	})
}

// InputNodes are the model's inputs, in the order of their columns in a data row.
func (m *Model) InputNodes() ([]Node, error) {
	return m.nodes("Model.InputNodes", func(p *C.deep_model, buf *C.int32_t, capacity C.int64_t, needed *C.int64_t) C.deep_status {
		return C.deep_model_input_nodes(p, buf, capacity, needed)
	})
}

// OutputNodes are the model's outputs (the last node unless SetOutputs said otherwise).
func (m *Model) OutputNodes() ([]Node, error) {
	return m.nodes("Model.OutputNodes", func(p *C.deep_model, buf *C.int32_t, capacity C.int64_t, needed *C.int64_t) C.deep_status {
		return C.deep_model_output_nodes(p, buf, capacity, needed)
	})
}

// Submodel is a new model made of the part of m between inputs and outputs (Keras'
// Model(encoder_input, code) on a trained autoencoder): an inner node may be an input;
// every output must be computable from the inputs alone and every input must reach an
// output (ErrInvalidArgument). Cut from a compiled model it shares m's weights: it predicts
// at once, and training either model changes both; the weights live until both are
// closed. Cut from an uncompiled model it has the architecture only. Close it as any model.
func (m *Model) Submodel(inputs, outputs []Node) (*Model, error) {
	in, out := nodeList(inputs), nodeList(outputs)
	var sub *C.deep_model
	if err := m.read("Model.Submodel", func(p *C.deep_model) C.deep_status {
		return C.deep_model_submodel(p, int32Ptr(in), C.int64_t(len(in)), int32Ptr(out), C.int64_t(len(out)), &sub)
	}); err != nil {
		return nil, err
	}
	return wrapModel(sub), nil
}

// LayerName is the name of layer `layer` (an index as in Weight; negative counts from the
// end), since 1.3: the library's ("dense", "dense_1", ...) unless SetLayerName gave another;
// model files keep it.
func (m *Model) LayerName(layer int) (string, error) {
	var out string
	err := m.read("Model.LayerName", func(p *C.deep_model) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_layer_name(p, C.int32_t(layer), buf, capacity, needed)
		})
	})
	return out, err
}

// SetLayerName gives layer `layer` a name (Keras' name=), since 1.3: printable ASCII
// without '/', 1 to 47 bytes, unique in the model (ErrInvalidArgument otherwise).
func (m *Model) SetLayerName(layer int, name string) error {
	cname, err := cString("Model.SetLayerName", name)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cname))
	return m.write("Model.SetLayerName", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_layer_name(p, C.int32_t(layer), cname)
	})
}

// LayerIndex is the index of the layer named name (Keras' get_layer(name)), since 1.3; an
// ErrInvalidArgument when no layer has it.
func (m *Model) LayerIndex(name string) (int, error) {
	count, err := m.LayerCount()
	if err != nil {
		return -1, err
	}
	for layer := 0; layer < count; layer++ {
		got, err := m.LayerName(layer)
		if err != nil {
			return -1, err
		}
		if got == name {
			return layer, nil
		}
	}
	return -1, goError(ErrInvalidArgument, "deep: Model.LayerIndex: no layer is named %q", name)
}
