"""The compiler: a training step traced once and run as straight-line NumPy (`minigrad.compile`).

- `capture.py`: the step run once under a trace: what the code reads, writes back and must check
- `source.py`: the trace written out as one Python function: `.source`
- `step.py`: `compile` and `CompiledStep`: the cache of traces, the guards, the eager fallback
- `checking.py`: `compile(check=True)`: the compiled step against the eager one, at every call
"""

from minigrad.compiler.checking import CompileCheckError
from minigrad.compiler.step import CompiledStep, CompileWarning, compile

__all__ = ["compile", "CompiledStep", "CompileWarning", "CompileCheckError"]
