"""PT2E_INT8_X86: static int8 quantization through PT2E (torch.export, X86InductorQuantizer,
calibration on the run's inputs), then torch.compile with Inductor's int8 lowering (freezing on).

Since torch 2.10 the PT2E flow lives in torchao (torchao.quantization.pt2e); torch.ao's copy is
gone in torch 2.14, so this conversion needs `pip install torchao`.
"""

from __future__ import annotations

from graphs.worker import torch_common
from graphs.worker.protocol import require_module, unsupported
from graphs.worker.runner import RunContext, Runner


def pt2e_x86(ctx: RunContext) -> Runner:
    import torch
    q = require_module("torchao.quantization.pt2e.quantize_pt2e", "torchao", "PT2E_INT8_X86")
    xiq = require_module("torchao.quantization.pt2e.quantizer.x86_inductor_quantizer", "torchao",
                         "PT2E_INT8_X86")
    args = torch_common.to_tensors(ctx, "cpu")
    if ctx.model.exported is not None:
        gm = ctx.model.exported.module()
    else:
        gm = torch.export.export(torch_common.module_on(ctx, "cpu"), args).module()
    quantizer = xiq.X86InductorQuantizer()
    quantizer.set_global(xiq.get_default_x86_inductor_quantization_config())
    try:
        prepared = q.prepare_pt2e(gm, quantizer)
    except ValueError as e:
        raise unsupported(f"X86InductorQuantizer could not annotate the model: {e} (a module "
                          "called at several places, e.g. a shared ReLU, makes its pattern "
                          "matcher give up)") from e
    with torch.no_grad():
        prepared(*args)                       # calibration
    converted = q.convert_pt2e(prepared)
    import torch._inductor.config as inductor_config
    inductor_config.freezing = True
    before = torch_common.inductor_kernel_count()
    compiled = torch.compile(converted)
    r = torch_common.runner(compiled, args, "cpu", inference_mode=False)
    r.call()                                  # compiles
    r.generated_kernels = torch_common.kernels_since(before)
    return r
