//! SVG pictures (libdeep 1.1): Dataset::histogram_svg and Model::history_svg write
//! well-formed XML with one bar per bin (heights proportional to the counts) and one
//! polyline point per epoch.
mod common;

use common::{expect_error, xor, TempDir};
use libdeep::{Activation, Dataset, Loss, Metric, Model, Optimizer, OptimizerKind, Status};

/// The start tags of a well-formed document (panics on a malformed one): each with its
/// name and its attribute text.
fn elements(text: &str) -> Vec<(String, String)> {
    let body = &text[text.find("?>").map_or(0, |i| i + 2)..];
    let (mut stack, mut out) = (Vec::<String>::new(), Vec::new());
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        assert!(!rest[..start].contains('>'), "a stray '>'");
        let end = start + rest[start..].find('>').expect("an unterminated tag");
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "an end tag that does not match");
        } else {
            let name: String = tag.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
            assert!(!name.is_empty() && tag.matches('"').count() % 2 == 0, "a bad tag {:?}", tag);
            out.push((name.clone(), tag.to_string()));
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "elements left open: {:?}", stack);
    out
}

fn attribute(tag: &str, name: &str) -> String {
    let key = format!(" {}=\"", name);
    let at = tag.find(&key).map(|i| i + key.len()).expect("no such attribute");
    tag[at..at + tag[at..].find('"').unwrap()].to_string()
}

#[test]
fn histogram_svg_bars_follow_the_counts() {
    let dir = TempDir::new("svg-histogram");
    let path = dir.join("h.svg");
    let d = Dataset::new(&[1], &[1., 2., 2., 3., 3., 3., 4., 4., 4., 4., 10.5, f32::NAN, 7.25]).unwrap();
    d.histogram_svg(0, Some(3), &path).unwrap();
    let counts = d.histogram(0, Some(3)).unwrap().0;
    let text = std::fs::read_to_string(&path).unwrap();
    let bars: Vec<String> =
        elements(&text).into_iter().filter(|(n, t)| n == "rect" && t.contains("class=\"bar\"")).map(|(_, t)| t).collect();
    assert_eq!(bars.len(), 3);
    let h0: f64 = attribute(&bars[0], "height").parse().unwrap();
    for (bar, count) in bars.iter().zip(&counts) {
        assert_eq!(attribute(bar, "data-count"), count.to_string());
        let h: f64 = attribute(bar, "height").parse().unwrap();
        assert!((h - h0 * *count as f64 / counts[0] as f64).abs() < 2e-3);
    }
    assert!(text.contains("<title>column 0</title>"));
    expect_error(d.histogram_svg(0, Some(3), dir.join("no/h.svg")), Status::Io, "deep_dataset_histogram_svg");
    expect_error(d.histogram_svg(1, None, &path), Status::OutOfRange, "deep_dataset_histogram_svg");
}

#[test]
fn history_svg_has_a_point_per_epoch() {
    let dir = TempDir::new("svg-history");
    let path = dir.join("history.svg");
    let train = xor(1, 200);
    let mut model = Model::new(&[2]).unwrap();
    model.set_seed(7).unwrap();
    model.add_dense(8, Activation::Tanh).unwrap();
    model.add_dense(2, Activation::Softmax).unwrap();
    expect_error(model.history_svg(&path), Status::State, "no history");
    let adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    model.compile(adam, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
    model.fit(&train, 4, 32, Some(&train)).unwrap();
    model.history_svg(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<(String, usize)> = elements(&text)
        .into_iter()
        .filter(|(n, _)| n == "polyline")
        .map(|(_, t)| (attribute(&t, "class"), attribute(&t, "points").split_whitespace().count()))
        .collect();
    assert_eq!(lines.iter().filter(|(c, n)| c == "train" && *n == 4).count(), 2);
    assert_eq!(lines.iter().filter(|(c, n)| c == "validation" && *n == 4).count(), 2);
    assert_eq!(lines.len(), 4);
}
