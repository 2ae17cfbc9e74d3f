"""Measure expression directions on faces not used for fitting.

For every evaluation face and control, a sweep of control values is rendered and scored with the face
mesh. Reported per control: the Pearson r between control value and the control's own score (mean over
faces, and the share of faces passing the previous system's per-face bar), the cross effects (how far
each other score moves over the control's full range, in that score's population std), the identity
drift (face-mesh landmarks outside the edited region, after removing pose and scale, against the
distance between two different people), and how far beyond the committed range the edit stays clean.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from render.vectors.scoring import SCORE_NAMES, scores_from_landmarks

EVAL_FIRST_SEED = 2_000_000  # evaluation faces: disjoint from the sampling dataset's seeds
PASS_BAR = {"eyes": 0.92, "mouth": 0.88, "yaw": 0.88, "pitch": 0.88, "smile": 0.88}
SWEEP_STEPS = 7
PROBE_VALUES = (1.25, 1.5, 2.0)  # multiples of the range's ends, probed on a few faces
# identity drift beyond the distance between two different people counts as an artefact
DRIFT_LIMIT = 1.0


def _mesh_regions() -> dict[str, set[int]]:
    from mediapipe.python.solutions import face_mesh_connections as c

    def points(*sets: frozenset) -> set[int]:
        return {i for s in sets for edge in s for i in edge}

    return {
        "eyes": points(c.FACEMESH_LEFT_EYE, c.FACEMESH_RIGHT_EYE, c.FACEMESH_LEFT_EYEBROW,
                       c.FACEMESH_RIGHT_EYEBROW),
        "mouth": points(c.FACEMESH_LIPS),
        "smile": points(c.FACEMESH_LIPS),
    }


def edited_region(control: str, ref: np.ndarray, regions: dict[str, set[int]]) -> np.ndarray:
    """Boolean mask [468] of the landmarks a control is meant to move (on the face `ref` [468, 3])."""
    mask = np.zeros(len(ref), bool)
    mask[list(regions.get(control, set()))] = True
    if control in ("mouth", "smile"):
        mask |= ref[:, 1] > ref[0, 1]  # everything below the upper lip: the jaw moves with an open mouth
    return mask


def procrustes_residual(moved: np.ndarray, ref: np.ndarray, keep: np.ndarray) -> float:
    """Mean distance of the kept landmarks after the best rotation, scale and shift of `moved` onto
    `ref`, over the reference's inter-ocular distance (outer eye corners)."""
    a, b = moved[keep].astype(np.float64), ref[keep].astype(np.float64)
    a0, b0 = a - a.mean(0), b - b.mean(0)
    u, s, vt = np.linalg.svd(a0.T @ b0)
    d = np.sign(np.linalg.det(u @ vt))
    s[-1] *= d
    u[:, -1] *= d
    rot = u @ vt
    scale = s.sum() / (a0 ** 2).sum()
    aligned = scale * a0 @ rot
    return float(np.linalg.norm(aligned - b0, axis=1).mean() / np.linalg.norm(ref[33] - ref[263]))


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of x [V] against each row of y [F, V], ignoring NaN entries; NaN where undefined."""
    out = np.full(len(y), np.nan)
    for i, row in enumerate(y):
        ok = np.isfinite(row)
        if ok.sum() >= 3 and np.std(row[ok]) > 0:
            out[i] = np.corrcoef(x[ok], row[ok])[0, 1]
    return out


def slope_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of each row of y [F, V] on x [V], ignoring NaN entries."""
    out = np.full(len(y), np.nan)
    for i, row in enumerate(y):
        ok = np.isfinite(row)
        if ok.sum() >= 2:
            out[i] = np.polyfit(x[ok], row[ok], 1)[0]
    return out


@dataclass
class ControlReport:
    name: str
    values: np.ndarray  # [V] control values of the sweep
    r: np.ndarray  # [F] per-face Pearson r (NaN: the face was lost or the score did not move)
    bar: float
    cross: dict[str, float]  # score -> mean change over the full range / population std (signed)
    cross_faces: dict[str, np.ndarray]  # score -> [F] the same per face
    drift: float  # mean identity drift at the range ends, share of inter-ocular distance
    lost: int  # sweep images where no face was found
    usable: tuple[float, float] = (float("nan"), float("nan"))
    probe_notes: list[str] = field(default_factory=list)
    landmarks: np.ndarray | None = None  # [F, V, 468, 3] the sweep's landmarks (to rescore offline)
    images: np.ndarray | None = None  # [F, V, S, S, 3] uint8 the sweep's pictures (kept on request)
    also_r: dict[str, np.ndarray] = field(default_factory=dict)  # r against related extra scores, per face

    @property
    def mean_r(self) -> float:
        return float(np.nanmean(self.r)) if np.isfinite(self.r).any() else float("nan")

    @property
    def pass_share(self) -> float:
        return float(np.mean(np.nan_to_num(self.r, nan=-1.0) >= self.bar))


