"""Stopping and continuing a training run: where its checkpoint lies, which option changes it may be continued
with, Ctrl-C and SIGTERM deferred to the end of a step, and the checkpoint file itself."""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

CHECKPOINTS_DIR = ".checkpoints"  # an interrupted run's state, under the adapters folder (git-ignored)
CHECKPOINT_VERSION = 1
# options an interrupted run may be continued with changed: they do not change what it learns (max_minutes is the
# whole run's budget, and raising it is how one gives a stopped run more time)
RESUMABLE_CHANGES = frozenset({"max_minutes", "threads", "checkpoint_every"})


def checkpoint_path(out_root: Path, role: str) -> Path:
    """Where an interrupted run of `role` keeps its checkpoint: beside the adapters, not inside out_root/<role>/,
    which is replaced wholesale when the adapter is written."""
    return out_root / CHECKPOINTS_DIR / f"{role}.pt"


def config_changes(saved: dict, now: dict) -> dict[str, tuple]:
    """The options (as `asdict(TrainConfig)`) that differ between two runs in a way that changes what they learn."""
    return {k: (saved.get(k), v) for k, v in now.items() if k not in RESUMABLE_CHANGES and saved.get(k) != v}


class CheckpointMismatch(ValueError):
    """A role has a checkpoint, but of a run with other options or on other data: continuing it would train
    neither run."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a run after its checkpoint was written (a KeyboardInterrupt, so that code
    which lets Ctrl-C through lets this through too)."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


class StopRequests:
    """Ctrl-C and SIGTERM during training only ask the run to stop: the step under way completes and a checkpoint
    is written, so no half-applied optimizer step is ever saved. Outside `deferred()` (loading, caching) and on
    a second signal they interrupt at once. Handlers are installed only in the main thread (Python's rule)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.deferring = False
        self._previous: dict = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGINT, signal.SIGTERM):
                self._previous[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous.clear()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False

    def _handle(self, signum: int, frame) -> None:
        if not self.deferring or self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        tqdm.write(f"{signal.Signals(signum).name}: finishing this step, then writing a checkpoint "
                   "(press Ctrl-C again to stop at once without one)")


def read_checkpoint(path: Path, role: str, config: dict, restart: bool) -> dict | None:
    """The checkpoint to continue from, None to start afresh; refuses one of a run with other options (`config`:
    the run's `asdict(TrainConfig)`)."""
    if not path.exists():
        return None
    if restart:
        remove_checkpoint(path)
        tqdm.write(f"{role}: discarded the checkpoint of an interrupted run (--restart)")
        return None
    import torch

    try:
        saved = torch.load(path, weights_only=True)
    except Exception as e:  # a truncated or foreign file: the atomic write makes this rare, but name the way out
        raise CheckpointMismatch(f"cannot read the checkpoint {path} ({e}); add --restart to discard it") from e
    if saved.get("version") != CHECKPOINT_VERSION:
        raise CheckpointMismatch(f"{path} was written by another version of the trainer; add --restart to discard it")
    changes = config_changes(saved["config"], config)
    if changes:
        what = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in changes.items())
        raise CheckpointMismatch(
            f"{path} holds an interrupted {role} run with other options ({what}): run with the options it was "
            "started with to continue it, or add --restart to discard it and start over")
    return saved


def save_checkpoint(path: Path, state: dict) -> None:
    """`state` written atomically: a crash mid-write leaves the previous checkpoint."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def remove_checkpoint(path: Path) -> None:
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()  # only when no other role's checkpoint is there
    except OSError:
        pass


def age(seconds: float) -> str:
    """"42 minutes", "3 hours", "2 days": how old a checkpoint is."""
    if seconds < 2 * 3600:
        n, unit = round(seconds / 60), "minute"
    elif seconds < 2 * 86400:
        n, unit = round(seconds / 3600), "hour"
    else:
        n, unit = round(seconds / 86400), "day"
    return f"{n} {unit}{'' if n == 1 else 's'}"
