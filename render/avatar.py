"""The avatar: the face generator, its expression directions and a render loop serving many sessions.

`AvatarRenderer` (one per server process) owns the generator, the expression directions, the frame source
(exact synthesis, or the keyframe atlas on CPU: `render.frame_sources`), the render loop
(`render.render_loop`) and the JPEG encoder pool. `open_session` gives an `AvatarSession` (one per
conversation: `render.avatar_session`) that takes expression events and hands out `EncodedFrame`s paced by
its clock. `AvatarConfig` is the one definition of the avatar's settings (the `[avatar]` table of the
server's config); the server codes against this interface.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from render.avatar_session import AvatarSession
from render.render_loop import RenderLoop
from render.timeline import ExpressionTimeline, TimelineConfig

DEFAULT_PERSONA_SEED = 7


@dataclass
class AvatarConfig:
    """The avatar's settings: the `[avatar]` table of the server's config, field for field."""

    generator: str = "mobilestylegan"
    device: str = "auto"            # auto | cpu | cuda
    path: str = "auto"              # auto | exact | atlas  (auto: exact on CUDA, atlas on CPU)
    seed: int | None = None         # persona face; None = the persona seed from the weights manifest
    psi: float = 0.7
    max_batch: int = 16             # render-loop batching (tuned by measurement)
    encode_threads: int = 2
    directions: str | None = None   # a directions file; None = the committed one for the generator
    # atlas: exact renders refine it while no session is watched. Off by default: the atlas as built meets its
    # error target (docs/benchmarks.md) and each 1024² refinement render holds ~0.4 GB while it runs
    refine: bool = False
    atlas_levels: tuple[int, ...] = (256, 512)
    # lids: a blink draws her eyelids shut over the rendered frame (render/lids.py; needs MediaPipe, the
    # `vectors` extra); control: a blink moves the eyes control to its lower end (a squint, no closed eyes)
    blink: str = "lids"
    # drawn: at lip consonants, and at the "closed" and "small" mouth levels, her lips are drawn shut over the
    # frame (render/lips.py; needs MediaPipe); control: the mouth control's closing half (a grin that ages her)
    lips: str = "drawn"


def persona_seed() -> int:
    """The persona's face: the seed of the manifest's [persona] table, else the default."""
    try:
        from weights.manifest import load_persona

        return load_persona()[0]
    except Exception:
        return DEFAULT_PERSONA_SEED


class AvatarRenderer:
    """Generator, directions, frame source, render loop and encoders for one server process."""

    def __init__(self, cfg: AvatarConfig | None = None, log: Callable[[str], None] = print) -> None:
        self.cfg = cfg or AvatarConfig()
        if self.cfg.path not in ("auto", "exact", "atlas"):
            raise ValueError(f"unknown render path '{self.cfg.path}'; use auto, exact or atlas")
        if self.cfg.blink not in ("lids", "control"):
            raise ValueError(f"unknown blink '{self.cfg.blink}'; use lids or control")
        if self.cfg.lips not in ("drawn", "control"):
            raise ValueError(f"unknown lips '{self.cfg.lips}'; use drawn or control")
        if self.cfg.max_batch < 1 or self.cfg.encode_threads < 1:
            raise ValueError("max_batch and encode_threads must be at least 1")
        self.log = log
        self.seed = self.cfg.seed if self.cfg.seed is not None else persona_seed()
        self.names: tuple[str, ...] = ()
        self.ranges: dict[str, tuple[float, float]] = {}
        self.speech: tuple[float | None, float] | None = None  # mouth values speech moves between
        self.walk = None
        self.source = None
        self.loop: RenderLoop | None = None
        self._encoder: concurrent.futures.ThreadPoolExecutor | None = None
        self.path = ""
        self.eyelids = None  # render.lids.Eyelids when blinks close the lids
        self.lips = None  # render.lips.Lips when closed lips are drawn

    # exposed for tests and benchmarks that bring their own generator and directions
    def start_with(self, gen, directions, atlas_options: dict | None = None) -> None:
        from render.frame_sources import AtlasSource, ExactSource
        from render.walk import LatentWalk

        self.walk = LatentWalk(gen, directions, self.cfg.psi)
        self.names, self.ranges = tuple(directions.names), dict(directions.ranges)
        self.speech = directions.speech
        cuda = gen.device.type == "cuda"
        self.path = self.cfg.path if self.cfg.path != "auto" else ("exact" if cuda else "atlas")
        if self.path == "exact":
            self.source = ExactSource(self.walk)
            self.walk.face(self.seed)
        else:
            levels = tuple(s for s in self.cfg.atlas_levels if s <= gen.resolution) or (gen.resolution,)
            self.source = AtlasSource(self.walk, levels, self.cfg.refine, atlas_options)
            self.source.load(self.seed)
        self.eyelids = self._drawn("eyelids")
        self.lips = self._drawn("lips")
        self._encoder = concurrent.futures.ThreadPoolExecutor(self.cfg.encode_threads, thread_name_prefix="jpeg")
        self.loop = RenderLoop(self.source, self._encoder, self.cfg.max_batch, drawn=(self.eyelids, self.lips))
        self.loop.start()
        self.log(f"avatar: {self.path} path on {gen.device.type}, face {self.seed}, controls {', '.join(self.names)}")

    def _drawn(self, feature: str):
        """The persona's drawn eyelids or lips (render/drawn.py), ready before the first frame; None where the
        config or a missing MediaPipe leaves blinks to the eyes control and closed lips to the mouth control."""
        from render.drawn import DrawnFeature
        from render.lids import Eyelids
        from render.lips import Lips

        kind, control, wanted, fallback = {
            "eyelids": (Eyelids, "eyes", self.cfg.blink == "lids", "blinks squint instead of closing the eyes"),
            "lips": (Lips, "mouth", self.cfg.lips == "drawn", "speech closes the lips with the mouth control"),
        }[feature]
        if not wanted or control not in self.names:
            return None
        if not DrawnFeature.available():
            self.log(f"avatar: MediaPipe is not installed (pip install -e '.[vectors]'): {fallback}")
            return None
        if self.path == "exact":
            size = min(256, self.walk.gen.resolution)

            def render(seed: int, controls: np.ndarray) -> np.ndarray:
                face = self.walk.face(seed)
                return self.walk.render([face] * len(controls), controls, size).numpy()
        else:
            size = min(256, max(self.source.levels))

            def render(seed: int, controls: np.ndarray) -> np.ndarray:
                return self.source.atlases[seed].render(controls, size).numpy()
        t0 = time.perf_counter()
        drawn = kind(self.names, self.ranges, render, log=self.log)
        drawn.prepare(self.seed)
        if self.seed not in drawn.tables:
            self.log(f"avatar: {fallback}")
            return None
        self.log(f"avatar: her {feature} are drawn ({feature} table in {time.perf_counter() - t0:.1f} s)")
        return drawn

    def _load(self) -> None:
        from render.directions import load_directions
        from render.generator import load_generator

        gen = load_generator(self.cfg.generator, self.cfg.device)
        directions = load_directions(self.cfg.generator, Path(self.cfg.directions) if self.cfg.directions else None)
        self.start_with(gen, directions)

    async def start(self) -> None:
        """Load the generator and directions, build or load the atlas (progress bar), start the loop."""
        await asyncio.get_running_loop().run_in_executor(None, self._load)

    async def stop(self) -> None:
        if self.loop is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.loop.stop)
            for s in list(self.loop.sessions):
                s.close()
        if self._encoder is not None:
            self._encoder.shutdown(wait=False, cancel_futures=True)

    def open_session(self, *, size: int = 256, fps: float = 30.0, quality: int = 85, seed: int | None = None,
                     clock=None, temperament: TimelineConfig | None = None) -> AvatarSession:
        """A new face stream (clock: an `OfflineClock` renders every frame for a video, ignoring wall time;
        temperament: the timeline's blinks, springs and speech rhythm, default `TimelineConfig()`)."""
        if self.loop is None:
            raise RuntimeError("AvatarRenderer.open_session before start(): await renderer.start() first")
        if size > self.walk.gen.resolution:
            raise ValueError(f"frame size {size} is larger than the generator's {self.walk.gen.resolution}")
        if self.path == "atlas" and size > max(self.source.levels):
            raise ValueError(f"the atlas path serves frames up to {max(self.source.levels)}²; ask for a smaller size")
        seed = self.seed if seed is None else seed
        timeline = ExpressionTimeline(self.names, self.ranges, seed=seed, speech=self.speech,
                                      lid_blinks=self.eyelids is not None, drawn_lips=self.lips is not None,
                                      config=temperament)
        session = AvatarSession(self.loop, timeline, size=size, fps=fps, quality=quality, seed=seed, clock=clock)
        self.loop.add(session)
        return session

    def stats(self) -> dict:
        lat = sorted(self.loop.latencies) if self.loop else []
        pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: float("nan"))
        return {"latency_median_s": pick(0.5), "latency_p95_s": pick(0.95), "frames": len(lat),
                "mean_batch": float(np.mean(self.loop.batch_sizes)) if self.loop and self.loop.batch_sizes else 0.0,
                # frames sent without their drawn lids or lips because drawing failed (/metrics shows it)
                "draw_failures": float(self.loop.draw_failures) if self.loop else 0.0}