def control_report(name: str, values: np.ndarray, landmarks: np.ndarray, score_std: dict[str, float],
                   regions: dict[str, set[int]]) -> ControlReport:
    """Metrics of one control from its sweep landmarks [F, V, 468, 3] (values [V], 0 among them)."""
    scores = scores_from_landmarks(landmarks)  # name -> [F, V]
    r = pearson_rows(values, scores[name])
    span = values.max() - values.min()
    cross_faces = {s: slope_rows(values, scores[s]) * span / score_std[s] for s in scores if s in score_std}
    cross = {s: float(np.nanmean(v)) for s, v in cross_faces.items()}
    zero = int(np.argmin(np.abs(values)))
    ends = (0, len(values) - 1)
    drifts = []
    for f in range(landmarks.shape[0]):
        ref = landmarks[f, zero]
        if np.isnan(ref).any():
            continue
        keep = ~edited_region(name, ref, regions)
        for e in ends:
            if not np.isnan(landmarks[f, e]).any():
                drifts.append(procrustes_residual(landmarks[f, e], ref, keep))
    lost = int(np.isnan(landmarks).any(axis=(2, 3)).sum())
    also = {}
    if name == "mouth" and "lip_gap" in scores:  # the first mouth score, kept for comparison
        also["lip_gap"] = pearson_rows(values, scores["lip_gap"])
    return ControlReport(name, values, r, PASS_BAR.get(name, 0.88), cross, cross_faces,
                         float(np.mean(drifts)) if drifts else float("nan"), lost, also_r=also)


def different_person_drift(landmarks: np.ndarray) -> float:
    """The same drift measure between consecutive different faces [F, 468, 3]: identity-change scale."""
    keep = np.ones(landmarks.shape[1], bool)
    d = [procrustes_residual(landmarks[i + 1], landmarks[i], keep) for i in range(len(landmarks) - 1)
         if not (np.isnan(landmarks[i]).any() or np.isnan(landmarks[i + 1]).any())]
    return float(np.mean(d)) if d else float("nan")


def render_landmarks(gen, w: np.ndarray, scorer, score_size: int, batch: int = 8, bar=None,
                     images: list | None = None) -> np.ndarray:
    """Render latents w [N, 512] or w+ [N, n_styles, 512] and return their face-mesh landmarks [N, 468, 3]
    (the pictures at `score_size` are appended to `images` when it is given)."""
    import torch

    from render.images import to_uint8

    out = []
    for i in range(0, len(w), batch):
        img = to_uint8(gen.synthesize(torch.from_numpy(np.ascontiguousarray(w[i:i + batch], np.float32))), score_size)
        out.append(scorer.landmarks(img))
        if images is not None:
            images.extend(img)
        if bar is not None:
            bar.update(len(img))
    return np.concatenate(out)


def edited_latents(directions, w0: np.ndarray, k: int, values: np.ndarray) -> np.ndarray:
    """w0 [F, D] with control k at each of `values` [V] (not clamped: probes go past the range) ->
    [F * V, D], or w+ [F * V, n_styles, D] for per-layer directions; face-major order."""
    if directions.layers is None:
        offsets = values[:, None] * directions.vectors[k].numpy().astype(np.float64)  # [V, D]
        return (w0[:, None, :] + offsets[None]).reshape(-1, w0.shape[1])
    plus = directions.plus_vectors()[k].numpy().astype(np.float64)  # [L, D]
    w = w0[:, None, None, :] + values[None, :, None, None] * plus[None, None]
    return w.reshape(-1, *plus.shape)


def sweep_values(lo: float, hi: float, steps: int = SWEEP_STEPS) -> np.ndarray:
    values = np.linspace(lo, hi, steps)
    if not (values == 0).any():  # the face itself is always in the sweep
        values = np.sort(np.append(values, 0.0))
    return values


