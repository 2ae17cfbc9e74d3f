"""Does an expression keep the person? Identity, untouched pixels, a closed blink, a speaking mouth.

Measured on the pictures of an `evaluate` sweep (the neutral face and the same face with one control
moved), per control at its range ends and halfway to them:

- identity: dlib's ResNet descriptor distance from the neutral picture (render/vectors/identity.py);
- outside change: for eyes and mouth, the mean pixel change outside that region's feathered mask
  (render/masks.py, from the neutral face's mesh), in /255 — what the edit does to the rest of the picture;
- blink: the eye aspect ratio at the bottom of a blink. The served blink draws the eyelids shut over the
  frame (render/lids.py), so that is measured on every neutral face: its eye aspect ratio open and shut and
  the identity distance of the shut face. The face mesh reads lids with MediaPipe's refined eye model here
  (the plain mesh reads a shut eye as nearly open: 0.22 against 0.29). The eyes control's lower end, the
  blink before the lids, is still in the per-control table;
- speech: the inner-lip gap (over the mouth's width) at the mouth values speech moves between
  (`meta["speech"]` of the directions, else the range ends). Served speech closes the lips by drawing them
  shut over the frame (render/lips.py), so that is measured too: on every neutral face, the gap with the lips
  drawn shut, and the identity of that face; the speech target then pairs it with the open end. Both ends are
  read with the refined mesh there (MediaPipe's lip model; the per-control table uses the plain mesh).

The targets are issue 19's; each line of `targets()` says whether it is met on these faces.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from render.vectors.scoring import FaceMeshScorer, scores_from_landmarks

IDENTITY_LIMIT = {"eyes": 0.15, "mouth": 0.15, "yaw": 0.30}  # every face, at the range ends
IDENTITY_MEDIAN = {"eyes": 0.10, "mouth": 0.10}
BLINK_EAR = 0.10
SPEECH_CLOSED, SPEECH_OPEN = 0.05, 0.30
FACE_SHARE = 0.90
REGION_OF = {"eyes": "eyes", "mouth": "mouth"}


def _median(x: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    return float(np.median(x[np.isfinite(x)])) if np.isfinite(x).any() else float("nan")


def _worst(x: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    return float(np.max(x[np.isfinite(x)])) if np.isfinite(x).any() else float("nan")


def _speech_target(target: str, closed: np.ndarray, opened: np.ndarray) -> tuple[str, str, bool]:
    """(target, measured, met) for speech: lips closed (gap ≤ SPEECH_CLOSED) and open (≥ SPEECH_OPEN) on one face."""
    both = (np.nan_to_num(closed, nan=1) <= SPEECH_CLOSED) & (np.nan_to_num(opened, nan=0) >= SPEECH_OPEN)
    share = float(np.mean(both))
    return (target, f"{share:.0%} of faces (closed: {np.mean(closed <= SPEECH_CLOSED):.0%}, median {_median(closed):.3f}; "
                    f"open: {np.mean(opened >= SPEECH_OPEN):.0%}, median {_median(opened):.3f})", share >= FACE_SHARE)


def speech_values(directions) -> tuple[float, float]:
    """The mouth values speech moves between: closed lips, a syllable's full opening."""
    lo, hi = directions.ranges["mouth"]
    speech = directions.meta.get("speech", {})
    return float(speech.get("closed", lo)), float(speech.get("open", hi))


def fidelity_values(directions, name: str) -> list[float]:
    """Values measured for a control: its range ends, halfway to them, and the speech values for the mouth."""
    lo, hi = directions.ranges[name]
    values = [lo, lo / 2, hi / 2, hi]
    if name == "mouth":
        values += list(speech_values(directions))
    return sorted(set(values))


@dataclass
class ControlFidelity:
    name: str
    values: np.ndarray  # [V]
    identity: np.ndarray  # [F, V] descriptor distance from the neutral picture
    outside: np.ndarray | None  # [F, V] mean pixel change outside the control's region (/255)
    ear: np.ndarray  # [F, V] eye aspect ratio (face mesh)
    lip_gap: np.ndarray  # [F, V] inner-lip gap over mouth width (face mesh)

    def at(self, array: np.ndarray, value: float) -> np.ndarray:
        return array[:, int(np.argmin(np.abs(self.values - value)))]


