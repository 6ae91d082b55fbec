package deep

/*
#include <deep.h>
*/
import "C"

// Keras' per-layer weight arguments (library 1.2): initializers, regularizers and
// constraints of the weights a WeightRole names, set before Compile on a layer indexed as
// for SetLayerInt (0 the first added, -1 the last).

// WeightRole names which weights of a layer a setting is for (deep_weight_role).
type WeightRole int32

const (
	KernelWeights          WeightRole = C.DEEP_WEIGHT_KERNEL           // kernel_*, also depthwise/pointwise kernels and embeddings
	BiasWeights            WeightRole = C.DEEP_WEIGHT_BIAS             // bias_*
	RecurrentKernelWeights WeightRole = C.DEEP_WEIGHT_RECURRENT_KERNEL // recurrent_*
	GammaWeights           WeightRole = C.DEEP_WEIGHT_GAMMA            // gamma_* of the normalisation layers
	BetaWeights            WeightRole = C.DEEP_WEIGHT_BETA             // beta_* of the normalisation layers
	Activity               WeightRole = C.DEEP_WEIGHT_ACTIVITY         // activity_regularizer: the layer's output
)

// Initializer is one of Keras' initializers (deep_initializer); a and b are its parameters
// where it has some (deep.h lists them).
type Initializer int32

const (
	DefaultInitializer Initializer = C.DEEP_INITIALIZER_DEFAULT          // the layer's own
	Zeros              Initializer = C.DEEP_INITIALIZER_ZEROS            //
	Ones               Initializer = C.DEEP_INITIALIZER_ONES             //
	Constant           Initializer = C.DEEP_INITIALIZER_CONSTANT         // a: the value
	RandomNormal       Initializer = C.DEEP_INITIALIZER_RANDOM_NORMAL    // a: mean, b: stddev
	RandomUniform      Initializer = C.DEEP_INITIALIZER_RANDOM_UNIFORM   // U(a, b)
	TruncatedNormal    Initializer = C.DEEP_INITIALIZER_TRUNCATED_NORMAL // a: mean, b: stddev; redrawn beyond 2 stddev
	GlorotUniform      Initializer = C.DEEP_INITIALIZER_GLOROT_UNIFORM   //
	GlorotNormal       Initializer = C.DEEP_INITIALIZER_GLOROT_NORMAL    //
	HeNormal           Initializer = C.DEEP_INITIALIZER_HE_NORMAL        //
	HeUniform          Initializer = C.DEEP_INITIALIZER_HE_UNIFORM       //
	LecunNormal        Initializer = C.DEEP_INITIALIZER_LECUN_NORMAL     //
	LecunUniform       Initializer = C.DEEP_INITIALIZER_LECUN_UNIFORM    //
	Orthogonal         Initializer = C.DEEP_INITIALIZER_ORTHOGONAL       // a: gain
)

// Constraint is one of Keras' weight constraints (deep_constraint), applied after each update.
type Constraint int32

const (
	NoConstraint Constraint = C.DEEP_CONSTRAINT_NONE
	MaxNorm      Constraint = C.DEEP_CONSTRAINT_MAX_NORM     // norms clipped to maxValue
	NonNeg       Constraint = C.DEEP_CONSTRAINT_NON_NEG      // max(w, 0)
	UnitNorm     Constraint = C.DEEP_CONSTRAINT_UNIT_NORM    // norms made 1
	MinMaxNorm   Constraint = C.DEEP_CONSTRAINT_MIN_MAX_NORM // rate * clip(norm, min, max) + (1 - rate) * norm
)

// SetLayerInitializer sets the initializer of the layer's weights of that role, drawn from
// the model's seed by Compile (Keras' kernel_initializer, ...).
func (m *Model) SetLayerInitializer(layer int, role WeightRole, init Initializer, a, b float64) error {
	return m.write("Model.SetLayerInitializer", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_layer_initializer(p, C.int32_t(layer), C.deep_weight_role(role),
			C.deep_initializer(init), C.double(a), C.double(b))
	})
}

// LayerInitializer is the initializer set for that role and its parameters
// (DefaultInitializer, 0, 0 when never set).
func (m *Model) LayerInitializer(layer int, role WeightRole) (Initializer, float64, float64, error) {
	var init C.deep_initializer
	var a, b C.double
	err := m.read("Model.LayerInitializer", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_layer_initializer(p, C.int32_t(layer), C.deep_weight_role(role), &init, &a, &b)
	})
	return Initializer(init), float64(a), float64(b), err
}

// SetLayerRegularizer adds l1 * sum(|w|) + l2 * sum(w^2) of the role's weights (of the
// layer's output divided by the batch size for Activity) to the loss, as Keras' L1L2.
func (m *Model) SetLayerRegularizer(layer int, role WeightRole, l1, l2 float64) error {
	return m.write("Model.SetLayerRegularizer", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_layer_regularizer(p, C.int32_t(layer), C.deep_weight_role(role), C.double(l1),
			C.double(l2))
	})
}

// LayerRegularizer is the l1 and l2 set for that role (0, 0 when never set).
func (m *Model) LayerRegularizer(layer int, role WeightRole) (float64, float64, error) {
	var l1, l2 C.double
	err := m.read("Model.LayerRegularizer", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_layer_regularizer(p, C.int32_t(layer), C.deep_weight_role(role), &l1, &l2)
	})
	return float64(l1), float64(l2), err
}

// SetLayerConstraint sets the constraint of the role's weights; norms are taken over axes
// (Keras' axis: {0} by default, {0, 1, 2} for a Conv2D kernel; negative from the end).
// NonNeg and NoConstraint take no axes.
func (m *Model) SetLayerConstraint(layer int, role WeightRole, constraint Constraint, minValue, maxValue,
	rate float64, axes ...int32) error {
	var c [8]C.int32_t // more than 8 axes: the library refuses the count
	for i := 0; i < len(axes) && i < len(c); i++ {
		c[i] = C.int32_t(axes[i])
	}
	return m.write("Model.SetLayerConstraint", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_layer_constraint(p, C.int32_t(layer), C.deep_weight_role(role),
			C.deep_constraint(constraint), C.double(minValue), C.double(maxValue), C.double(rate), &c[0],
			C.int32_t(len(axes)))
	})
}

// LayerConstraint is the constraint set for that role, its values and its axes.
func (m *Model) LayerConstraint(layer int, role WeightRole) (constraint Constraint, minValue, maxValue,
	rate float64, axes []int32, err error) {
	var kind C.deep_constraint
	var lo, hi, r C.double
	var c [8]C.int32_t
	var count C.int32_t
	err = m.read("Model.LayerConstraint", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_layer_constraint(p, C.int32_t(layer), C.deep_weight_role(role), &kind, &lo, &hi, &r,
			&c[0], &count)
	})
	for i := 0; i < int(count); i++ {
		axes = append(axes, int32(c[i]))
	}
	return Constraint(kind), float64(lo), float64(hi), float64(r), axes, err
}
