"""EXPORT+EAGER (torch.export, then the program's module run eagerly) and EXPORT+AOT_INDUCTOR
(torch.export, then AOTInductor: torch._inductor.aoti_compile_and_package, loaded with
aoti_load_package)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from graphs.worker import torch_common
from graphs.worker.runner import RunContext, Runner

if TYPE_CHECKING:
    import torch
    from torch.export import ExportedProgram


def exported_program(ctx: RunContext, args: tuple[torch.Tensor, ...]) -> ExportedProgram:
    """The run's ExportedProgram: the source's own for an `exported` source (moved to the
    device), else torch.export.export of the module with the run's inputs."""
    import torch
    if ctx.model.exported is not None and ctx.device == "cpu":
        exported: ExportedProgram = ctx.model.exported
        return exported
    model = torch_common.module_on(ctx, ctx.device)
    return torch.export.export(model, args)


def export_eager(ctx: RunContext) -> Runner:
    args = torch_common.to_tensors(ctx, ctx.device)
    ep = exported_program(ctx, args)
    return torch_common.runner(ep.module(), args, ctx.device)


def aot_inductor(ctx: RunContext) -> Runner:
    import torch
    import torch._inductor
    args = torch_common.to_tensors(ctx, ctx.device)
    with torch.no_grad():
        ep = exported_program(ctx, args)
        path = os.path.join(ctx.output_dir, "model.aoti.pt2")
        before = torch_common.inductor_kernel_count()
        path = torch._inductor.aoti_compile_and_package(ep, package_path=path)
        kernels = torch_common.kernels_since(before)
    compiled = torch._inductor.aoti_load_package(path)
    r = torch_common.runner(compiled, args, ctx.device)
    r.generated_kernels = kernels
    return r
