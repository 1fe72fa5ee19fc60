"""PyTorch models built from architecture alone (random weights, nothing downloaded).

Shared by the bench worker (`python -m graphs.worker`, model sources ``torchvision:NAME`` and
``hf:NAME``) and tools/export_models.py, so that a name means the same network everywhere.

- torchvision: ``torchvision.models.get_model(name, weights=None)``; classification, semantic
  segmentation and video classification models (detection and optical-flow models take lists
  of images or image pairs and are refused with a reason).
- transformers: the machine cannot reach the model hub, so each supported checkpoint name maps
  to its config class with the hyper-parameters published in that checkpoint's config.json
  (``HF_MODELS``); the model is built from the config with random weights and wrapped so that it
  takes plain tensors and returns a tuple of tensors (no ModelOutput, no KV cache).

Importing this module does not import torch; the builders do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import torch

__all__ = ["HF_MODELS", "HfModel", "hf_model", "hf_info", "torchvision_model",
           "torchvision_input_shape", "randomize_", "UnknownModelError"]


class UnknownModelError(ValueError):
    """A model name that no builder knows; the message lists the known ones."""


@dataclass(frozen=True)
class HfModel:
    """A transformers checkpoint name and how to build it without downloading."""
    name: str
    config_class: str                 # transformers class name, e.g. "BertConfig"
    config_kwargs: dict[str, Any]     # on top of the class defaults
    model_class: str                  # e.g. "BertModel"
    wrapper: str                      # "encoder" | "encoder_no_pooler" | "causal_lm" | ...
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    task: str                         # "text" | "vision"
    vocab_size: int = 0
    max_seq_len: int | None = None    # max_position_embeddings (text)
    image_size: int = 224             # vision
    note: str = ""
    aliases: tuple[str, ...] = field(default=())


_ENC = ("input_ids", "attention_mask")

#: Known checkpoint names. Hyper-parameters are those of the checkpoints' published config.json
#: files; where they equal the config class defaults the kwargs are empty (BertConfig() is
#: bert-base-uncased, GPT2Config() is gpt2, DistilBertConfig() is distilbert-base-uncased,
#: ViTConfig() is google/vit-base-patch16-224).
HF_MODELS: dict[str, HfModel] = {m.name: m for m in [
    HfModel("bert-base-uncased", "BertConfig", {}, "BertModel", "encoder", _ENC,
            ("last_hidden_state", "pooler_output"), "text", 30522, 512,
            aliases=("google-bert/bert-base-uncased",)),
    HfModel("bert-large-uncased", "BertConfig",
            {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
             "intermediate_size": 4096}, "BertModel", "encoder", _ENC,
            ("last_hidden_state", "pooler_output"), "text", 30522, 512,
            aliases=("google-bert/bert-large-uncased",)),
    HfModel("distilbert-base-uncased", "DistilBertConfig", {}, "DistilBertModel",
            "encoder_no_pooler", _ENC, ("last_hidden_state",), "text", 30522, 512,
            aliases=("distilbert/distilbert-base-uncased",)),
    HfModel("roberta-base", "RobertaConfig",
            {"vocab_size": 50265, "max_position_embeddings": 514, "type_vocab_size": 1,
             "layer_norm_eps": 1e-5, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2},
            "RobertaModel", "encoder", _ENC, ("last_hidden_state", "pooler_output"), "text",
            50265, 512, aliases=("FacebookAI/roberta-base",)),
    HfModel("gpt2", "GPT2Config", {"use_cache": False}, "GPT2LMHeadModel", "causal_lm_no_mask",
            ("input_ids",), ("logits",), "text", 50257, 1024,
            aliases=("openai-community/gpt2",)),
    HfModel("gpt2-medium", "GPT2Config",
            {"n_embd": 1024, "n_layer": 24, "n_head": 16, "use_cache": False},
            "GPT2LMHeadModel", "causal_lm_no_mask", ("input_ids",), ("logits",), "text", 50257,
            1024, aliases=("openai-community/gpt2-medium",)),
    HfModel("google/vit-base-patch16-224", "ViTConfig", {}, "ViTModel", "vision",
            ("pixel_values",), ("last_hidden_state", "pooler_output"), "vision",
            aliases=("vit-base",)),
    HfModel("llama-small", "LlamaConfig",
            {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
             "num_key_value_heads": 2, "intermediate_size": 688, "vocab_size": 32000,
             "use_cache": False}, "LlamaForCausalLM", "causal_lm", _ENC, ("logits",), "text",
            32000, 2048, note="this project's small Llama-architecture test model, not a hub name"),
]}

_HF_ALIASES = {a: m.name for m in HF_MODELS.values() for a in m.aliases}


def hf_info(name: str) -> HfModel:
    """The table entry for a checkpoint name (or alias); UnknownModelError lists the known."""
    key = _HF_ALIASES.get(name, name)
    if key not in HF_MODELS:
        raise UnknownModelError(
            f"unknown transformers model {name!r}: configs are built offline from a table of "
            f"known checkpoints (no hub access); known: {', '.join(sorted(HF_MODELS))}")
    return HF_MODELS[key]


def hf_model(name: str) -> torch.nn.Module:
    """The wrapped, eval-mode transformers model for `name` (random weights).

    Inputs are the entry's ``input_names`` (positional, plain tensors); the output is a tensor
    or a tuple of tensors in ``output_names`` order.
    """
    import transformers as tf

    info = hf_info(name)
    config = getattr(tf, info.config_class)(**info.config_kwargs)
    inner = getattr(tf, info.model_class)(config)
    return _WRAPPERS[info.wrapper](inner).eval()


def _vision(inner: Any) -> torch.nn.Module:
    import torch

    class Vision(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values: torch.Tensor) -> tuple[Any, Any]:
            out = self.inner(pixel_values=pixel_values, return_dict=True)
            return out.last_hidden_state, out.pooler_output
    return Vision(inner)


def _encoder(inner: Any) -> torch.nn.Module:
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor,
                    attention_mask: torch.Tensor) -> tuple[Any, Any]:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
            return out.last_hidden_state, out.pooler_output
    return Encoder(inner)


def _encoder_no_pooler(inner: Any) -> torch.nn.Module:
    import torch

    class EncoderNoPooler(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              return_dict=True).last_hidden_state
    return EncoderNoPooler(inner)


def _causal_lm(inner: Any) -> torch.nn.Module:
    return _causal_lm_class(no_mask=False)(inner)


def _causal_lm_class(no_mask: bool) -> type[torch.nn.Module]:
    import torch

    class CausalLM(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              use_cache=False, return_dict=True).logits

    class CausalLMNoMask(CausalLM):
        # An all-ones mask, made in the graph: with no mask at all, transformers looks for
        # packed sequences in the position ids (torch.diff, which opset 17 cannot express).
        def forward(self, input_ids: torch.Tensor) -> Any:  # type: ignore[override]
            return super().forward(input_ids, torch.ones_like(input_ids))
    return CausalLMNoMask if no_mask else CausalLM


def _causal_lm_no_mask(inner: Any) -> torch.nn.Module:
    return _causal_lm_class(no_mask=True)(inner)


_WRAPPERS: dict[str, Callable[[Any], torch.nn.Module]] = {
    "vision": _vision, "encoder": _encoder, "encoder_no_pooler": _encoder_no_pooler,
    "causal_lm": _causal_lm, "causal_lm_no_mask": _causal_lm_no_mask}

# --------------------------------------------------------------------------------------------
# torchvision

#: Constructor arguments that differ from torchvision's defaults: without them GoogLeNet and
#: Inception v3 warn about their (scipy-based) initialisation and build auxiliary heads.
TORCHVISION_KWARGS: dict[str, dict[str, Any]] = {
    "googlenet": {"aux_logits": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "init_weights": True},
}

_VIDEO_112 = ("r3d_18", "mc3_18", "r2plus1d_18")


def _tv_family(name: str) -> str:
    import torchvision.models as tvm
    for family, module in (("classification", tvm), ("segmentation", tvm.segmentation),
                           ("video", tvm.video), ("detection", tvm.detection),
                           ("optical_flow", tvm.optical_flow), ("quantization", tvm.quantization)):
        if name in tvm.list_models(module=module):
            return family
    known = tvm.list_models(module=tvm) + tvm.list_models(module=tvm.segmentation) + \
        tvm.list_models(module=tvm.video)
    import difflib
    near = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise UnknownModelError(f"unknown torchvision model {name!r}{hint} "
                            "(torchvision.models.list_models() names them)")


def torchvision_model(name: str, **kwargs: Any) -> torch.nn.Module:
    """``torchvision.models.get_model(name, weights=None)`` in eval mode (classification,
    segmentation or video models)."""
    import torchvision.models as tvm
    family = _tv_family(name)
    if family in ("detection", "optical_flow", "quantization"):
        raise UnknownModelError(
            f"torchvision model {name!r} is a {family.replace('_', ' ')} model: its inputs are "
            "lists of images (or image pairs, or quantized modules), which the benchmark's "
            "tensor-input signature does not describe; use a classification, segmentation or "
            "video model, or wrap it in a factory (package.module:callable)")
    kw = {**TORCHVISION_KWARGS.get(name, {}), **kwargs}
    model: torch.nn.Module = tvm.get_model(name, weights=None, **kw)
    return model.eval()


def torchvision_input_shape(name: str, model: torch.nn.Module | None = None,
                            batch: int = 1) -> tuple[int, ...]:
    """The input shape of a torchvision model at `batch`: [B, 3, H, W] (video: [B, 3, T, H, W])."""
    family = _tv_family(name)
    if family == "video":
        size = 112 if name in _VIDEO_112 else 224
        return (batch, 3, 16, size, size)
    size = 299 if name == "inception_v3" else 224
    image_size = getattr(model, "image_size", None) if model is not None else None
    if isinstance(image_size, int):
        size = image_size                # ViT: the positional embedding fixes it
    return (batch, 3, size, size)


def randomize_(model: torch.nn.Module, seed: int = 0) -> None:
    """Make every parameter and BatchNorm statistic distinct random values (seeded).

    Fresh initializations are full of identical tensors (LayerNorm weights of ones, zero biases,
    BatchNorm with mean 0 and variance 1), which exporters deduplicate or drop, and some
    architectures' initial outputs all but vanish (torchvision's mobilenet_v3_small and mnasnet
    give logits around 1e-9, where any comparison of outputs measures only rounding). Small
    noise (0.02 σ) keeps the model numerically sane.
    """
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.is_floating_point():
                p.add_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.02)
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats \
                    and m.running_mean is not None and m.running_var is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
