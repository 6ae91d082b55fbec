//! Layer graphs (Keras' functional API), since libdeep 1.1: input nodes, layers applied to
//! chosen nodes, shared layers, outputs and sub-models, as methods of [`Model`]. The merge
//! layers ([`crate::layers::Add`], ..., [`crate::layers::Concatenate`]) are builders in
//! `layers`.
use std::ptr;

use libdeep_sys as sys;

use crate::convert::{array_sized, c_string, len64, rank, text_sized};
use crate::error::{check, Error, Result, Status};
use crate::model::Model;

/// A node of a model's graph: an input, or a call of a layer. Numbers are the model's, in
/// creation order ([`Model::new`] makes node 0, the first input), valid while it lives.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub i32);

/// `NodeId` is `repr(transparent)` over `i32`: a slice of nodes is the C array of numbers.
fn ids(nodes: &[NodeId]) -> *const i32 {
    if nodes.is_empty() {
        ptr::null()
    } else {
        nodes.as_ptr() as *const i32
    }
}

impl Model {
    /// Adds an input node of that sample shape (rules as [`Model::new`]'s; 16 inputs at
    /// most). With several inputs a dataset row (and a row of `predict`'s input, shaped
    /// (n, total features)) holds each input's sample flattened, one after the other in the
    /// order of [`Model::input_nodes`].
    pub fn add_input(&mut self, shape: &[i64]) -> Result<NodeId> {
        let mut node = -1;
        check(unsafe { sys::deep_model_add_input(self.ptr(), rank(shape), shape.as_ptr(), &mut node) })?;
        Ok(NodeId(node))
    }

    /// The next `add*` applies its new layer to `nodes` (one for most layers, 2 to 16 for
    /// the merge layers) instead of the last node; it holds for that one add (a failed add
    /// keeps it for the next).
    pub fn connect(&mut self, nodes: &[NodeId]) -> Result<()> {
        check(unsafe { sys::deep_model_connect(self.ptr(), ids(nodes), len64(nodes.len())) })
    }

    /// The node made last: the output of the layer added or applied last.
    pub fn last_node(&self) -> Result<NodeId> {
        let mut node = -1;
        check(unsafe { sys::deep_model_last_node(self.ptr(), &mut node) })?;
        Ok(NodeId(node))
    }

    /// Calls layer `layer` (an index as in `weight`; negative counts from the end) again on
    /// `nodes`, sharing its weights (Siamese networks, tied weights); the nodes must have the
    /// shapes of its first call (`Status::Shape`). Returns the new node.
    pub fn apply_layer(&mut self, layer: i32, nodes: &[NodeId]) -> Result<NodeId> {
        let mut node = -1;
        check(unsafe { sys::deep_model_apply_layer(self.ptr(), layer, ids(nodes), len64(nodes.len()), &mut node) })?;
        Ok(NodeId(node))
    }

    /// Makes `nodes` the model's outputs (Keras' `Model(inputs, outputs)`); each must be a
    /// layer's node. Without it the output is the last node. Several outputs: see
    /// [`Model::compile_outputs`].
    pub fn set_outputs(&mut self, nodes: &[NodeId]) -> Result<()> {
        check(unsafe { sys::deep_model_set_outputs(self.ptr(), ids(nodes), len64(nodes.len())) })
    }

    /// Keras' `return_state`, since 1.2: the nodes of the final states of the LSTM, GRU or
    /// SimpleRNN call at `node`, `[h, c]` for an LSTM and `[h]` for the others, each
    /// `(units,)` per sample. The first call adds them to the graph, later ones give the same
    /// nodes. A recurrent layer takes initial states (Keras' `initial_state`) as the nodes
    /// after its sequence: `connect(&[sequence, h, c])` before adding it, or
    /// `apply_layer(layer, &[sequence, h, c])`.
    pub fn state_nodes(&mut self, node: NodeId) -> Result<Vec<NodeId>> {
        let mut states = [-1i32; 4];
        let mut needed = 0i64;
        check(unsafe {
            sys::deep_model_state_nodes(self.ptr(), node.0, states.as_mut_ptr(), states.len() as i64, &mut needed)
        })?;
        Ok(states[..needed as usize].iter().map(|&n| NodeId(n)).collect())
    }

    /// Keras' tensor index of `node`, since 1.2: 0 for an input or a layer call's output, 1
    /// for a recurrent call's state h, 2 for its state c.
    pub fn node_output_index(&self, node: NodeId) -> Result<i32> {
        let mut index = 0;
        check(unsafe { sys::deep_model_node_output_index(self.ptr(), node.0, &mut index) })?;
        Ok(index)
    }

