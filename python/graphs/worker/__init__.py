"""`python -m graphs.worker`: one benchmark worker process (docs/worker-protocol.md).

The C++ orchestrator (`graphs bench`) spawns one worker per conversion and talks to it in JSON
lines. The worker loads the model, converts it, calls and times it; every statistic and decision
is the orchestrator's. Backends live one family per module (torch_eager, torch_compile,
torch_export, jit, quant, onnxruntime_backend, openvino_backend, tensorrt_backend); the run
request names the module and function of its conversion (`conversions.py`; the test-only ones
live under tests/, outside the package). Nothing here imports torch,
onnxruntime or openvino until a request needs it.
"""

from graphs.worker.protocol import PROTOCOL_VERSION  # noqa: F401
