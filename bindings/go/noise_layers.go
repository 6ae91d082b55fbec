package deep

/*
#include <deep.h>
*/
import "C"

// Keras' regularisation layers of library 1.2: active while training only, the identity at
// inference, their draws from the model's seed.

// AddSpatialDropout2D appends SpatialDropout2D(rate): whole channels of (height, width,
// channels) samples dropped while training, the kept ones scaled by 1 / (1 - rate).
func (m *Model) AddSpatialDropout2D(rate float64) error {
	return m.write("Model.AddSpatialDropout2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_spatial_dropout2d(p, C.double(rate))
	})
}

// AddGaussianNoise appends GaussianNoise(stddev): normal noise of that standard deviation
// (in [0, 1]) added while training.
func (m *Model) AddGaussianNoise(stddev float64) error {
	return m.write("Model.AddGaussianNoise", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_gaussian_noise(p, C.double(stddev))
	})
}

// AddGaussianDropout appends GaussianDropout(rate): inputs multiplied by normal noise of
// mean 1 and standard deviation sqrt(rate / (1 - rate)) while training.
func (m *Model) AddGaussianDropout(rate float64) error {
	return m.write("Model.AddGaussianDropout", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_gaussian_dropout(p, C.double(rate))
	})
}
