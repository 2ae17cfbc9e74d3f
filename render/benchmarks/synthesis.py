"""`ohlora bench render`: frames/s of `synthesize` at several batch sizes, beside OpenVINO on the same IR."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from render.generator import FaceGenerator


@dataclass
class RenderBenchRow:
    engine: str
    device: str
    dtype: str
    batch: int
    median_s: float  # per batch

    @property
    def fps(self) -> float:
        return self.batch / self.median_s


def _timed(fn, reps: int, sync) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def openvino_synthesis(batch: int):
    """A callable running the original IR with OpenVINO in fp32 for a [batch, 512] w, or None."""
    try:
        import openvino as ov
    except ImportError:
        return None
    from weights import PrepareError, source_path

    try:
        xml = source_path("mobilestylegan", "random_face/data/SynthesisNetwork.xml")
    except PrepareError:
        return None
    core = ov.Core()
    model = core.read_model(str(xml))
    model.reshape({model.inputs[0].any_name: [batch, 512]})
    return core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})


def bench_render(gen: FaceGenerator, batches: tuple[int, ...] = (1, 4, 16), reps: int | None = None,
                 with_openvino: bool = True, progress=print) -> list[RenderBenchRow]:
    """Median seconds per batch for our synthesis (and OpenVINO's, interleaved rep by rep)."""
    rows: list[RenderBenchRow] = []
    cuda = gen.device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for batch in batches:
        n = reps or (max(3, 24 // batch) if not cuda else 20)
        w = gen.w_from_seeds(list(range(batch)))
        ov_model = openvino_synthesis(batch) if with_openvino and gen.w_dim == 512 else None
        w_np = w.cpu().numpy()
        # warm-up: allocator pools, kernel selection, OpenVINO's first inference
        gen.synthesize(w)
        if ov_model is not None:
            ov_model(w_np)
        ours_t, ov_t = [], []
        for _ in range(n):
            ours_t.append(_timed(lambda: gen.synthesize(w), 1, sync))
            if ov_model is not None:
                ov_t.append(_timed(lambda: ov_model(w_np), 1, lambda: None))
        rows.append(RenderBenchRow("ohlora torch", gen.device.type, str(gen.dtype).removeprefix("torch."),
                                   batch, statistics.median(ours_t)))
        progress(f"batch {batch}: ohlora {batch / rows[-1].median_s:.2f} frames/s")
        if ov_t:
            rows.append(RenderBenchRow("OpenVINO IR", "cpu", "float32", batch, statistics.median(ov_t)))
            progress(f"batch {batch}: OpenVINO {batch / rows[-1].median_s:.2f} frames/s")
    return rows


def render_table(rows: list[RenderBenchRow]) -> str:
    lines = ["| engine | device | dtype | batch | median s/batch | frames/s | time ratio ohlora/OpenVINO |",
             "|---|---|---|---:|---:|---:|---:|"]
    ov = {r.batch: r for r in rows if r.engine == "OpenVINO IR"}
    for r in rows:
        ratio = ""
        if r.engine != "OpenVINO IR" and r.batch in ov and r.device == "cpu":
            ratio = f"{r.median_s / ov[r.batch].median_s:.2f}"
        lines.append(f"| {r.engine} | {r.device} | {r.dtype} | {r.batch} | {r.median_s:.3f} | {r.fps:.2f} | {ratio} |")
    return "\n".join(lines)
