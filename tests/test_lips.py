"""Drawn lips (render/lips.py): closed lips hide the teeth by warping only the mouth region, the table follows
the mouth and the head, the timeline shuts them at lip consonants, and the render loop draws them."""
from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from render.lips import INNER_LOWER, INNER_UPPER, MOUTH_CORNERS, OUTER_LOWER, OUTER_UPPER, LipGeometry, Lips, LipTable
from render.timeline import ExpressionTimeline, TimelineConfig
from tests.drawn_fixtures import recorded_faces

SIZE = 128
SKIN, LIP, TEETH = (205, 160, 140), (190, 60, 70), (250, 250, 245)


def synthetic_mouth(opening: float = 8.0, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A skin-coloured frame with an open mouth (red lips around white teeth, `opening` px between the inner
    lips) centred at (64 + shift, 80), and its 468 landmarks (x, y in [0, 1])."""
    img = np.full((SIZE, SIZE, 3), SKIN, np.uint8)
    lm = np.full((468, 3), 0.5)
    cx, cy = 64 + shift, 80.0
    t = np.linspace(0, np.pi, len(INNER_UPPER) + 2)[1:-1]
    xs = cx - 22 * np.cos(t)
    inner_up = np.stack([xs, cy - opening / 2 * np.sin(t)], 1)
    inner_lo = np.stack([xs, cy + opening / 2 * np.sin(t)], 1)
    outer_up = np.stack([xs, cy - (opening / 2 + 6) * np.sin(t) - 1], 1)
    outer_lo = np.stack([xs, cy + (opening / 2 + 7) * np.sin(t) + 1], 1)
    corners = np.array([[cx - 24, cy], [cx + 24, cy]])
    outline = np.concatenate([corners[:1], outer_up, corners[1:], outer_lo[::-1]])
    cv2.fillPoly(img, [np.round(outline).astype(np.int32)], LIP)
    cv2.fillPoly(img, [np.round(np.concatenate([inner_up, inner_lo[::-1]])).astype(np.int32)], TEETH)
    for ids, pts in ((INNER_UPPER, inner_up), (INNER_LOWER, inner_lo), (OUTER_UPPER, outer_up),
                     (OUTER_LOWER, outer_lo), (MOUTH_CORNERS, corners)):
        lm[list(ids), :2] = pts / SIZE
    return img, lm


def teeth(img: np.ndarray) -> int:
    return int((img.min(-1) > 235).sum())


def reddish(img: np.ndarray) -> int:
    return int(((img[..., 0].astype(int) - img[..., 1]) > 100).sum())


def test_closed_lips_hide_the_teeth_keep_the_lips_and_change_nothing_else():
    img, lm = synthetic_mouth()
    geo = LipGeometry.from_landmarks(lm, SIZE)
    assert np.array_equal(geo.close(img, 0.0), img)
    half, shut = geo.close(img, 0.5), geo.close(img, 1.0)
    assert teeth(img) > 150
    assert 0 < teeth(half) < teeth(img)                 # half-way: part of the teeth still show
    assert teeth(shut) <= 0.03 * teeth(img)             # shut: no teeth between the lips
    assert reddish(shut) >= 0.7 * reddish(img)          # the lips are still there, pressed together
    x0, y0, x1, y1 = geo.box()
    outside = np.ones((SIZE, SIZE), bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(shut[outside], img[outside])  # nothing outside the mouth region moves
    assert np.array_equal(img, synthetic_mouth()[0])    # the input frame is left as it was
    with pytest.raises(ValueError, match="no face"):
        LipGeometry.from_landmarks(np.full((468, 3), np.nan), SIZE)


NAMES = ("eyes", "mouth", "yaw")
RANGES = {"eyes": (-1.0, 1.0), "mouth": (-1.2, 1.6), "yaw": (-1.5, 1.5)}


def moving_mouth(controls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames whose mouth opens 6 px per unit of the mouth control and moves 5 px per unit of yaw."""
    pairs = [synthetic_mouth(max(2.0, 8.0 + 6.0 * float(c[1])), 5.0 * float(c[2])) for c in controls]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def test_the_lip_table_follows_the_mouth_and_the_head_between_its_nodes():
    table = LipTable.build(NAMES, RANGES, *recorded_faces(moving_mouth))
    assert set(table.axes) == {"mouth", "yaw"} and 0.0 in table.axes["mouth"]
    for mouth, yaw in ((0.0, 0.0), (0.5, 0.37), (1.4, -1.1)):  # on a node and between nodes
        img, lm = synthetic_mouth(8.0 + 6.0 * mouth, 5.0 * yaw)
        got = table.geometry([0.0, mouth, yaw], SIZE)
        assert np.allclose(got.stacked(), LipGeometry.from_landmarks(lm, SIZE).stacked(), atol=1e-6)
        assert teeth(got.close(img, 1.0)) <= 0.03 * teeth(img)


def _speaking(seed: int = 3, lips: bool = True) -> ExpressionTimeline:
    still = TimelineConfig(blink_mean_s=1e6, blink_min_s=1e6)
    tl = ExpressionTimeline(NAMES, RANGES, seed=seed, config=still, speech=(-1.2, 1.6), drawn_lips=lips)
    tl.answer_started(1.0)
    tl.token("안녕하세요 오늘 날씨가 정말 좋네요", 1.0)
    tl.answer_ended(1.0)
    return tl


def test_with_drawn_lips_speech_shuts_the_lips_at_lip_consonants_without_the_grin():
    drawn, grin = _speaking(), _speaking(lips=False)
    ts = np.arange(1.0, drawn.speaking_until, 0.01)
    lips = np.array([drawn.lips(t) for t in ts])
    mouth = np.array([drawn.controls(t)["mouth"] for t in ts])
    assert drawn.lips(0.5) == 0.0                               # silent before: nothing drawn
    assert (lips > 0.95).any()                                  # shut at the ㅁ of 정말
    assert ((lips > 0.2) & (lips < 0.8)).mean() > 0.1            # part of the way between other syllables
    assert (mouth[lips == 0.0] > 0.8).any()                     # and clearly open at a syllable's peak
    assert mouth.min() > -0.1                                   # never toward the grin at -1.2 (breathing aside)
    assert mouth.max() > 0.9 * 1.6                              # an open vowel reaches the open value
    assert min(grin.controls(t)["mouth"] for t in ts) < -0.8     # which the mouth control alone goes to
    assert max(grin.lips(t) for t in ts) == 0.0                 # and it draws nothing
    assert drawn.lips(drawn.speaking_until + 1.0) == 0.0         # silence afterwards: exactly nothing drawn


def test_with_drawn_lips_the_closed_mouth_level_shuts_the_lips_and_a_syllable_parts_them():
    still = TimelineConfig(blink_mean_s=1e6, blink_min_s=1e6)
    tl = ExpressionTimeline(NAMES, RANGES, seed=5, config=still, drawn_lips=True)
    tl.set_expression(mouth="closed", at=1.0)
    assert tl.lips(0.9) == 0.0
    assert tl.lips(3.0) > 0.97 and abs(tl.controls(3.0)["mouth"]) < 0.1   # shut by drawing, control left alone
    tl.set_expression(mouth="small", at=3.0)
    assert 0.4 < tl.lips(6.0) < 0.6
    tl.token("네", 6.0)
    assert min(tl.lips(t) for t in np.arange(6.0, 6.2, 0.005)) < 0.05       # the syllable opens them
    tl.cancel(7.0)
    assert tl.lips(10.0) == 0.0


class _Session(SimpleNamespace):
    pass


def test_lips_are_drawn_only_on_frames_that_ask_and_after_the_eyelids(monkeypatch):
    monkeypatch.setattr("render.face_mesh.FaceMesh.__init__", lambda self, refine=False: None)
    lips = Lips(NAMES, RANGES, lambda seed, controls: moving_mouth(controls)[0], log=lambda s: None)
    lips._mesh = SimpleNamespace(landmarks=lambda frames: np.stack([synthetic_mouth()[1] for _ in frames]))
    lips.prepare(1)
    img = synthetic_mouth()[0]

    def request(closure, blink=0.0):
        return SimpleNamespace(session=_Session(seed=1), controls=[0.0, 0.0, 0.0], blink=blink, lips=closure)
    assert lips.draw(request(0.0, blink=1.0), img) is img     # a blink alone is not the lips' business
    assert teeth(lips.draw(request(1.0), img)) <= 0.03 * teeth(img)


@pytest.mark.real_weights
def test_the_persona_closes_her_lips_on_the_real_generator(face_generator):
    pytest.importorskip("mediapipe")
    from render.directions import load_directions
    from render.face_mesh import FaceMesh
    from render.vectors.scoring import scores_from_landmarks
    from render.walk import LatentWalk
    from weights.manifest import load_persona

    directions = load_directions()
    walk = LatentWalk(face_generator, directions)
    face = walk.face(load_persona()[0])
    mesh = FaceMesh(refine=True)
    table = LipTable.build(directions.names, directions.ranges,
                           lambda c: walk.render([face] * len(c), c, 256).numpy(), mesh.landmarks)
    controls = np.zeros((1, len(directions.names)), np.float32)
    controls[0, directions.names.index("mouth")] = -0.3  # between the table's nodes: a syllable closing
    controls[0, directions.names.index("yaw")] = 0.2
    frame = walk.render([face], controls, 256)[0].numpy()
    geometry = table.geometry(controls[0], 256)
    shut = geometry.close(frame, 1.0)
    gap_open, gap_shut = scores_from_landmarks(mesh.landmarks(np.stack([frame, shut])))["lip_gap"]
    assert gap_shut <= 0.05 and gap_shut < 0.5 * gap_open   # the mesh sees her lips closed
    x0, y0, x1, y1 = geometry.box()
    outside = np.ones(frame.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(shut[outside], frame[outside])
    mesh.close()


def test_a_drawing_that_fails_still_delivers_the_frame():
    import concurrent.futures

    from render.render_loop import FrameRequest, RenderLoop

    class Broken:
        def draw(self, req, frame):
            raise RuntimeError("mesh table corrupt")

    delivered, failed = [], []
    session = SimpleNamespace(quality=80, fps=30.0, deliver=delivered.append, fail=lambda msg, seq: failed.append(msg))
    source = SimpleNamespace(interpolated=False)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        loop = RenderLoop(source, pool, drawn=(Broken(), None))
        req = FrameRequest(session, 0, 0, [0.0, 0.0, 0.0], lips=1.0, taken=0.0)
        loop._encode(req, synthetic_mouth()[0])
    assert len(delivered) == 1 and not failed and loop.draw_failures == 1