    /// The number of nodes.
    pub fn node_count(&self) -> Result<i32> {
        let mut count = 0;
        check(unsafe { sys::deep_model_node_count(self.ptr(), &mut count) })?;
        Ok(count)
    }

    /// The index of the layer `node` calls; `None` for an input.
    pub fn node_layer(&self, node: NodeId) -> Result<Option<i32>> {
        let mut layer = -1;
        check(unsafe { sys::deep_model_node_layer(self.ptr(), node.0, &mut layer) })?;
        Ok(if layer < 0 { None } else { Some(layer) })
    }

    /// The shape of one sample at `node`.
    pub fn node_shape(&self, node: NodeId) -> Result<Vec<i64>> {
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_model_node_shape(self.ptr(), node.0, buffer, capacity, needed)
        })
    }

    /// The nodes `node` takes (none for an input).
    pub fn node_inputs(&self, node: NodeId) -> Result<Vec<NodeId>> {
        let list = array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_model_node_inputs(self.ptr(), node.0, buffer, capacity, needed)
        })?;
        Ok(list.into_iter().map(NodeId).collect())
    }

    /// The model's inputs, in the order of their columns in a data row.
    pub fn input_nodes(&self) -> Result<Vec<NodeId>> {
        let list =
            array_sized(|buffer, capacity, needed| unsafe { sys::deep_model_input_nodes(self.ptr(), buffer, capacity, needed) })?;
        Ok(list.into_iter().map(NodeId).collect())
    }

    /// The model's outputs (the last node unless [`Model::set_outputs`] chose others).
    pub fn output_nodes(&self) -> Result<Vec<NodeId>> {
        let list =
            array_sized(|buffer, capacity, needed| unsafe { sys::deep_model_output_nodes(self.ptr(), buffer, capacity, needed) })?;
        Ok(list.into_iter().map(NodeId).collect())
    }

    /// A new model made of the part of this one between `inputs` and `outputs` (Keras'
    /// `Model(encoder_input, code)` on a trained autoencoder); an inner node may be an input.
    /// Every output must be computable from the inputs alone and every input must reach an
    /// output (`Status::InvalidArgument`). Cut from a compiled model it shares the weights:
    /// it predicts at once, and training either model (or `set_weight` on either) changes
    /// both; the weights live until both are dropped. The library guards each model against
    /// concurrent training, not the pair: do not predict with one while the other trains.
    /// Cut from an uncompiled model it has the architecture only.
    pub fn submodel(&self, inputs: &[NodeId], outputs: &[NodeId]) -> Result<Model> {
        let mut out = ptr::null_mut();
        check(unsafe {
            sys::deep_model_submodel(
                self.ptr(), ids(inputs), len64(inputs.len()), ids(outputs), len64(outputs.len()), &mut out,
            )
        })?;
        Ok(Model::from_raw(out))
    }

    /// Layer `layer`'s name (an index as in `get_weight`; negative counts from the end), since
    /// 1.3: the library's (`"dense"`, `"dense_1"`, ...) unless [`Model::set_layer_name`]
    /// gave another; model files keep it.
    pub fn layer_name(&self, layer: i32) -> Result<String> {
        text_sized(|buf, cap, needed| unsafe { sys::deep_model_layer_name(self.ptr(), layer, buf, cap, needed) })
    }

    /// Gives layer `layer` a name (Keras' `name=`), since 1.3: printable ASCII without `/`,
    /// 1 to 47 bytes, unique in the model (`Status::InvalidArgument` otherwise).
    pub fn set_layer_name(&mut self, layer: i32, name: &str) -> Result<()> {
        let name = c_string("Model::set_layer_name", name)?;
        check(unsafe { sys::deep_model_set_layer_name(self.ptr(), layer, name.as_ptr()) })
    }

    /// The index of the layer named `name` (Keras' `get_layer(name)`), since 1.3;
    /// `Status::InvalidArgument` when no layer has it.
    pub fn layer_index(&self, name: &str) -> Result<i32> {
        let mut count = 0;
        check(unsafe { sys::deep_model_layer_count(self.ptr(), &mut count) })?;
        for layer in 0..count {
            if self.layer_name(layer)? == name {
                return Ok(layer);
            }
        }
        Err(Error::new(Status::InvalidArgument, format!("Model::layer_index: no layer is named {:?}", name)))
    }
}