@dataclass
class EvalResult:
    controls: list[ControlReport]
    faces: int
    person_drift: float
    score_std: dict[str, float]
    lost_faces: int  # evaluation faces without landmarks at control 0 (dropped)
    probe_faces: int = 0
    kept: np.ndarray | None = None  # [F0] which of the given faces were measured (the others had no landmarks)
    base_images: np.ndarray | None = None  # [F, S, S, 3] the neutral faces (kept with the sweep pictures)
    base_landmarks: np.ndarray | None = None  # [F, 468, 3]

    def table(self) -> str:
        """The measurement table as Markdown."""
        head = ("| control | range | mean r | faces passing (bar) | identity drift | usable range | "
                + " | ".join(f"Δ{s}" for s in SCORE_NAMES) + " |")
        lines = [head, "|" + "---|" * (6 + len(SCORE_NAMES))]
        for c in self.controls:
            cross = " | ".join(("**" if s == c.name else "") + f"{c.cross[s]:+.2f}" + ("**" if s == c.name else "")
                               for s in SCORE_NAMES)
            usable = "not probed" if np.isnan(c.usable[0]) else f"{c.usable[0]:+.2f} … {c.usable[1]:+.2f}"
            lines.append(f"| {c.name} | {c.values.min():+.2f} … {c.values.max():+.2f} | {c.mean_r:.3f} | "
                         f"{c.pass_share:.0%} (r ≥ {c.bar}) | {c.drift:.1%} | {usable} | {cross} |")
        return "\n".join(lines)

    def summary(self) -> str:
        return (f"{self.faces} evaluation faces ({self.lost_faces} without landmarks dropped); identity drift is "
                f"the mean landmark movement outside the edited region at the range ends, after removing pose "
                f"and scale, in inter-ocular distances (two different people: {self.person_drift:.1%}); "
                f"Δscore = mean change of each score over the control's full range, in population stds "
                f"({', '.join(f'{k} {v:.3g}' for k, v in self.score_std.items())})"
                + (f"; usable range probed on {self.probe_faces} faces at ×{', ×'.join(f'{m:g}' for m in PROBE_VALUES)} "
                   f"of the range ends" if self.probe_faces else "")
                + "".join(f"; {c.name} against {k} instead: mean r {np.nanmean(v):.3f}, "
                          f"{np.mean(np.nan_to_num(v, nan=-1.0) >= c.bar):.0%} of faces pass"
                          for c in self.controls for k, v in c.also_r.items() if np.isfinite(v).any())
                + ".")

    def face_table(self, face: int = 0, cross_limit: float = 0.5) -> str:
        """One face's measurement as Markdown (a row per control): its r against the per-face bar and
        the change of every score over the range; "passes" when the bar is met and every cross effect is
        under `cross_limit` population stds. Used for the persona, whose own face must pass everything."""
        head = ("| control | r (bar) | " + " | ".join(f"Δ{s}" for s in SCORE_NAMES) + " | passes |")
        lines = [head, "|" + "---|" * (3 + len(SCORE_NAMES))]
        for c in self.controls:
            cross = " | ".join(("**" if s == c.name else "") + f"{c.cross_faces[s][face]:+.2f}"
                               + ("**" if s == c.name else "") for s in SCORE_NAMES)
            lines.append(f"| {c.name} | {c.r[face]:.3f} (≥ {c.bar}) | {cross} | "
                         f"{'yes' if self.face_passes(face, cross_limit)[c.name] else '**no**'} |")
        return "\n".join(lines)

    def face_passes(self, face: int = 0, cross_limit: float = 0.5) -> dict[str, bool]:
        """Per control, on one face: r meets the bar and every cross effect is under `cross_limit` std."""
        return {c.name: bool(np.nan_to_num(c.r[face], nan=-1.0) >= c.bar)
                and all(abs(v[face]) < cross_limit for s, v in c.cross_faces.items()
                        if s != c.name and s in SCORE_NAMES)
                for c in self.controls}

    def passes(self, cross_limit: float = 0.5) -> dict[str, bool]:
        """Per control: every face passes its bar and every cross effect is under `cross_limit` std."""
        return {c.name: c.pass_share == 1.0 and all(abs(v) < cross_limit for s, v in c.cross.items()
                                                     if s != c.name and s in SCORE_NAMES)
                for c in self.controls}


