"""The fused single-token decoder step (`decode_step.cpp`), compiled once per machine with torch's C++ extension
builder and cached in its extensions folder ($TORCH_EXTENSIONS_DIR, else ~/.cache/torch_extensions).

`.ci/setup` builds it (`python -m dialogue.decode_native`, about a minute); where it cannot be built (no C++
compiler) the decoder runs the same step as plain torch ops, a little slower, and says so once.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import ModuleType

SOURCE = Path(__file__).with_name("decode_step.cpp")
NAME = "ohlora_decode_step"

log = logging.getLogger("ohlora.dialogue")
_lock = threading.Lock()
_loaded: dict[str, ModuleType | None] = {}


def decode_step(build: bool = True) -> ModuleType | None:
    """The compiled module, built first if needed (`build`); None where it cannot be built or loaded."""
    with _lock:
        if NAME in _loaded:
            return _loaded[NAME]
        module = None
        try:
            from torch.utils.cpp_extension import load

            module = load(name=NAME, sources=[str(SOURCE)], extra_cflags=["-O3", "-march=native"], verbose=False)
        except Exception as e:  # no compiler, or a failed build: the torch-ops path serves the same tokens
            log.warning("the fused decode step could not be built (%s); decoding with plain torch ops",
                        str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__)
        if build or module is not None:
            _loaded[NAME] = module
        return module


if __name__ == "__main__":
    import sys
    import time

    t = time.perf_counter()
    built = decode_step()
    print(f"fused decode step: {'built' if built else 'NOT built (the decoder uses plain torch ops)'} "
          f"in {time.perf_counter() - t:.1f} s")
    sys.exit(0)
