//! The Rust layer builders against the C library's layer registry: docs/layers.md is
//! generated from the registry's field tables (the C suite 'registry' fails when it is
//! stale), so every layer type it lists must have a builder here that adds that type, and
//! every field set by a layer option must be reachable, through its builder method of the
//! same name and through Model::set_layer_* / layer_*. (That each deep_model_add_* is called
//! by the crate is tests/header.rs' function check.)
use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use libdeep::layers::{
    Add, Average, AveragePooling2d, BatchNormalization, Concatenate, Conv1d, Conv2d, Conv2dTranspose, Cropping2d, Dense,
    Dropout, Embedding, Flatten, GlobalAveragePooling1d, GlobalAveragePooling2d, GlobalMaxPooling2d, Gru, Lstm,
    MaxPooling1d, MaxPooling2d, Maximum, Minimum, Multiply, Permute, RepeatVector, Reshape, SimpleRnn, Subtract,
    UpSampling2d, ZeroPadding2d,
};
use libdeep::{Activation, Layer, LayerOption, MergeMode, Model, NodeId, Padding, Result};

/// One "## Name" section: its add function and its (field, kind, DEEP_LAYER_X) options.
struct RegistryType {
    name: String,
    add: String,
    options: Vec<(String, String, String)>,
}

/// docs/layers.md: LIBDEEP_LAYERS_DOC, else the source tree's (scripts/check-rust.sh sets
/// the variable, since it tests a copy of the crates). None when neither exists.
fn registry() -> Option<Vec<RegistryType>> {
    let path = match std::env::var_os("LIBDEEP_LAYERS_DOC") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../docs/layers.md"),
    };
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) if std::env::var_os("LIBDEEP_LAYERS_DOC").is_none() => {
            eprintln!("no {}: set LIBDEEP_LAYERS_DOC; skipped", path.display());
            return None;
        }
        Err(e) => panic!("{}: {}", path.display(), e),
    };
    let mut types: Vec<RegistryType> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("## ") {
            types.push(RegistryType { name: name.trim().to_string(), add: String::new(), options: Vec::new() });
            continue;
        }
        let current = match types.last_mut() {
            Some(current) => current,
            None => continue,
        };
        if current.add.is_empty() && line.starts_with("`deep_model_add_") {
            current.add = line[1..].split('`').next().unwrap().to_string();
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() >= 5 && cells[1].starts_with('`') {
            if let Some(start) = cells[3].find("DEEP_LAYER_") {
                let option: String =
                    cells[3][start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                current.options.push((cells[1].trim_matches('`').to_string(), cells[2].to_string(), option));
            }
        }
    }
    assert!(types.len() >= 16, "{}: only {} layer types read", path.display(), types.len());
    for t in &types {
        assert!(t.add.starts_with("deep_model_add_"), "{}: {} names no deep_model_add_*", path.display(), t.name);
    }
    Some(types)
}

type Build = fn(&mut Model) -> Result<()>;

