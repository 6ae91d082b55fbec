package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Dataset holds samples of one shape as float features, with integer class labels and/or
// float targets.
type Dataset struct {
	handle
	p *C.deep_dataset
}

func wrapDataset(p *C.deep_dataset) *Dataset {
	d := &Dataset{p: p}
	runtime.SetFinalizer(d, func(d *Dataset) {
		if d.p != nil {
			finalized.Add(1)
			C.deep_dataset_free(d.p)
		}
	})
	return d
}

// NewDataset makes a dataset of len(features) / product(sampleShape) samples, each of shape
// sampleShape (e.g. []int64{784} or {28, 28, 1}), copying features. It has no labels yet.
func NewDataset(sampleShape []int64, features []float32) (*Dataset, error) {
	var p *C.deep_dataset
	size, ok := elements(sampleShape)
	count := int64(1)
	if ok {
		// The C function reads count * size floats: the slice must hold exactly that.
		if len(features) == 0 || int64(len(features))%size != 0 {
			return nil, goError(ErrShape, "deep.NewDataset: %d features do not make whole samples of %d features",
				len(features), size)
		}
		count = int64(len(features)) / size
	}
	err := call(func() C.deep_status {
		return C.deep_dataset_new(C.int64_t(count), C.int32_t(len(sampleShape)), int64Ptr(sampleShape),
			floatPtr(features), &p)
	})
	if err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}

// LoadCSV loads a CSV file with a header row (deep_dataset_load_csv); labelColumn names the
// column of class labels, or is "" for none.
func LoadCSV(path, labelColumn string) (*Dataset, error) {
	cpath, err := cString("LoadCSV", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var clabel *C.char
	if labelColumn != "" {
		if clabel, err = cString("LoadCSV", labelColumn); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(clabel))
	}
	var p *C.deep_dataset
	if err := call(func() C.deep_status { return C.deep_dataset_load_csv(cpath, clabel, &p) }); err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}

// Close frees the dataset. Closing twice is allowed.
func (d *Dataset) Close() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p != nil {
		C.deep_dataset_free(d.p)
		d.p = nil
	}
	return nil
}

func (d *Dataset) read(op string, f func(p *C.deep_dataset) C.deep_status) error {
	if d == nil {
		return nilError(op)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(d.p) })
}

func (d *Dataset) write(op string, f func(p *C.deep_dataset) C.deep_status) error {
	if d == nil {
		return nilError(op)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(d.p) })
}

// borrow locks d shared for a call that takes it as an argument; release undoes that.
func (d *Dataset) borrow(op string) (p *C.deep_dataset, release func(), err error) {
	if d == nil {
		return nil, func() {}, nilError(op)
	}
	d.mu.RLock()
	if d.p == nil {
		d.mu.RUnlock()
		return nil, func() {}, closedError(op)
	}
	return d.p, d.mu.RUnlock, nil
}

// withReference runs f on d (held exclusively) with reference's pointer, held shared: nil
// when reference is nil or d itself, which the C library reads as "d's own statistics".
func (d *Dataset) withReference(op string, reference *Dataset,
	f func(p, ref *C.deep_dataset) C.deep_status) error {
	var ref *C.deep_dataset
	if reference != nil && reference != d {
		p, release, err := reference.borrow(op + ": reference")
		if err != nil {
			return err
		}
		defer release()
		ref = p
	}
	return d.write(op, func(p *C.deep_dataset) C.deep_status { return f(p, ref) })
}

// SetLabels gives every sample its class in [0, numClasses); numClasses 0 means the largest
// label plus one.
func (d *Dataset) SetLabels(labels []int32, numClasses int32) error {
	return d.write("Dataset.SetLabels", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_set_labels(p, int32Ptr(labels), C.int64_t(len(labels)), C.int32_t(numClasses))
	})
}

// SetTargets gives every sample width float targets; len(targets) must be Count * width.
func (d *Dataset) SetTargets(targets []float32, width int64) error {
	if width < 1 || int64(len(targets))%width != 0 || len(targets) == 0 {
		return goError(ErrShape, "deep.Dataset.SetTargets: %d targets are not whole rows of width %d",
			len(targets), width)
	}
	return d.write("Dataset.SetTargets", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_set_targets(p, floatPtr(targets), C.int64_t(int64(len(targets))/width),
			C.int64_t(width))
	})
}