@dataclass
class LidBlink:
    """The drawn lids on each face: eye aspect ratio (refined mesh) open, shut (a blink's bottom and the "closed"
    eye level) and narrowed (the "small" eye level's closure), and the identity of the shut and narrowed faces."""

    ear_open: np.ndarray  # [F]
    ear_shut: np.ndarray  # [F]
    identity: np.ndarray  # [F]
    narrowed: float = float("nan")  # the "small" eye level's lid closure
    ear_narrowed: np.ndarray | None = None  # [F]
    identity_narrowed: np.ndarray | None = None  # [F]

    def join(self, other: "LidBlink") -> "LidBlink":
        cat = lambda x, y: None if x is None or y is None else np.concatenate([x, y])  # noqa: E731
        return LidBlink(cat(self.ear_open, other.ear_open), cat(self.ear_shut, other.ear_shut),
                        cat(self.identity, other.identity), self.narrowed, cat(self.ear_narrowed, other.ear_narrowed),
                        cat(self.identity_narrowed, other.identity_narrowed))


@dataclass
class DrawnLips:
    """The drawn lips on each face (refined mesh): inner-lip gap of the neutral face, with its lips drawn shut
    (speech between syllables and the "closed" mouth level), and at the mouth control's open speech value; the
    identity of the shut face."""

    gap_neutral: np.ndarray  # [F]
    gap_shut: np.ndarray  # [F]
    gap_open: np.ndarray  # [F]
    identity: np.ndarray  # [F]

    def join(self, other: "DrawnLips") -> "DrawnLips":
        return DrawnLips(*(np.concatenate([a, b]) for a, b in zip(
            (self.gap_neutral, self.gap_shut, self.gap_open, self.identity),
            (other.gap_neutral, other.gap_shut, other.gap_open, other.identity))))