/// For each Keras type name: an input shape and a builder adding that type last.
fn builders() -> BTreeMap<&'static str, (&'static [i64], Build)> {
    let mut b: BTreeMap<&'static str, (&'static [i64], Build)> = BTreeMap::new();
    b.insert("Dense", (&[4], |m| m.add(Dense::new(3))));
    b.insert("Activation", (&[4], |m| m.add(Activation::Tanh)));
    b.insert("Dropout", (&[4], |m| m.add(Dropout::new(0.5))));
    b.insert("Flatten", (&[2, 2], |m| m.add(Flatten)));
    b.insert("Reshape", (&[4], |m| m.add(Reshape::new(&[2, -1]))));
    b.insert("Conv2D", (&[6, 6, 1], |m| m.add(Conv2d::new(2, (3, 3)).padding(Padding::Same))));
    b.insert("Conv2DTranspose", (&[3, 3, 2], |m| m.add(Conv2dTranspose::new(2, (3, 3)).strides((2, 2)))));
    b.insert("UpSampling2D", (&[3, 3, 2], |m| m.add(UpSampling2d::default())));
    b.insert("ZeroPadding2D", (&[3, 3, 2], |m| m.add(ZeroPadding2d::default())));
    b.insert("Cropping2D", (&[3, 3, 2], |m| m.add(Cropping2d::new((1, 0), (0, 1)))));
    b.insert("MaxPooling2D", (&[6, 6, 1], |m| m.add(MaxPooling2d::new((2, 2)))));
    b.insert("AveragePooling2D", (&[6, 6, 1], |m| m.add(AveragePooling2d::new((2, 2)))));
    b.insert("GlobalAveragePooling2D", (&[6, 6, 1], |m| m.add(GlobalAveragePooling2d)));
    b.insert("BatchNormalization", (&[4], |m| m.add(BatchNormalization::new())));
    b.insert("Embedding", (&[5], |m| m.add(Embedding::new(10, 3).input_length(5))));
    b.insert("Masking", (&[5, 2], |m| m.add_masking(0.0)));
    b.insert("LSTM", (&[5, 2], |m| m.add(Lstm::new(3))));
    b.insert("GRU", (&[5, 2], |m| m.add(Gru::new(3))));
    b.insert("SimpleRNN", (&[5, 2], |m| m.add(SimpleRnn::new(3))));
    b.insert("Conv1D", (&[6, 2], |m| m.add(Conv1d::new(2, 3).padding(Padding::Causal).dilation_rate(2))));
    b.insert("MaxPooling1D", (&[6, 2], |m| m.add(MaxPooling1d::new(2))));
    b.insert("GlobalAveragePooling1D", (&[6, 2], |m| m.add(GlobalAveragePooling1d::new())));
    b.insert("GlobalMaxPooling2D", (&[3, 3, 2], |m| m.add(GlobalMaxPooling2d::new().keepdims(true))));
    b.insert("Permute", (&[2, 3], |m| m.add(Permute::new(&[2, 1]))));
    b.insert("RepeatVector", (&[3], |m| m.add(RepeatVector::new(2))));
    b.insert("Bidirectional", (&[5, 2], |m| {
        m.add(Lstm::new(3))?;
        m.add_bidirectional(MergeMode::Concat)
    }));
    b.insert("LayerNormalization", (&[2, 4], |m| m.add(libdeep::layers::LayerNormalization::new().center(false))));
    b.insert("DepthwiseConv2D", (&[6, 6, 2], |m| {
        m.add(libdeep::layers::DepthwiseConv2d::new((3, 3)).padding(Padding::Same).depth_multiplier(2))
    }));
    b.insert("SeparableConv2D", (&[6, 6, 2], |m| {
        m.add(libdeep::layers::SeparableConv2d::new(4, (3, 3)).padding(Padding::Same).depth_multiplier(2))
    }));
    b.insert("Add", (&[4], |m| merged(m, Add)));
    b.insert("Subtract", (&[4], |m| merged(m, Subtract)));
    b.insert("Multiply", (&[4], |m| merged(m, Multiply)));
    b.insert("Average", (&[4], |m| merged(m, Average)));
    b.insert("Maximum", (&[4], |m| merged(m, Maximum)));
    b.insert("Minimum", (&[4], |m| merged(m, Minimum)));
    b.insert("Concatenate", (&[4], |m| merged(m, Concatenate::new(-1))));
    b.insert("SpatialDropout2D", (&[3, 3, 2], |m| m.add(libdeep::layers::SpatialDropout2d::new(0.2))));
    b.insert("GaussianNoise", (&[4], |m| m.add(libdeep::layers::GaussianNoise::new(0.1))));
    b.insert("GaussianDropout", (&[4], |m| m.add(libdeep::layers::GaussianDropout::new(0.3))));
    b.insert("LeakyReLU", (&[4], |m| m.add(libdeep::layers::LeakyRelu::new(0.1))));
    b.insert("ELU", (&[4], |m| m.add(libdeep::layers::Elu::new(0.5))));
    b.insert("ReLU", (&[4], |m| m.add(libdeep::layers::Relu::new(Some(6.0), 0.1, 0.5))));
    b.insert("PReLU", (&[3, 3, 2], |m| m.add(libdeep::layers::PRelu::new(&[1, 2]))));
    b
}

/// A second (4,) input joined to the first by a merge layer.
fn merged<L: Layer>(m: &mut Model, layer: L) -> Result<()> {
    let second = m.add_input(&[4])?;
    m.connect(&[NodeId(0), second])?;
    m.add(layer)
}

