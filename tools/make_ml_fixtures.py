"""Writes tiny ai.onnx.ml models (and a com.microsoft DynamicQuantizeLSTM) and ONNX Runtime's
output shapes for them, the reference of
tests/python/test_onnx_ml.py. Run with the conformance venv (scripts/conformance_env.sh: onnx,
onnxruntime, scikit-learn, skl2onnx):

  $(bash scripts/conformance_env.sh)/bin/python tools/make_ml_fixtures.py OUT_DIR

OUT_DIR gets <name>.onnx per model and expected.json:
  {name: {"input_shapes": {input: dims}, "outputs": [{"name", "shape", "dtype"}]}}
where outputs are what ONNX Runtime returns on random inputs of those shapes. Models: scikit-learn
estimators fitted on 20 random rows of 4 features and converted by skl2onnx (ZipMap off), and
hand-built nodes for the ops the converters write rarely (LabelEncoder, CategoryMapper,
OneHotEncoder, ArrayFeatureExtractor, FeatureVectorizer, TreeEnsemble-5, string labels, SVC
pairwise scores, DynamicQuantizeLSTM).
Nothing is downloaded; a run takes a few seconds.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h

BATCH = 5
ML = h.make_opsetid("ai.onnx.ml", 3)


def sklearn_models() -> dict:
    from skl2onnx import to_onnx
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.preprocessing import Binarizer, Normalizer, StandardScaler
    from sklearn.svm import SVC, SVR
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4)).astype(np.float32)
    y2 = (x[:, 0] > 0).astype(np.int64)
    y3 = np.digitize(x[:, 1], [-0.5, 0.5]).astype(np.int64)
    fitted = {
        "logistic_2": LogisticRegression().fit(x, y2),
        "logistic_3": LogisticRegression().fit(x, y3),
        "linear_1": LinearRegression().fit(x, x[:, 0]),
        "linear_2": LinearRegression().fit(x, x[:, :2]),
        "svc_2": SVC().fit(x, y2),
        "svc_3_proba": SVC(probability=True).fit(x, y3),
        "svc_linear_2": SVC(kernel="linear").fit(x, y2),
        "svr": SVR().fit(x, x[:, 0]),
        "tree_2": DecisionTreeClassifier(max_depth=3).fit(x, y2),
        "tree_3": DecisionTreeClassifier(max_depth=3).fit(x, y3),
        "forest_regressor": RandomForestRegressor(n_estimators=3, max_depth=3).fit(x, x[:, :2]),
        "boosting_2": GradientBoostingClassifier(n_estimators=3, max_depth=2).fit(x, y2),
        "scaler": StandardScaler().fit(x),
        "normalizer": Normalizer().fit(x),
        "binarizer": Binarizer().fit(x),
        "imputer": SimpleImputer().fit(x),
    }
    models = {}
    for name, est in fitted.items():
        options = {id(est): {"zipmap": False}} if hasattr(est, "classes_") else None
        models[name] = to_onnx(est, x[:1], options=options,
                               target_opset={"": 17, "ai.onnx.ml": 3})
    return models


def _model(nodes, inputs, outputs, ml_version=3) -> onnx.ModelProto:
    g = h.make_graph(nodes, "ml", inputs, outputs)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17),
                                          h.make_opsetid("ai.onnx.ml", ml_version)])


def _vi(name, dtype, dims):
    return h.make_tensor_value_info(name, dtype, dims)


def hand_built() -> dict:
    ml = "ai.onnx.ml"
    m = {}
    m["label_encoder_strings"] = _model(
        [h.make_node("LabelEncoder", ["x"], ["y"], domain=ml, keys_strings=["a", "b", "c"],
                     values_int64s=[1, 2, 3], default_int64=-1)],
        [_vi("x", T.STRING, ["N", 3])], [_vi("y", T.INT64, None)], 2)
    m["label_encoder_floats"] = _model(
        [h.make_node("LabelEncoder", ["x"], ["y"], domain=ml, keys_int64s=[1, 2],
                     values_floats=[0.5, 1.5], default_float=0.0)],
        [_vi("x", T.INT64, ["N"])], [_vi("y", T.FLOAT, None)], 2)
    m["category_mapper"] = _model(
        [h.make_node("CategoryMapper", ["x"], ["y"], domain=ml, cats_strings=["a", "b"],
                     cats_int64s=[1, 2], default_string="?")],
        [_vi("x", T.INT64, ["N", 2])], [_vi("y", T.STRING, None)])
    m["one_hot_encoder"] = _model(
        [h.make_node("OneHotEncoder", ["x"], ["y"], domain=ml, cats_int64s=[1, 2, 3, 4],
                     zeros=1)],
        [_vi("x", T.INT64, ["N", 2])], [_vi("y", T.FLOAT, None)])
    m["array_feature_extractor"] = _model(
        [h.make_node("ArrayFeatureExtractor", ["x", "i"], ["y"], domain=ml)],
        [_vi("x", T.FLOAT, ["N", 4]), _vi("i", T.INT64, [2])], [_vi("y", T.FLOAT, None)])
    m["feature_vectorizer"] = _model(
        [h.make_node("FeatureVectorizer", ["a", "b"], ["y"], domain=ml, inputdimensions=[2, 3])],
        [_vi("a", T.FLOAT, ["N", 2]), _vi("b", T.FLOAT, ["N", 3])], [_vi("y", T.FLOAT, None)])
    m["linear_classifier_strings"] = _model(
        [h.make_node("LinearClassifier", ["x"], ["label", "scores"], domain=ml,
                     coefficients=[0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4, 0.5, 0.5, 0.5, 0.5],
                     intercepts=[0.0, 0.1, 0.2], classlabels_strings=["x", "y", "z"],
                     post_transform="SOFTMAX")],
        [_vi("x", T.FLOAT, ["N", 4])],
        [_vi("label", T.STRING, None), _vi("scores", T.FLOAT, None)])
    # SVMClassifier in SVC mode without probabilities, 4 classes: 6 pairwise scores.
    rng = np.random.default_rng(2)
    m["svm_classifier_pairwise_4"] = _model(
        [h.make_node("SVMClassifier", ["x"], ["label", "scores"], domain=ml,
                     classlabels_ints=[0, 1, 2, 3], vectors_per_class=[1, 1, 1, 1],
                     support_vectors=rng.normal(size=16).round(2).tolist(),
                     coefficients=rng.normal(size=12).round(2).tolist(),
                     rho=[0.1] * 6, kernel_type="RBF", kernel_params=[0.5, 0.0, 3.0])],
        [_vi("x", T.FLOAT, ["N", 4])],
        [_vi("label", T.INT64, None), _vi("scores", T.FLOAT, None)])
    # com.microsoft DynamicQuantizeLSTM: 3 steps, input 4, hidden 2, int8 weights stored
    # transposed ([dirs, input, 4·hidden], [dirs, hidden, 4·hidden]).
    w = h.make_tensor("W", T.INT8, [1, 4, 8], rng.integers(-8, 8, 32).tolist())
    r = h.make_tensor("R", T.INT8, [1, 2, 8], rng.integers(-8, 8, 16).tolist())
    scalars = [h.make_tensor("W_scale", T.FLOAT, [1], [0.05]),
               h.make_tensor("W_zero_point", T.INT8, [1], [0]),
               h.make_tensor("R_scale", T.FLOAT, [1], [0.05]),
               h.make_tensor("R_zero_point", T.INT8, [1], [0])]
    lstm = h.make_graph(
        [h.make_node("DynamicQuantizeLSTM",
                     ["x", "W", "R", "", "", "", "", "", "W_scale", "W_zero_point", "R_scale",
                      "R_zero_point"], ["y", "y_h", "y_c"], domain="com.microsoft",
                     hidden_size=2)],
        "lstm", [_vi("x", T.FLOAT, [3, "N", 4])],
        [_vi("y", T.FLOAT, None), _vi("y_h", T.FLOAT, None), _vi("y_c", T.FLOAT, None)],
        initializer=[w, r, *scalars])
    m["dynamic_quantize_lstm"] = h.make_model(
        lstm, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("com.microsoft", 1)])
    # TreeEnsemble (ai.onnx.ml 5): two trees of depth 2 and 1 over 4 features, 2 targets.
    m["tree_ensemble_5"] = _model(
        [h.make_node("TreeEnsemble", ["x"], ["y"], domain=ml, n_targets=2, aggregate_function=1,
                     tree_roots=[0, 2], nodes_featureids=[0, 1, 2],
                     nodes_splits=h.make_tensor("s", T.FLOAT, [3], [0.0, 0.5, -0.5]),
                     nodes_modes=h.make_tensor("m", T.UINT8, [3], [0, 0, 0]),
                     nodes_truenodeids=[1, 0, 3], nodes_trueleafs=[0, 1, 1],
                     nodes_falsenodeids=[2, 1, 4], nodes_falseleafs=[1, 1, 1],
                     leaf_targetids=[0, 1, 0, 1, 0], leaf_weights=h.make_tensor(
                         "w", T.FLOAT, [5], [1.0, 2.0, 3.0, 4.0, 5.0]))],
        [_vi("x", T.FLOAT, ["N", 4])], [_vi("y", T.FLOAT, None)], 5)
    return m


def random_input(inp, shape) -> np.ndarray:
    kind = inp.type
    rng = np.random.default_rng(1)
    if kind == "tensor(string)":
        return rng.choice(np.array(["a", "b", "z"], dtype=object), size=shape)
    if kind == "tensor(int64)":
        return rng.integers(0, 4, size=shape).astype(np.int64)
    return rng.normal(size=shape).astype(np.float32)


def reference(model: onnx.ModelProto) -> dict:
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    shapes, feeds = {}, {}
    for inp in s.get_inputs():
        dims = [BATCH if not isinstance(d, int) else d for d in inp.shape]
        if inp.name == "i":  # ArrayFeatureExtractor's indices: valid feature numbers
            feeds[inp.name] = np.array([3, 1], dtype=np.int64)
        else:
            feeds[inp.name] = random_input(inp, dims)
        shapes[inp.name] = dims
    results = s.run(None, feeds)
    outputs = [{"name": o.name, "shape": list(r.shape), "dtype": str(r.dtype)}
               for o, r in zip(s.get_outputs(), results)]
    return {"input_shapes": shapes, "outputs": outputs}


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: make_ml_fixtures.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    ort.set_default_logger_severity(3)
    expected = {}
    for name, model in {**sklearn_models(), **hand_built()}.items():
        onnx.save(model, str(out / f"{name}.onnx"))
        expected[name] = reference(model)
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