@dataclass
class FidelityResult:
    controls: list[ControlFidelity]
    faces: int
    blink_value: float
    speech: tuple[float, float]
    labels: list[str] = field(default_factory=list)  # what the faces are, for the summary
    lids: LidBlink | None = None
    lips: DrawnLips | None = None

    def control(self, name: str) -> ControlFidelity:
        return next(c for c in self.controls if c.name == name)

    def table(self) -> str:
        """Per control and value: identity distance (median, worst, share of faces within the limit), the
        pixel change outside the region, and the eye and lip scores (medians)."""
        lines = ["| control | value | identity median | identity worst | faces ≤ limit | outside change /255 | "
                 "EAR | lip gap |", "|---|---|---|---|---|---|---|---|"]
        for c in self.controls:
            limit = IDENTITY_LIMIT.get(c.name, 0.30)
            for j, v in enumerate(c.values):
                ident = c.identity[:, j]
                out = "—" if c.outside is None else f"{np.nanmean(c.outside[:, j]):.1f}"
                lines.append(f"| {c.name} | {v:+.2f} | {np.nanmedian(ident):.3f} | {np.nanmax(ident):.3f} | "
                             f"{np.mean(np.nan_to_num(ident, nan=9) <= limit):.0%} (≤ {limit}) | {out} | "
                             f"{np.nanmedian(c.ear[:, j]):.3f} | {np.nanmedian(c.lip_gap[:, j]):.3f} |")
        if self.lids is not None:
            b = self.lids
            if b.identity_narrowed is not None:
                lines.append(f"| eyes \"small\" (lids {b.narrowed:.2f}) | {b.narrowed:.2f} | {_median(b.identity_narrowed):.3f} "
                             f"| {_worst(b.identity_narrowed):.3f} | — | — | {_median(b.ear_narrowed):.3f} (refined mesh) | |")
            lines.append(f"| blink, eyes \"closed\" (lids shut) | 1.00 | {_median(b.identity):.3f} | {_worst(b.identity):.3f} "
                         f"| — | — | {_median(b.ear_shut):.3f} (open {_median(b.ear_open):.3f}; refined mesh) | |")
        if self.lips is not None:
            m = self.lips
            lines.append(f"| mouth \"closed\", between syllables (lips drawn shut) | 0.00 | {_median(m.identity):.3f} | "
                         f"{_worst(m.identity):.3f} | — | — | | {_median(m.gap_shut):.3f} (neutral "
                         f"{_median(m.gap_neutral):.3f}; refined mesh) |")
        return "\n".join(lines)

    def targets(self) -> list[tuple[str, str, bool]]:
        """(target, measured, met) lines for issue 19's targets on these faces."""
        out = []
        for c in self.controls:
            if c.name not in IDENTITY_LIMIT:
                continue
            lo, hi = c.values.min(), c.values.max()
            ends = np.concatenate([c.at(c.identity, lo), c.at(c.identity, hi)])
            limit = IDENTITY_LIMIT[c.name]
            ok = bool(np.nanmax(ends) <= limit)
            text = f"worst {np.nanmax(ends):.3f}, median {np.nanmedian(ends):.3f}"
            target = f"identity at {c.name} ends ≤ {limit}"
            if c.name in IDENTITY_MEDIAN:
                target += f" (median ≤ {IDENTITY_MEDIAN[c.name]})"
                ok = ok and bool(np.nanmedian(ends) <= IDENTITY_MEDIAN[c.name])
            out.append((target, text, ok))
        names = [c.name for c in self.controls]
        if self.lids is not None:
            ear = self.lids.ear_shut
            share = float(np.mean(np.nan_to_num(ear, nan=1) <= BLINK_EAR))
            out.append((f"blink: EAR ≤ {BLINK_EAR} with the lids shut on ≥ {FACE_SHARE:.0%}",
                        f"{share:.0%} of faces (median EAR {_median(ear):.3f}, open "
                        f"{_median(self.lids.ear_open):.3f})", share >= FACE_SHARE))
        elif "eyes" in names:
            ear = self.control("eyes").at(self.control("eyes").ear, self.blink_value)
            share = float(np.mean(np.nan_to_num(ear, nan=1) <= BLINK_EAR))
            out.append((f"blink: EAR ≤ {BLINK_EAR} at eyes {self.blink_value:+.2f} on ≥ {FACE_SHARE:.0%}",
                        f"{share:.0%} of faces (median EAR {np.nanmedian(ear):.3f})", share >= FACE_SHARE))
        if self.lips is not None:
            out.append(_speech_target(f"speech: lip gap ≤ {SPEECH_CLOSED} with the lips drawn shut and ≥ {SPEECH_OPEN} "
                                      f"at mouth {self.speech[1]:+.2f} on ≥ {FACE_SHARE:.0%} (refined mesh)",
                                      self.lips.gap_shut, self.lips.gap_open))
        if "mouth" in names:
            m = self.control("mouth")
            out.append(_speech_target(f"speech with the mouth control alone: lip gap ≤ {SPEECH_CLOSED} at mouth "
                                      f"{self.speech[0]:+.2f} and ≥ {SPEECH_OPEN} at {self.speech[1]:+.2f} on ≥ "
                                      f"{FACE_SHARE:.0%}", m.at(m.lip_gap, self.speech[0]), m.at(m.lip_gap, self.speech[1])))
        return out

    def targets_table(self) -> str:
        lines = ["| target | measured | |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {'met' if ok else '**not met**'} |" for t, m, ok in self.targets()]
        return "\n".join(lines)

    def join(self, other: "FidelityResult") -> "FidelityResult":
        """These faces and another result's (same controls and values), e.g. the persona and the held-out faces."""
        controls = []
        for a in self.controls:
            b = other.control(a.name)
            if not np.allclose(a.values, b.values):
                raise ValueError(f"{a.name}: measured at different values")
            cat = lambda x, y: None if x is None else np.concatenate([x, y])  # noqa: E731
            controls.append(ControlFidelity(a.name, a.values, cat(a.identity, b.identity), cat(a.outside, b.outside),
                                            cat(a.ear, b.ear), cat(a.lip_gap, b.lip_gap)))
        lids = self.lids.join(other.lids) if self.lids is not None and other.lids is not None else None
        lips = self.lips.join(other.lips) if self.lips is not None and other.lips is not None else None
        return FidelityResult(controls, self.faces + other.faces, self.blink_value, self.speech,
                              self.labels + other.labels, lids, lips)