/// For each (type, option field): the builder method of that name set away from its
/// default, and the value the layer option then reads.
fn option_builders() -> BTreeMap<(&'static str, &'static str), (Build, f64)> {
    let mut b: BTreeMap<(&'static str, &'static str), (Build, f64)> = BTreeMap::new();
    b.insert(("Embedding", "mask_zero"), (|m| m.add(Embedding::new(10, 3).input_length(5).mask_zero(true)), 1.0));
    b.insert(("LSTM", "go_backwards"), (|m| m.add(Lstm::new(3).go_backwards(true)), 1.0));
    b.insert(("LSTM", "dropout"), (|m| m.add(Lstm::new(3).dropout(0.25)), 0.25));
    b.insert(("LSTM", "recurrent_dropout"), (|m| m.add(Lstm::new(3).recurrent_dropout(0.25)), 0.25));
    b.insert(("LSTM", "unit_forget_bias"), (|m| m.add(Lstm::new(3).unit_forget_bias(false)), 0.0));
    b.insert(("GRU", "go_backwards"), (|m| m.add(Gru::new(3).go_backwards(true)), 1.0));
    b.insert(("GRU", "dropout"), (|m| m.add(Gru::new(3).dropout(0.25)), 0.25));
    b.insert(("GRU", "recurrent_dropout"), (|m| m.add(Gru::new(3).recurrent_dropout(0.25)), 0.25));
    b.insert(("GRU", "reset_after"), (|m| m.add(Gru::new(3).reset_after(false)), 0.0));
    b.insert(("SimpleRNN", "go_backwards"), (|m| m.add(SimpleRnn::new(3).go_backwards(true)), 1.0));
    b.insert(("SimpleRNN", "dropout"), (|m| m.add(SimpleRnn::new(3).dropout(0.25)), 0.25));
    b.insert(("SimpleRNN", "recurrent_dropout"), (|m| m.add(SimpleRnn::new(3).recurrent_dropout(0.25)), 0.25));
    b
}

fn layer_option(name: &str) -> Option<LayerOption> {
    Some(match name {
        "DEEP_LAYER_DROPOUT" => LayerOption::Dropout,
        "DEEP_LAYER_RECURRENT_DROPOUT" => LayerOption::RecurrentDropout,
        "DEEP_LAYER_GO_BACKWARDS" => LayerOption::GoBackwards,
        "DEEP_LAYER_UNIT_FORGET_BIAS" => LayerOption::UnitForgetBias,
        "DEEP_LAYER_MASK_ZERO" => LayerOption::MaskZero,
        "DEEP_LAYER_RESET_AFTER" => LayerOption::ResetAfter,
        _ => return None,
    })
}

fn built(shape: &[i64], build: Build) -> Model {
    let mut model = Model::new(shape).unwrap();
    build(&mut model).unwrap();
    model
}

#[test]
fn every_layer_type_has_a_builder() {
    let types = match registry() {
        Some(types) => types,
        None => return,
    };
    let builders = builders();
    for t in &types {
        let (shape, build) = *builders.get(t.name.as_str()).unwrap_or_else(|| panic!("no builder for {} ({})", t.name, t.add));
        let summary = built(shape, build).summary().unwrap();
        assert!(summary.contains(&format!("({})", t.name)), "the builder of {} adds no such layer:\n{}", t.name, summary);
    }
    assert_eq!(builders.len(), types.len(), "builders() has types docs/layers.md does not list");
}

#[test]
fn every_layer_option_is_reachable() {
    let types = match registry() {
        Some(types) => types,
        None => return,
    };
    let (builders, option_builders) = (builders(), option_builders());
    let mut count = 0;
    for t in &types {
        for (field, kind, name) in &t.options {
            let option = layer_option(name).unwrap_or_else(|| panic!("{}.{}: {} is no LayerOption", t.name, field, name));
            let float = kind.starts_with("float");
            let read = |m: &Model| if float { m.layer_float(-1, option).unwrap() } else { m.layer_int(-1, option).unwrap() as f64 };
            // Through the builder method named after the field.
            let (build, want) = *option_builders
                .get(&(t.name.as_str(), field.as_str()))
                .unwrap_or_else(|| panic!("{}.{}: no builder method in option_builders()", t.name, field));
            let shape = builders[t.name.as_str()].0;
            assert_eq!(read(&built(shape, build)), want, "{}.{} set by its builder method", t.name, field);
            // Through the generic setters, on the type's default layer.
            let mut model = built(shape, builders[t.name.as_str()].1);
            if float {
                model.set_layer_float(-1, option, 0.5).unwrap();
                assert_eq!(read(&model), 0.5, "{}.{}", t.name, field);
            } else {
                let flipped = 1 - model.layer_int(-1, option).unwrap();
                model.set_layer_int(-1, option, flipped).unwrap();
                assert_eq!(read(&model), flipped as f64, "{}.{}", t.name, field);
            }
            count += 1;
        }
    }
    assert!(count >= 10, "only {} layer options read from docs/layers.md", count);
    assert_eq!(count, option_builders.len(), "option_builders() has options docs/layers.md does not list");
}