// ToCategorical sets the targets to the one-hot rows of the labels.
func (d *Dataset) ToCategorical() error {
	return d.write("Dataset.ToCategorical", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_to_categorical(p)
	})
}

// Count is the number of samples.
func (d *Dataset) Count() (int64, error) {
	var n C.int64_t
	err := d.read("Dataset.Count", func(p *C.deep_dataset) C.deep_status { return C.deep_dataset_count(p, &n) })
	return int64(n), err
}

// Labels is a copy of the class labels; an error matching ErrState when there are none.
func (d *Dataset) Labels() ([]int32, error) {
	var labels []int32
	err := d.read("Dataset.Labels", func(p *C.deep_dataset) C.deep_status {
		var n C.int64_t
		if s := C.deep_dataset_count(p, &n); s != C.DEEP_OK {
			return s
		}
		labels = make([]int32, int(n))
		return C.deep_dataset_labels(p, int32Ptr(labels), n, &n)
	})
	if err != nil {
		return nil, err
	}
	return labels, nil
}

// Features is every sample's features as a new tensor (count, sample shape...).
func (d *Dataset) Features() (*Tensor, error) {
	var t *C.deep_tensor
	if err := d.read("Dataset.Features", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_features(p, &t)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(t), nil
}

// Split divides the samples into new train and test datasets, testFraction of them to test,
// by a seeded shuffle; stratify keeps each class's proportion (needs labels).
func (d *Dataset) Split(testFraction float64, seed uint64, stratify bool) (train, test *Dataset, err error) {
	var a, b *C.deep_dataset
	err = d.read("Dataset.Split", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_split(p, C.double(testFraction), C.uint64_t(seed), cBool(stratify), &a, &b)
	})
	if err != nil {
		return nil, nil, err
	}
	return wrapDataset(a), wrapDataset(b), nil
}

// LoadIDX loads an IDX image file (MNIST / Fashion-MNIST, plain or .gz) and, unless
// labelsPath is "", its IDX label file.
func LoadIDX(imagesPath, labelsPath string) (*Dataset, error) {
	cimages, err := cString("LoadIDX", imagesPath)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cimages))
	var clabels *C.char
	if labelsPath != "" {
		if clabels, err = cString("LoadIDX", labelsPath); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(clabels))
	}
	var p *C.deep_dataset
	if err := call(func() C.deep_status { return C.deep_dataset_load_idx(cimages, clabels, &p) }); err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}

// SampleShape is the shape of one sample.
func (d *Dataset) SampleShape() ([]int64, error) {
	var shape []int64
	err := d.read("Dataset.SampleShape", func(p *C.deep_dataset) C.deep_status {
		var rank C.int64_t
		buf := make([]int64, C.DEEP_MAX_RANK)
		s := C.deep_dataset_sample_shape(p, int64Ptr(buf), C.int64_t(len(buf)), &rank)
		shape = buf[:int(rank)]
		return s
	})
	if err != nil {
		return nil, err
	}
	return shape, nil
}

// Reshape gives every sample a new shape with the same number of features, e.g. (28, 28)
// to (28, 28, 1) for Conv2D or (784) for Dense.
func (d *Dataset) Reshape(sampleShape []int64) error {
	return d.write("Dataset.Reshape", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_reshape(p, C.int32_t(len(sampleShape)), int64Ptr(sampleShape))
	})
}

// Scale sets every feature to feature*scale + shift (scale 1/255 brings pixels to [0, 1]).
func (d *Dataset) Scale(scale, shift float64) error {
	return d.write("Dataset.Scale", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_scale(p, C.double(scale), C.double(shift))
	})
}

