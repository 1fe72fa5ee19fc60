"""Tensor-parallel layers (Megatron-LM, Shoeybi et al., arXiv:1909.08053) over torch.distributed:
linears and embeddings as in Megatron, and the same column → row pairing on convolution
channels (ColumnParallelConv2d → ChannelParallelBatchNorm2d / ChannelParallelConv2d →
RowParallelConv2d).

Every layer holds only this rank's shard of the original weight and can rebuild a full tensor
in the original module's layout from a shard-shaped one (`unshard`, a collective: every rank
must call it in the same order). Collectives use `group` (default: the world group).

Autograd-correct region functions:
  copy_to_parallel_region      forward identity,       backward all-reduce
  reduce_from_parallel_region  forward all-reduce,     backward identity
  gather_from_parallel_region  forward all-gather,     backward take this rank's chunk
  scatter_to_parallel_region   forward take own chunk, backward all-gather
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:
    from torch.distributed import ProcessGroup


def _world(group: ProcessGroup | None) -> tuple[int, int]:
    return dist.get_world_size(group), dist.get_rank(group)


def _all_gather_cat(x: torch.Tensor, dim: int, group: ProcessGroup | None) -> torch.Tensor:
    n, _ = _world(group)
    parts = [torch.empty_like(x) for _ in range(n)]
    dist.all_gather(parts, x.contiguous(), group=group)
    return torch.cat(parts, dim=dim)


def _own_chunk(x: torch.Tensor, dim: int, group: ProcessGroup | None) -> torch.Tensor:
    n, r = _world(group)
    return x.chunk(n, dim=dim)[r].contiguous()


class _CopyToParallelRegion(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, group: ProcessGroup | None) -> torch.Tensor:
        ctx.group = group
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None]:
        g = g.clone()
        dist.all_reduce(g, group=ctx.group)
        return g, None


class _ReduceFromParallelRegion(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, group: ProcessGroup | None) -> torch.Tensor:
        x = x.clone()
        dist.all_reduce(x, group=group)
        return x

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None]:
        return g, None


class _GatherFromParallelRegion(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, dim: int, group: ProcessGroup | None) -> torch.Tensor:
        ctx.dim, ctx.group = dim, group
        return _all_gather_cat(x, dim, group)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        return _own_chunk(g, ctx.dim, ctx.group), None, None


class _ScatterToParallelRegion(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, dim: int, group: ProcessGroup | None) -> torch.Tensor:
        ctx.dim, ctx.group = dim, group
        return _own_chunk(x, dim, group)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        return _all_gather_cat(g, ctx.dim, ctx.group), None, None


def copy_to_parallel_region(x: torch.Tensor,
                            group: ProcessGroup | None = None) -> torch.Tensor:
    y: torch.Tensor = _CopyToParallelRegion.apply(x, group)
    return y


def reduce_from_parallel_region(x: torch.Tensor,
                                group: ProcessGroup | None = None) -> torch.Tensor:
    y: torch.Tensor = _ReduceFromParallelRegion.apply(x, group)
    return y


def gather_from_parallel_region(x: torch.Tensor, dim: int = -1,
                                group: ProcessGroup | None = None) -> torch.Tensor:
    y: torch.Tensor = _GatherFromParallelRegion.apply(x, dim, group)
    return y


def scatter_to_parallel_region(x: torch.Tensor, dim: int = -1,
                               group: ProcessGroup | None = None) -> torch.Tensor:
    y: torch.Tensor = _ScatterToParallelRegion.apply(x, dim, group)
    return y


def _out_index(out_features: int, world_size: int, rank: int, packed: int) -> torch.Tensor:
    """Output rows owned by `rank`: with `packed` = k, the output holds k equal blocks
    (GPT-2's c_attn packs q, k, v) and each block is split separately, keeping whole heads."""
    block = out_features // packed
    local = block // world_size
    return torch.cat([torch.arange(b * block + rank * local, b * block + (rank + 1) * local)
                      for b in range(packed)])


class ColumnParallelLinear(nn.Module):
    """y = x Wᵀ + b with W split on the output dimension: weight [out/N, in], bias [out/N].

    Input replicated; output split on the last dimension unless `gather_output`.
    `packed` = 3 for a fused QKV projection: each of q, k, v is split on its own.
    `conv1d_layout`: the original weight was HF Conv1D's [in, out] (unshard returns that layout).
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, *,
                 gather_output: bool = False, packed: int = 1, conv1d_layout: bool = False,
                 group: ProcessGroup | None = None) -> None:
        super().__init__()
        n, r = _world(group)
        full = weight.t() if conv1d_layout else weight           # [out, in]
        self.out_features, self.in_features = full.shape
        self.gather_output, self.packed, self.conv1d_layout, self.group = (
            gather_output, packed, conv1d_layout, group)
        idx = _out_index(self.out_features, n, r, packed)
        self.weight = nn.Parameter(full.detach()[idx].clone())
        self.bias = None if bias is None else nn.Parameter(bias.detach()[idx].clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(copy_to_parallel_region(x, self.group), self.weight, self.bias)
        return gather_from_parallel_region(y, -1, self.group) if self.gather_output else y

    def unshard(self, name: str, t: torch.Tensor) -> torch.Tensor:
        n, _ = _world(self.group)
        g = _all_gather_cat(t, 0, self.group)                   # rank-major blocks
        order = torch.cat([_out_index(self.out_features, n, r, self.packed) for r in range(n)])
        full = torch.empty_like(g)
        full[order] = g
        return full.t().contiguous() if (name == "weight" and self.conv1d_layout) else full

    def extra_repr(self) -> str:
        return (f"in={self.in_features}, out={self.out_features} (local "
                f"{self.weight.shape[0]}), packed={self.packed}, "
                f"gather_output={self.gather_output}")


class RowParallelLinear(nn.Module):
    """y = all_reduce(x_r W_rᵀ) + b with W split on the input dimension: weight [out, in/N];
    bias full, added once after the all-reduce. Input split on the last dimension when
    `input_is_parallel`, else replicated and split here."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, *,
                 input_is_parallel: bool = True, conv1d_layout: bool = False,
                 group: ProcessGroup | None = None) -> None:
        super().__init__()
        full = weight.t() if conv1d_layout else weight           # [out, in]
        self.out_features, self.in_features = full.shape
        self.input_is_parallel, self.conv1d_layout, self.group = (
            input_is_parallel, conv1d_layout, group)
        self.weight = nn.Parameter(_own_chunk(full.detach(), 1, group).clone())
        self.bias = None if bias is None else nn.Parameter(bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.input_is_parallel:
            x = scatter_to_parallel_region(x, -1, self.group)
        y = reduce_from_parallel_region(F.linear(x, self.weight), self.group)
        return y if self.bias is None else y + self.bias

    def unshard(self, name: str, t: torch.Tensor) -> torch.Tensor:
        if name != "weight":
            return t
        full = _all_gather_cat(t, 1, self.group)
        return full.t().contiguous() if self.conv1d_layout else full

    def extra_repr(self) -> str:
        return (f"in={self.in_features} (local {self.weight.shape[1]}), out={self.out_features}, "
                f"input_is_parallel={self.input_is_parallel}")


class VocabParallelEmbedding(nn.Module):
    """Embedding with rows (vocabulary) split: rank r holds ids [r·V/N, (r+1)·V/N); ids outside
    give zeros locally and the all-reduce assembles the full lookup."""

    def __init__(self, weight: torch.Tensor, *, padding_idx: int | None = None,
                 group: ProcessGroup | None = None) -> None:
        super().__init__()
        n, r = _world(group)
        self.num_embeddings, self.embedding_dim = weight.shape
        per = self.num_embeddings // n
        self.vocab_start, self.vocab_end = r * per, (r + 1) * per
        self.padding_idx, self.group = padding_idx, group
        self.weight = nn.Parameter(weight.detach()[self.vocab_start:self.vocab_end].clone())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        outside = (ids < self.vocab_start) | (ids >= self.vocab_end)
        local = (ids - self.vocab_start).masked_fill(outside, 0)
        y = F.embedding(local, self.weight).masked_fill(outside.unsqueeze(-1), 0.0)
        return reduce_from_parallel_region(y, self.group)

    def unshard(self, name: str, t: torch.Tensor) -> torch.Tensor:
        return _all_gather_cat(t, 0, self.group)

    def extra_repr(self) -> str:
        return (f"{self.num_embeddings}, {self.embedding_dim}, "
                f"local ids [{self.vocab_start}, {self.vocab_end})")


def _conv2d_args(conv: nn.Conv2d) -> dict[str, Any]:
    return dict(kernel_size=conv.kernel_size, stride=conv.stride, padding=conv.padding,
                dilation=conv.dilation, padding_mode=conv.padding_mode)


class ColumnParallelConv2d(nn.Conv2d):
    """Conv2d (groups 1) with output channels split: weight [C_out/N, C_in, kh, kw], bias
    [C_out/N]. Input replicated (its gradient all-reduced in backward); output split on the
    channel dimension unless `gather_output` (all-gather on dim 1)."""

    def __init__(self, conv: nn.Conv2d, *, gather_output: bool = False,
                 group: ProcessGroup | None = None) -> None:
        n, _ = _world(group)
        if conv.groups != 1:
            raise ValueError("ColumnParallelConv2d needs groups=1 (a grouped conv is 'channel')")
        super().__init__(conv.in_channels, conv.out_channels // n, bias=conv.bias is not None,
                         device=conv.weight.device, dtype=conv.weight.dtype, **_conv2d_args(conv))
        self.full_out_channels, self.gather_output, self.group = (
            conv.out_channels, gather_output, group)
        with torch.no_grad():
            self.weight.copy_(_own_chunk(conv.weight.detach(), 0, group))
            if conv.bias is not None and self.bias is not None:
                self.bias.copy_(_own_chunk(conv.bias.detach(), 0, group))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self._conv_forward(copy_to_parallel_region(x, self.group), self.weight, self.bias)
        return gather_from_parallel_region(y, 1, self.group) if self.gather_output else y

    def unshard(self, name: str, t: torch.Tensor) -> torch.Tensor:
        return _all_gather_cat(t, 0, self.group)


class RowParallelConv2d(nn.Conv2d):
    """Conv2d (groups 1) with input channels split: weight [C_out, C_in/N, kh, kw]; the partial
    outputs are all-reduced and the bias (whole) added once after. Input split on the channel
    dimension when `input_is_parallel` (it follows a column conv), else split here."""

    def __init__(self, conv: nn.Conv2d, *, input_is_parallel: bool = True,
                 group: ProcessGroup | None = None) -> None:
        n, _ = _world(group)
        if conv.groups != 1:
            raise ValueError("RowParallelConv2d needs groups=1 (a grouped conv is 'channel')")
        super().__init__(conv.in_channels // n, conv.out_channels, bias=conv.bias is not None,
                         device=conv.weight.device, dtype=conv.weight.dtype, **_conv2d_args(conv))
        self.full_in_channels, self.input_is_parallel, self.group = (
            conv.in_channels, input_is_parallel, group)
        with torch.no_grad():
            self.weight.copy_(_own_chunk(conv.weight.detach(), 1, group))
            if conv.bias is not None and self.bias is not None:
                self.bias.copy_(conv.bias.detach())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.input_is_parallel:
            x = scatter_to_parallel_region(x, 1, self.group)
        y = reduce_from_parallel_region(self._conv_forward(x, self.weight, None), self.group)
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)

    def unshard(self, name: str, t: torch.Tensor) -> torch.Tensor:
        return _all_gather_cat(t, 1, self.group) if name == "weight" else t


