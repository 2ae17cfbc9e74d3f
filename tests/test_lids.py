"""Eyelids (render/lids.py): a blink shuts the eyes by warping only the eye regions, its geometry follows the
controls, the timeline hands the blink to the renderer, and a face without a mesh keeps working."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from render.lids import LOWER_LIDS, UPPER_LIDS, EyelidTable, Eyelids, LidGeometry
from render.timeline import ExpressionTimeline, TimelineConfig
from tests.drawn_fixtures import recorded_faces

SIZE = 128
SKIN, WHITE, IRIS = (205, 160, 140), (245, 245, 240), (40, 30, 30)


def synthetic_face(shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A skin-coloured frame with two almond eyes (white, dark iris) and its 468 landmarks (x, y in [0, 1])."""
    img = np.full((SIZE, SIZE, 3), SKIN, np.uint8)
    lm = np.full((468, 3), 0.5)
    for (cx, cy), upper_ids, lower_ids in zip(((40 + shift, 60), (88 + shift, 60)), UPPER_LIDS, LOWER_LIDS):
        t = np.linspace(0, np.pi, len(upper_ids))
        xs = cx - 14 * np.cos(t)
        upper = np.stack([xs, cy - 7 * np.sin(t)], 1)
        lower = np.stack([xs, cy + 6 * np.sin(t)], 1)
        cv2.fillPoly(img, [np.round(np.concatenate([upper, lower[::-1]])).astype(np.int32)], WHITE)
        cv2.circle(img, (int(round(cx)), cy), 5, IRIS, -1)
        lm[list(upper_ids), :2] = upper / SIZE
        lm[list(lower_ids), :2] = lower / SIZE
    return img, lm


def dark(img: np.ndarray) -> int:
    return int((img.max(-1) < 90).sum())