// LoadCIFAR10 loads CIFAR-10 binary batches (data_batch_1.bin ... or test_batch.bin):
// samples (32, 32, 3) channels last, pixels 0..255, 10 classes.
func LoadCIFAR10(paths ...string) (*Dataset, error) {
	if len(paths) == 0 {
		return nil, goError(ErrInvalidArgument, "deep.LoadCIFAR10: no file given")
	}
	// An array of C strings lives in C memory: cgo forbids handing C Go memory that holds
	// Go pointers.
	array := (**C.char)(C.calloc(C.size_t(len(paths)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	if array == nil {
		return nil, goError(ErrNoMemory, "deep.LoadCIFAR10: out of memory")
	}
	defer C.free(unsafe.Pointer(array))
	cpaths := unsafe.Slice(array, len(paths))
	defer func() {
		for _, c := range cpaths {
			C.free(unsafe.Pointer(c))
		}
	}()
	for i, path := range paths {
		c, err := cString("LoadCIFAR10", path)
		if err != nil {
			return nil, err
		}
		cpaths[i] = c
	}
	var p *C.deep_dataset
	if err := call(func() C.deep_status {
		return C.deep_dataset_load_cifar10(&cpaths[0], C.int64_t(len(paths)), &p)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}

// NumClasses is the number of classes (0 when the dataset has no labels).
func (d *Dataset) NumClasses() (int32, error) {
	var n C.int32_t
	err := d.read("Dataset.NumClasses", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_num_classes(p, &n)
	})
	return int32(n), err
}

// TargetWidth is the number of float targets per sample (0 when there are none).
func (d *Dataset) TargetWidth() (int64, error) {
	var n C.int64_t
	err := d.read("Dataset.TargetWidth", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_target_width(p, &n)
	})
	return int64(n), err
}

// Batch is samples [start, start+count) as new tensors: features (count, sample shape...)
// and targets (count, width), the one-hot rows of the labels when there are no targets.
func (d *Dataset) Batch(start, count int64) (features, targets *Tensor, err error) {
	var f, t *C.deep_tensor
	if err := d.read("Dataset.Batch", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_batch(p, C.int64_t(start), C.int64_t(count), &f, &t)
	}); err != nil {
		return nil, nil, err
	}
	return wrapTensor(f), wrapTensor(t), nil
}

// BatchFeatures is the features of samples [start, start+count) as a new tensor, for
// datasets with or without labels.
func (d *Dataset) BatchFeatures(start, count int64) (*Tensor, error) {
	var f *C.deep_tensor
	if err := d.read("Dataset.BatchFeatures", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_batch(p, C.int64_t(start), C.int64_t(count), &f, nil)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(f), nil
}

// Shuffle reorders the samples (with their labels and targets) by a seeded permutation.
func (d *Dataset) Shuffle(seed uint64) error {
	return d.write("Dataset.Shuffle", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_shuffle(p, C.uint64_t(seed))
	})
}

// Subset is a new dataset of the samples at indices (repeats allowed), in that order.
func (d *Dataset) Subset(indices []int64) (*Dataset, error) {
	var out *C.deep_dataset
	if err := d.read("Dataset.Subset", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_subset(p, int64Ptr(indices), C.int64_t(len(indices)), &out)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(out), nil
}

// Concat is a new dataset of a's samples followed by b's (pandas concat). Sample shapes
// must match; both or neither must have labels; class names are matched by name.
func Concat(a, b *Dataset) (*Dataset, error) {
	pa, release, err := a.borrow("Concat: a")
	if err != nil {
		return nil, err
	}
	defer release()
	pb := pa
	if b != a {
		var releaseB func()
		if pb, releaseB, err = b.borrow("Concat: b"); err != nil {
			return nil, err
		}
		defer releaseB()
	}
	var out *C.deep_dataset
	if err := call(func() C.deep_status { return C.deep_dataset_concat(pa, pb, &out) }); err != nil {
		return nil, err
	}
	return wrapDataset(out), nil
}

// Standardize gives every feature zero mean and unit variance, with the statistics of
// reference (the training set when scaling a test set; nil for the dataset's own).
func (d *Dataset) Standardize(reference *Dataset) error {
	return d.withReference("Dataset.Standardize", reference, func(p, ref *C.deep_dataset) C.deep_status {
		return C.deep_dataset_standardize(p, ref)
	})
}

// MinMaxScale brings every feature to [0, 1], with the minimum and maximum of reference (nil
// for the dataset's own).
func (d *Dataset) MinMaxScale(reference *Dataset) error {
	return d.withReference("Dataset.MinMaxScale", reference, func(p, ref *C.deep_dataset) C.deep_status {
		return C.deep_dataset_minmax_scale(p, ref)
	})
}
