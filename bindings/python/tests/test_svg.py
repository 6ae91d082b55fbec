"""SVG pictures (since 1.1): Dataset.histogram_svg and History.plot_svg, parsed with
xml.etree (well-formed XML), bars against numpy's histogram, one point per epoch; and
History.history as matplotlib takes it (a dict of lists of floats, as Keras')."""
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import libdeep
from libdeep import errors
from libdeep._lib import lib

SVG = "{http://www.w3.org/2000/svg}"


def _parse(path):
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    return root


def test_histogram_svg_bars_are_numpy_counts(tmp_path):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(5, 2, 400), [np.nan] * 3]).astype(np.float32)
    (tmp_path / "t.csv").write_text("height <cm>,y\n" + "".join(
        f"{'' if np.isnan(v) else repr(float(v))},{i % 2}\n" for i, v in enumerate(x)))
    data = libdeep.load_csv(tmp_path / "t.csv", "y")
    path = tmp_path / "h.svg"
    data.histogram_svg("height <cm>", path, bins=12)
    root = _parse(path)
    assert root.find(SVG + "title").text == "height <cm>"
    bars = [r for r in root.iter(SVG + "rect") if r.get("class") == "bar"]
    want, _ = np.histogram(x[~np.isnan(x)].astype(np.float64), bins=12)
    assert [int(b.get("data-count")) for b in bars] == want.tolist()
    heights = np.array([float(b.get("height")) for b in bars])
    ratio = heights[want.argmax()] / want.max()
    np.testing.assert_allclose(heights, ratio * want, atol=2e-3)
    # The bars stand side by side, left to right, on one baseline.
    xs = [float(b.get("x")) for b in bars]
    assert xs == sorted(xs)
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 2) for b in bars}
    assert len(bottoms) == 1
    # "auto" bins, a column by index.
    data.histogram_svg(0, path, bins="auto")
    bars = [r for r in _parse(path).iter(SVG + "rect") if r.get("class") == "bar"]
    assert len(bars) == len(data.histogram(0, "auto")[0])


def test_histogram_svg_errors(tmp_path):
    data = libdeep.Dataset(np.array([[1.0], [2.0]], dtype=np.float32))
    with pytest.raises(errors.FileError, match="missing"):
        data.histogram_svg(0, tmp_path / "missing" / "h.svg")
    with pytest.raises(ValueError, match="auto"):
        data.histogram_svg(0, tmp_path / "h.svg", bins="fd")
    (tmp_path / "c.csv").write_text("city,y\nParis,1\nLyon,0\n")
    typed = libdeep.load_csv(tmp_path / "c.csv", "y", categorical=True)
    with pytest.raises(errors.StateError, match="histogram_svg"):
        typed.histogram_svg("city", tmp_path / "h.svg")
    assert not (tmp_path / "h.svg").exists()


def _points(root, cls):
    return [len(p.get("points").split()) for p in root.iter(SVG + "polyline") if p.get("class") == cls]


def test_history_is_a_dict_of_lists_and_plots(blobs, mlp, tmp_path):
    x, y = blobs
    history = mlp.fit(x, y, epochs=4, batch_size=32, verbose=0, validation_split=0.2)
    # What matplotlib's plt.plot(history.history["loss"]) and json need.
    assert type(history.history) is dict
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for values in history.history.values():
        assert type(values) is list and len(values) == 4
        assert all(type(v) is float for v in values)
    json.dumps(history.history)
    assert history.model is mlp
    path = tmp_path / "history.svg"
    history.plot_svg(path)
    root = _parse(path)
    assert _points(root, "train") == [4, 4] and _points(root, "validation") == [4, 4]
    texts = {t.text for t in root.iter(SVG + "text")}
    assert {"loss", "accuracy", "training", "validation", "epoch"} <= texts
    # Without validation: training curves only.
    later = mlp.fit(x, y, epochs=3, batch_size=32, verbose=0)
    with pytest.raises(RuntimeError, match="fitted again"):
        history.plot_svg(path)
    later.plot_svg(path)
    root = _parse(path)
    assert _points(root, "train") == [3, 3] and _points(root, "validation") == []


def test_history_plots_with_matplotlib(blobs, mlp, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x, y = blobs
    history = mlp.fit(x, y, epochs=2, batch_size=32, verbose=0)
    lines = plt.plot(history.history["loss"])
    assert list(lines[0].get_ydata()) == history.history["loss"]
    plt.savefig(tmp_path / "loss.png")
    plt.close("all")


def test_history_svg_needs_a_fit(tmp_path):
    model = libdeep.Sequential([libdeep.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(RuntimeError, match="no model"):
        libdeep.models.History({}, 0).plot_svg(tmp_path / "h.svg")
    with pytest.raises(errors.StateError, match="no history"):
        lib.deep_model_history_svg(model._ptr, str(tmp_path / "h.svg").encode())