class ChannelParallelConv2d(nn.Conv2d):
    """A grouped or depthwise Conv2d between a column and a row layer: input and output both
    split on channels, each rank holding whole groups (groups/N of them), no communication:
    weight [C_out/N, C_in/groups, kh, kw], bias [C_out/N]."""

    def __init__(self, conv: nn.Conv2d, *, group: ProcessGroup | None = None) -> None:
        n, _ = _world(group)
        if conv.groups % n:
            raise ValueError(f"ChannelParallelConv2d: {conv.groups} groups not divisible by "
                             f"world size {n}")
        super().__init__(conv.in_channels // n, conv.out_channels // n, groups=conv.groups // n,
                         bias=conv.bias is not None, device=conv.weight.device,
                         dtype=conv.weight.dtype, **_conv2d_args(conv))
        self.group = group
        with torch.no_grad():
            self.weight.copy_(_own_chunk(conv.weight.detach(), 0, group))
            if conv.bias is not None and self.bias is not None:
                self.bias.copy_(_own_chunk(conv.bias.detach(), 0, group))

    def unshard(self, name: str, t: torch.Tensor) -> torch.Tensor:
        return _all_gather_cat(t, 0, self.group)


class ChannelParallelBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d on a channel-split input (between a column and a row conv): this rank's
    channels of weight, bias, running_mean and running_var; statistics are per channel, so no
    communication, in training as in eval."""

    def __init__(self, bn: nn.BatchNorm2d, *, group: ProcessGroup | None = None) -> None:
        n, _ = _world(group)
        super().__init__(bn.num_features // n, eps=bn.eps, momentum=bn.momentum, affine=bn.affine,
                         track_running_stats=bn.track_running_stats,
                         device=bn.running_mean.device if bn.running_mean is not None else None)
        self.full_num_features, self.group = bn.num_features, group
        self.train(bn.training)
        with torch.no_grad():
            for name in ("weight", "bias", "running_mean", "running_var"):
                src = getattr(bn, name)
                if src is not None:
                    getattr(self, name).copy_(_own_chunk(src.detach(), 0, group))
            if bn.num_batches_tracked is not None and self.num_batches_tracked is not None:
                self.num_batches_tracked.copy_(bn.num_batches_tracked)

    def unshard(self, name: str, t: torch.Tensor) -> torch.Tensor:
        return _all_gather_cat(t, 0, self.group)
