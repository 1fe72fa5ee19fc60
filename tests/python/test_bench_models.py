"""Tiny models for the worker and bench tests, importable by worker processes as factories
(``test_bench_models:tiny_cnn`` with tests/python on PYTHONPATH). Small enough that every
backend converts them in seconds on a 2-core machine."""

from __future__ import annotations


def tiny_cnn():
    """[B, 3, 32, 32] float → [B, 10] logits: conv, batch norm, ReLU, pooling, linear."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    m = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    with torch.no_grad():
        bn = m[1]
        bn.running_mean.copy_(torch.randn(8) * 0.1)
        bn.running_var.copy_(torch.rand(8) + 0.5)
    return m.eval()


class TinyText:
    """(input_ids [B, S] int64, attention_mask [B, S] int64) → (hidden [B, S, 16],
    pooled [B, 16])."""

    @staticmethod
    def build():
        import torch
        from torch import nn

        class Text(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(100, 16)
                self.proj = nn.Linear(16, 16)

            def forward(self, input_ids, attention_mask):
                h = torch.tanh(self.proj(self.emb(input_ids)))
                m = attention_mask.unsqueeze(-1).to(h.dtype)
                return h, (h * m).sum(1) / m.sum(1)

        torch.manual_seed(0)
        return Text().eval()


def tiny_text():
    return TinyText.build()


def test_tiny_models_run():
    import torch
    assert tiny_cnn()(torch.rand(2, 3, 32, 32)).shape == (2, 10)
    h, p = tiny_text()(torch.randint(0, 100, (2, 5)), torch.ones(2, 5, dtype=torch.int64))
    assert h.shape == (2, 5, 16) and p.shape == (2, 16)


def noisy():
    """Prints to stdout (Python and a raw write to fd 1) while it is built: the worker must keep
    such output off its protocol stream."""
    import os

    import torch
    print("noisy factory says hello")
    os.write(1, b"raw fd 1 write\n")
    return torch.nn.Identity()


def unseeded():
    """Random weights from torch's global generator: the worker's seed must make them equal in
    every worker process."""
    import torch
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).eval()


class _VarArgs:
    @staticmethod
    def build():
        import torch

        class VarArgs(torch.nn.Module):
            def forward(self, *xs):
                return xs[0] * 2
        return VarArgs()


def varargs():
    """A module whose forward takes *args, which torch.jit.script rejects."""
    return _VarArgs.build()