def test_a_closed_blink_hides_the_eyes_and_changes_nothing_else():
    img, lm = synthetic_face()
    geo = LidGeometry.from_landmarks(lm, SIZE)
    assert np.array_equal(geo.close(img, 0.0), img)
    half, shut = geo.close(img, 0.5), geo.close(img, 1.0)
    assert dark(img) > 100
    assert 0 < dark(half) < dark(img)                       # half-way: part of each iris still shows
    assert dark(shut) <= 0.05 * dark(img)                    # shut: the irises are gone
    whites = lambda im: int((im.min(-1) > 235).sum())        # noqa: E731
    assert whites(shut) <= 0.05 * whites(img)                # and so are the whites of the eyes
    x0, y0, x1, y1 = geo.box()
    outside = np.ones((SIZE, SIZE), bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(shut[outside], img[outside])       # nothing outside the eye regions moves
    assert np.array_equal(img, synthetic_face()[0])          # the input frame is left as it was


def test_geometry_scales_with_the_frame():
    img, lm = synthetic_face()
    big = cv2.resize(img, (2 * SIZE, 2 * SIZE), interpolation=cv2.INTER_LINEAR)
    shut = LidGeometry.from_landmarks(lm, SIZE).scaled(2 * SIZE).close(big, 1.0)
    assert dark(shut) <= 0.05 * dark(big)
    with pytest.raises(ValueError, match="geometry is for"):
        LidGeometry.from_landmarks(lm, SIZE).close(big, 1.0)
    with pytest.raises(ValueError, match="no face"):
        LidGeometry.from_landmarks(np.full((468, 3), np.nan), SIZE)


NAMES = ("eyes", "mouth", "yaw")
RANGES = {"eyes": (-1.0, 1.0), "mouth": (-1.0, 1.0), "yaw": (-1.5, 1.5)}


def shifting_face(controls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames whose eyes move 6 px per unit of yaw, and their landmarks."""
    pairs = [synthetic_face(6.0 * float(c[2])) for c in controls]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def test_the_lid_table_follows_the_head_between_its_nodes():
    table = EyelidTable.build(NAMES, RANGES, *recorded_faces(shifting_face))
    assert table.size == SIZE and set(table.axes) == {"eyes", "yaw"} and 0.0 in table.axes["yaw"]
    for yaw in (0.0, 0.37, -1.2):  # on a node and between nodes
        img, lm = synthetic_face(6.0 * yaw)
        got = table.geometry([0.0, 0.0, yaw], SIZE)
        want = LidGeometry.from_landmarks(lm, SIZE)
        assert np.allclose(got.stacked(), want.stacked(), atol=1e-6)
        assert dark(got.close(img, 1.0)) <= 0.05 * dark(img)


def test_a_node_without_a_face_borrows_its_neighbour_and_a_faceless_neutral_is_an_error():
    def render(controls):
        return shifting_face(controls)[0]

    def landmarks(frames, fail_at=None):
        out = np.stack([synthetic_face(0.0)[1] for _ in frames])
        if fail_at is not None:
            out[fail_at] = np.nan
        return out

    table = EyelidTable.build(NAMES, RANGES, render, lambda f: landmarks(f, fail_at=0))
    assert np.isfinite(table.points).all()
    centre = (len(table.axes["eyes"]) // 2) * len(table.axes["yaw"]) + len(table.axes["yaw"]) // 2
    with pytest.raises(ValueError, match="neutral frame"):
        EyelidTable.build(NAMES, RANGES, render, lambda f: landmarks(f, fail_at=centre))


def _first_blink_bottom(tl: ExpressionTimeline) -> float:
    start = tl.blink_times(0.0, 30.0)[0]
    ts = np.arange(start, start + 0.4, 0.005)
    return float(ts[int(np.argmax([tl.blink(t) for t in ts]))])


def test_with_lid_blinks_the_timeline_hands_the_blink_to_the_renderer():
    squint = ExpressionTimeline(NAMES, RANGES, seed=5)
    lids = ExpressionTimeline(NAMES, RANGES, seed=5, lid_blinks=True)
    t = _first_blink_bottom(lids)
    assert lids.blink(t) > 0.9
    assert squint.controls(t)["eyes"] < RANGES["eyes"][0] + 0.2       # the old blink: eyes control at its end
    assert abs(lids.controls(t)["eyes"]) < 0.1                         # with lids: the expression stays
    before = lids.blink_times(0.0, 30.0)[0] - 0.05                  # just before the first blink: open
    assert lids.blink(before) == 0.0 and abs(lids.controls(before)["eyes"] - squint.controls(before)["eyes"]) < 1e-9


def test_with_lid_blinks_narrowed_and_closed_eyes_lower_the_lids_instead_of_squinting():
    still = TimelineConfig(blink_mean_s=1e6, blink_min_s=1e6)  # no blinks: only the expression moves the lids
    squint = ExpressionTimeline(NAMES, RANGES, seed=5, config=still)
    lids = ExpressionTimeline(NAMES, RANGES, seed=5, config=still, lid_blinks=True)
    for tl in (squint, lids):
        tl.set_expression(eyes="closed", at=1.0)
    assert lids.eyelids(0.9) == 0.0
    assert lids.eyelids(3.0) > 0.97                                   # shut and held
    assert squint.controls(3.0)["eyes"] < 0.8 * RANGES["eyes"][0]      # the squint instead
    assert abs(lids.controls(3.0)["eyes"] - squint.controls(0.9)["eyes"]) < 0.05  # eyes control left alone
    lids.set_expression(eyes="small", at=3.0)
    assert 0.3 < lids.eyelids(6.0) < 0.5 and lids.controls(6.0)["eyes"] > -0.05
    lids.set_expression(eyes="wide", at=6.0)                          # widening still uses the control
    assert lids.eyelids(9.0) < 0.01 and lids.controls(9.0)["eyes"] > 0.3 * RANGES["eyes"][1]
    lids.set_expression(eyes="small", at=9.0)
    lids.cancel(12.0)                                                 # barge-in opens them again
    assert lids.eyelids(15.0) == 0.0                                  # exactly: an open frame draws no lids


def test_a_blink_from_half_shut_lids_still_shuts_them():
    lids = ExpressionTimeline(NAMES, RANGES, seed=5, lid_blinks=True)
    lids.set_expression(eyes="small", at=0.0)
    start = lids.blink_times(2.0, 60.0)[0]  # the lids have settled at "small" by then
    ts = np.arange(start, start + 0.4, 0.005)
    assert 0.3 < lids.eyelids(start - 0.01) < 0.5
    assert max(lids.eyelids(t) for t in ts) > 0.95
    assert all(lids.eyelids(t) >= lids.blink(t) for t in ts)


class _Session(SimpleNamespace):
    pass


def _request(seed: int, blink: float):
    return SimpleNamespace(session=_Session(seed=seed), controls=[0.0, 0.0, 0.0], blink=blink)


def test_eyelids_close_only_blinking_frames_and_a_face_without_a_mesh_keeps_streaming(monkeypatch):
    monkeypatch.setattr("render.face_mesh.FaceMesh.__init__", lambda self, refine=False: None)
    built = threading.Event()

    def render(seed, controls):
        if seed == 2:
            built.set()
            raise RuntimeError("no atlas for this face")
        return shifting_face(controls)[0]

    eyelids = Eyelids(NAMES, RANGES, render, log=lambda s: None)
    eyelids._mesh = SimpleNamespace(landmarks=lambda frames: np.stack([synthetic_face(0.0)[1] for _ in frames]))
    eyelids.prepare(1)
    assert 1 in eyelids.tables
    img = synthetic_face()[0]
    out = [eyelids.draw(r, img) for r in (_request(1, 0.0), _request(1, 1.0), _request(2, 1.0))]
    assert out[0] is img and out[2] is img                          # no blink; a face whose table is not ready
    assert dark(out[1]) <= 0.05 * dark(img)
    assert built.wait(5)
    for _ in range(100):
        if 2 in eyelids.errors:
            break
        threading.Event().wait(0.02)
    assert "no atlas" in eyelids.errors[2]
    assert eyelids.draw(_request(2, 1.0), img) is img               # and it keeps streaming without lids


def test_held_lids_reuse_their_sample_map_and_look_the_same_as_drawn_afresh(monkeypatch):
    monkeypatch.setattr("render.face_mesh.FaceMesh.__init__", lambda self, refine=False: None)
    eyelids = Eyelids(NAMES, RANGES, lambda seed, controls: shifting_face(controls)[0], log=lambda s: None)
    eyelids._mesh = SimpleNamespace(landmarks=lambda frames: np.stack([synthetic_face(0.0)[1] for _ in frames]))
    eyelids.prepare(1)
    img = synthetic_face()[0]

    def request(yaw, mouth, closure):
        return SimpleNamespace(session=_Session(seed=1), controls=[0.0, mouth, yaw], blink=closure)
    # a held half-shut lid while she speaks (the mouth moves every frame) and her head sways a little
    frames = [(0.1 + 0.0004 * k, 0.3 * (k % 2), 0.4) for k in range(12)]
    for yaw, mouth, closure in frames:
        got = eyelids.draw(request(yaw, mouth, closure), img)
        fresh = eyelids.tables[1].geometry([0.0, mouth, yaw], img.shape[0]).close(img, closure)
        assert np.abs(got.astype(int) - fresh.astype(int)).max() <= 8      # sub-pixel: edge pixels only
        assert np.abs(got.astype(int) - fresh.astype(int)).mean() < 0.05
    assert eyelids.map_hits >= 6 and eyelids.map_misses <= 6               # the mouth is not part of the key
    eyelids.draw(request(0.1, 0.0, 1.0), img)                             # another closure: another map
    assert eyelids.map_misses <= 7


@pytest.mark.real_weights
def test_the_persona_blinks_shut_on_the_real_generator(face_generator):
    pytest.importorskip("mediapipe")
    from render.directions import load_directions
    from render.face_mesh import FaceMesh
    from render.vectors.scoring import scores_from_landmarks
    from render.walk import LatentWalk
    from weights.manifest import load_persona

    directions = load_directions()
    walk = LatentWalk(face_generator, directions)
    seed = load_persona()[0]
    face = walk.face(seed)
    mesh = FaceMesh(refine=True)
    table = EyelidTable.build(directions.names, directions.ranges,
                              lambda c: walk.render([face] * len(c), c, 256).numpy(), mesh.landmarks)
    controls = np.zeros((1, len(directions.names)), np.float32)
    controls[0, directions.names.index("yaw")] = 0.3  # between the table's nodes: a head mid-sway
    frame = walk.render([face], controls, 256)[0].numpy()
    geometry = table.geometry(controls[0], 256)
    shut = geometry.close(frame, 1.0)
    ear_open, ear_shut = scores_from_landmarks(mesh.landmarks(np.stack([frame, shut])))["eyes"]
    assert ear_open > 0.25 and ear_shut < 0.6 * ear_open   # the mesh sees her eyes shut
    x0, y0, x1, y1 = geometry.box()
    outside = np.ones(frame.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(shut[outside], frame[outside])
    mesh.close()
