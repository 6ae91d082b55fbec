package deep

/*
#include <deep.h>
*/
import "C"

import "runtime"

// Rng is libdeep's seedable random generator (xoshiro256**, deep_rng): the same seed always
// gives the same stream. It feeds Tensor.FillUniform and Tensor.FillNormal; models and
// forests carry generators of their own and take seeds instead. The C generator must not be
// used from two threads at once: the Go handle serialises its callers.
type Rng struct {
	handle
	p *C.deep_rng
}

// NewRng makes a generator seeded with seed.
func NewRng(seed uint64) (*Rng, error) {
	var p *C.deep_rng
	if err := call(func() C.deep_status { return C.deep_rng_new(C.uint64_t(seed), &p) }); err != nil {
		return nil, err
	}
	r := &Rng{p: p}
	runtime.SetFinalizer(r, func(r *Rng) {
		if r.p != nil {
			finalized.Add(1)
			C.deep_rng_free(r.p)
		}
	})
	return r, nil
}

// Close frees the generator. Closing twice is allowed.
func (r *Rng) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p != nil {
		C.deep_rng_free(r.p)
		r.p = nil
	}
	return nil
}

// use runs f with the generator held exclusively (every use advances its state).
func (r *Rng) use(op string, f func(p *C.deep_rng) error) error {
	if r == nil {
		return nilError(op)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p == nil {
		return closedError(op)
	}
	return f(r.p)
}

// Seed restarts the stream from seed.
func (r *Rng) Seed(seed uint64) error {
	return r.use("Rng.Seed", func(p *C.deep_rng) error {
		return call(func() C.deep_status { return C.deep_rng_seed(p, C.uint64_t(seed)) })
	})
}

// Uint64 is the next 64 random bits.
func (r *Rng) Uint64() (uint64, error) {
	var v C.uint64_t
	err := r.use("Rng.Uint64", func(p *C.deep_rng) error {
		return call(func() C.deep_status { return C.deep_rng_next(p, &v) })
	})
	return uint64(v), err
}

// Float32 is a uniform float in [0, 1).
func (r *Rng) Float32() (float32, error) {
	var v C.float
	err := r.use("Rng.Float32", func(p *C.deep_rng) error {
		return call(func() C.deep_status { return C.deep_rng_uniform(p, &v) })
	})
	return float32(v), err
}