def measure_fidelity(result, directions, identity, label: str = "", progress: bool = True) -> FidelityResult:
    """Fidelity of every control of an `evaluate` result run with keep_images=True and
    extra_values from `fidelity_values`."""
    from tqdm import tqdm

    from render.masks import outside_change, region_mask

    if result.base_images is None:
        raise ValueError("evaluate(..., keep_images=True) keeps the pictures this measurement needs")
    base_img, base_lm = result.base_images, result.base_landmarks
    size = base_img.shape[1]
    boxes = [identity.box(img) for img in base_img]
    ref = identity.descriptors(base_img, boxes)
    masks = {r: [region_mask(lm, r, size) for lm in base_lm] for r in set(REGION_OF.values())}
    controls = []
    total = sum(len(c.values) * result.faces for c in result.controls)
    bar = tqdm(total=total, desc="identity", unit="face", disable=not progress)
    for rep in result.controls:
        values = np.array(fidelity_values(directions, rep.name))
        cols = [int(np.argmin(np.abs(rep.values - v))) for v in values]
        f = result.faces
        ident = np.full((f, len(values)), np.nan)
        outside = np.full((f, len(values)), np.nan) if rep.name in REGION_OF else None
        for j, col in enumerate(cols):
            pics = rep.images[:, col]
            ident[:, j] = np.linalg.norm(identity.descriptors(pics, boxes) - ref, axis=-1)
            if outside is not None:
                region = REGION_OF[rep.name]
                outside[:, j] = [outside_change(pics[i], base_img[i], masks[region][i]) for i in range(f)]
            bar.update(f)
        scores = scores_from_landmarks(rep.landmarks[:, cols])
        controls.append(ControlFidelity(rep.name, values, ident, outside, scores["eyes"], scores["lip_gap"]))
    bar.close()
    lo = directions.ranges["eyes"][0] if "eyes" in directions.names else float("nan")
    # one refined mesh (its eye and lip models read drawn lids and lips) and one read of the neutral faces for both
    mesh = FaceMeshScorer(refine=True)
    try:
        lm = mesh.landmarks(base_img)
        lids = measure_lid_blink(base_img, lm, mesh, identity, ref, boxes)
        lips = None
        if "mouth" in directions.names:
            m = next(c for c in result.controls if c.name == "mouth")
            opened = m.images[:, int(np.argmin(np.abs(m.values - speech_values(directions)[1])))]
            lips = measure_drawn_lips(base_img, lm, opened, mesh, identity, ref, boxes)
    finally:
        mesh.close()
    return FidelityResult(controls, result.faces, lo,
                          speech_values(directions) if "mouth" in directions.names else (np.nan, np.nan),
                          [label] * result.faces, lids, lips)


def _draw_on_faces(images: np.ndarray, lm: np.ndarray, geometry, closures) -> dict[float, np.ndarray]:
    """Copies of the faces [F, S, S, 3] with a drawn feature (a `render.drawn.DrawnGeometry` class, placed by
    the faces' landmarks `lm`) closed by each closure; a face without landmarks stays as it is."""
    drawn = {c: np.array(images, copy=True) for c in closures}
    for i, (img, points) in enumerate(zip(images, lm)):
        if np.isfinite(points).all():
            placed = geometry.from_landmarks(points, img.shape[0])
            for c, pics in drawn.items():
                pics[i] = placed.close(img, c)
    return drawn


def _identity_where_found(identity, pics: np.ndarray, boxes, ref: np.ndarray, found: np.ndarray) -> np.ndarray:
    return np.where(found, np.linalg.norm(identity.descriptors(pics, boxes) - ref, axis=-1), np.nan)


def measure_drawn_lips(images: np.ndarray, lm: np.ndarray, opened: np.ndarray, mesh, identity, ref: np.ndarray,
                       boxes) -> DrawnLips:
    """The drawn lips (render/lips.py) shut on neutral faces [F, S, S, 3] (their refined-mesh landmarks `lm`),
    and the same faces at the mouth's open speech value [F, S, S, 3]: inner-lip gaps read by `mesh` (refined)
    and the identity of the shut faces."""
    from render.lips import LipGeometry

    found = np.isfinite(lm).all(axis=(1, 2))
    shut = _draw_on_faces(images, lm, LipGeometry, (1.0,))[1.0]
    gap_shut = scores_from_landmarks(mesh.landmarks(shut))["lip_gap"]
    gap_shut[~found] = np.nan
    return DrawnLips(scores_from_landmarks(lm)["lip_gap"], gap_shut,
                     scores_from_landmarks(mesh.landmarks(opened))["lip_gap"],
                     _identity_where_found(identity, shut, boxes, ref, found))


def measure_lid_blink(images: np.ndarray, lm: np.ndarray, mesh, identity, ref: np.ndarray, boxes) -> LidBlink:
    """The drawn lids (render/lids.py) on neutral faces [F, S, S, 3] (their refined-mesh landmarks `lm`) as the
    live eye levels draw them (render.timeline.EYE_LID_CLOSURE): EAR open, shut and narrowed (read by `mesh`,
    refined), identity of the shut and narrowed faces."""
    from render.lids import LidGeometry
    from render.timeline import EYE_LID_CLOSURE

    narrowed = EYE_LID_CLOSURE["small"]
    found = np.isfinite(lm).all(axis=(1, 2))
    drawn = _draw_on_faces(images, lm, LidGeometry, (1.0, narrowed))
    ear = {c: scores_from_landmarks(mesh.landmarks(pics))["eyes"] for c, pics in drawn.items()}
    for e in ear.values():
        e[~found] = np.nan
    dist = {c: _identity_where_found(identity, pics, boxes, ref, found) for c, pics in drawn.items()}
    return LidBlink(scores_from_landmarks(lm)["eyes"], ear[1.0], dist[1.0], narrowed, ear[narrowed], dist[narrowed])