def evaluate(gen, directions, w0: np.ndarray, scorer, score_std: dict[str, float], score_size: int = 256,
             steps: int = SWEEP_STEPS, probe_faces: int = 0, batch: int = 8, progress: bool = True,
             controls: tuple[str, ...] | None = None, extra_values: dict[str, list[float]] | None = None,
             keep_images: bool = False) -> EvalResult:
    """Sweep every control of `directions` over its range on the faces w0 [F, 512] and measure it.

    probe_faces > 0 also renders the first faces at PROBE_VALUES × the range ends to find how far the
    edit stays clean (face found, identity drift under DRIFT_LIMIT of the different-person distance).
    extra_values adds control values to a sweep (the identity measurement's halves of the range);
    keep_images keeps every picture for measures that need pixels (render/vectors/fidelity.py).
    """
    from tqdm import tqdm

    regions = _mesh_regions()
    base_images: list = []
    base = render_landmarks(gen, w0, scorer, score_size, batch, images=base_images)
    found = ~np.isnan(base).any(axis=(1, 2))
    w0, base = w0[found], base[found]
    base_images = np.stack(base_images)[found] if keep_images else None
    person = different_person_drift(base)
    names = [n for n in directions.names if controls is None or n in controls]
    sweeps = {n: np.union1d(sweep_values(*directions.ranges[n], steps), (extra_values or {}).get(n, []))
              for n in names}
    total = sum(len(w0) * (len(v) - 1) for v in sweeps.values())
    total += probe_faces * 2 * len(PROBE_VALUES) * len(names)
    bar = tqdm(total=total, desc="evaluate", unit="face", disable=not progress)
    reports = []
    for name in names:
        k = directions.index(name)
        values = sweeps[name]
        zero = int(np.flatnonzero(values == 0)[0])
        moving = np.delete(values, zero)
        w = edited_latents(directions, w0, k, moving)
        pictures: list | None = [] if keep_images else None
        lm = render_landmarks(gen, w, scorer, score_size, batch, bar, pictures).reshape(len(w0), len(moving), -1, 3)
        lm = np.insert(lm, zero, base, axis=1)
        rep = control_report(name, values, lm, score_std, regions)
        rep.landmarks = lm.astype(np.float32)
        if keep_images:
            shape = (len(w0), len(moving), score_size, score_size, 3)
            rep.images = np.insert(np.stack(pictures).reshape(shape), zero, base_images, axis=1)
        if probe_faces:
            rep.usable, rep.probe_notes = _probe(gen, w0[:probe_faces], directions, k, name, directions.ranges[name],
                                                 base[:probe_faces], scorer, score_size, batch, person, regions,
                                                 bar)
        reports.append(rep)
    bar.close()
    return EvalResult(reports, len(w0), person, score_std, int((~found).sum()), min(probe_faces, len(w0)), found,
                      base_images, base.astype(np.float32) if keep_images else None)


def _probe(gen, w0, directions, k, name, rng, base, scorer, score_size, batch, person, regions, bar):
    """How far beyond each end of the range the edit stays clean on the probe faces."""
    usable, notes = [], []
    for end in rng:
        values = np.array([end * m for m in PROBE_VALUES])
        w = edited_latents(directions, w0, k, values)
        lm = render_landmarks(gen, w, scorer, score_size, batch, bar).reshape(len(w0), len(values), -1, 3)
        ok_until = end
        for j, v in enumerate(values):
            lost = np.isnan(lm[:, j]).any(axis=(1, 2))
            drift = [procrustes_residual(lm[f, j], base[f], ~edited_region(name, base[f], regions))
                     for f in range(len(w0)) if not lost[f]]
            worst = max(drift) if drift else float("inf")
            if lost.any() or worst > DRIFT_LIMIT * person:
                notes.append(f"{name} {v:+.2f}: {int(lost.sum())} faces lost, worst drift {worst:.1%}")
                break
            ok_until = v
        usable.append(float(ok_until))
    return (usable[0], usable[1]), notes


def sweep_picture(gen, directions, w: np.ndarray, steps: int = 7, size: int = 192) -> np.ndarray:
    """One face, each control swept over its range left to right (a row per control): [H, W, 3] uint8."""
    import torch

    from render.images import contact_sheet, to_uint8

    tiles, labels = [], []
    for k, name in enumerate(directions.names):
        values = np.linspace(*directions.ranges[name], steps)
        ws = edited_latents(directions, w[None].astype(np.float64), k, values)
        tiles.append(to_uint8(gen.synthesize(torch.from_numpy(ws.astype(np.float32))), size))
        labels += [f"{name} {v:+.2f}" for v in values]
    return contact_sheet(np.concatenate(tiles), labels, steps)


def measure_effects(gen, vectors: np.ndarray, w0: np.ndarray, scorer, score_names: list[str],
                    score_std: dict[str, float], score_size: int = 256, step: float = 0.5, batch: int = 8,
                    progress: bool = True) -> np.ndarray:
    """effects[i, j]: mean change of score i (population stds) per unit of vectors[j], from renders of
    w0 ± step·vectors[j] (central difference over the faces w0 [F, D]; faces lost by the mesh skipped)."""
    from tqdm import tqdm

    n, f = len(vectors), len(w0)
    signs = np.array([-step, step])
    w = (w0[:, None, None, :] + signs[None, None, :, None] * vectors[None, :, None, :]).reshape(-1, w0.shape[1])
    bar = tqdm(total=len(w), desc="measure effects", unit="face", disable=not progress)
    lm = render_landmarks(gen, w, scorer, score_size, batch, bar).reshape(f, n, 2, -1, 3)
    bar.close()
    scores = scores_from_landmarks(lm)  # name -> [F, n, 2]
    effects = np.zeros((len(score_names), n))
    for i, name in enumerate(score_names):
        diff = (scores[name][..., 1] - scores[name][..., 0]) / (2 * step) / score_std[name]  # [F, n]
        effects[i] = np.nanmean(diff, axis=0)
    return effects
