package deep

/*
#include <deep.h>
*/
import "C"

// Keras' metric and loss object arguments one at a time (library 1.3): each compiled
// metric's own threshold, class_id, top_k or num_thresholds, and each output's own
// from_logits, label smoothing and Huber delta. Both are set after Compile, which starts
// them afresh, and are saved with the model.

// MetricOption names an argument of a compiled metric (deep_metric_option).
type MetricOption int32

const (
	// MetricThreshold (float): precision, recall (Keras' thresholds) and binary accuracy.
	MetricThreshold MetricOption = C.DEEP_METRIC_OPTION_THRESHOLD
	// MetricClassID (int): precision and recall of one class (an entry of the last axis); -1 all.
	MetricClassID MetricOption = C.DEEP_METRIC_OPTION_CLASS_ID
	// MetricTopK (int): precision and recall's top_k filter (0 none); top-k accuracy's k.
	MetricTopK MetricOption = C.DEEP_METRIC_OPTION_TOP_K
	// MetricNumThresholds (int, 2..1000): the AUCs' num_thresholds (200 by default).
	MetricNumThresholds MetricOption = C.DEEP_METRIC_OPTION_NUM_THRESHOLDS
)

// SetMetricInt sets an int argument of compiled metric `metric` (its position in Compile's
// list), e.g. m.SetMetricInt(1, MetricClassID, 2) for Keras' Precision(class_id=2).
func (m *Model) SetMetricInt(metric int, option MetricOption, value int64) error {
	return m.write("Model.SetMetricInt", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_metric_int(p, C.int32_t(metric), C.deep_metric_option(option), C.int64_t(value))
	})
}

// SetMetricFloat sets a float argument (MetricThreshold) of compiled metric `metric`.
func (m *Model) SetMetricFloat(metric int, option MetricOption, value float64) error {
	return m.write("Model.SetMetricFloat", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_metric_float(p, C.int32_t(metric), C.deep_metric_option(option), C.double(value))
	})
}

// MetricInt is the value in use of an int argument of compiled metric `metric`.
func (m *Model) MetricInt(metric int, option MetricOption) (int64, error) {
	var v C.int64_t
	err := m.read("Model.MetricInt", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_metric_int(p, C.int32_t(metric), C.deep_metric_option(option), &v)
	})
	return int64(v), err
}

// MetricFloat is the value in use of a float argument of compiled metric `metric`.
func (m *Model) MetricFloat(metric int, option MetricOption) (float64, error) {
	var v C.double
	err := m.read("Model.MetricFloat", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_metric_float(p, C.int32_t(metric), C.deep_metric_option(option), &v)
	})
	return float64(v), err
}

// SetOutputInt sets ModelFromLogits for one output of a model of several.
func (m *Model) SetOutputInt(output int, option ModelOption, value int64) error {
	return m.write("Model.SetOutputInt", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_output_int(p, C.int32_t(output), C.deep_model_option(option), C.int64_t(value))
	})
}

// SetOutputFloat sets ModelLabelSmoothing or ModelHuberDelta for one output.
func (m *Model) SetOutputFloat(output int, option ModelOption, value float64) error {
	return m.write("Model.SetOutputFloat", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_output_float(p, C.int32_t(output), C.deep_model_option(option), C.double(value))
	})
}

// OutputInt is an output's ModelFromLogits in use (its own, else the model's).
func (m *Model) OutputInt(output int, option ModelOption) (int64, error) {
	var v C.int64_t
	err := m.read("Model.OutputInt", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_output_int(p, C.int32_t(output), C.deep_model_option(option), &v)
	})
	return int64(v), err
}

// OutputFloat is an output's ModelLabelSmoothing or ModelHuberDelta in use.
func (m *Model) OutputFloat(output int, option ModelOption) (float64, error) {
	var v C.double
	err := m.read("Model.OutputFloat", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_output_float(p, C.int32_t(output), C.deep_model_option(option), &v)
	})
	return float64(v), err
}

// SetLayerInitializerSeed gives the initializer set for the role (SetLayerInitializer
// first, which clears any seed) Keras' seed=: it draws from its own generator started from
// seed, so the same seed gives the same weights whatever the model's seed. seeded false
// removes it. Before Compile.
func (m *Model) SetLayerInitializerSeed(layer int, role WeightRole, seeded bool, seed uint64) error {
	flag := C.int32_t(0)
	if seeded {
		flag = 1
	}
	return m.write("Model.SetLayerInitializerSeed", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_layer_initializer_seed(p, C.int32_t(layer), C.deep_weight_role(role), flag,
			C.uint64_t(seed))
	})
}

// LayerInitializerSeed says whether the role's initializer has a seed, and which.
func (m *Model) LayerInitializerSeed(layer int, role WeightRole) (bool, uint64, error) {
	var seeded C.int32_t
	var seed C.uint64_t
	err := m.read("Model.LayerInitializerSeed", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_layer_initializer_seed(p, C.int32_t(layer), C.deep_weight_role(role), &seeded, &seed)
	})
	return seeded != 0, uint64(seed), err
}
