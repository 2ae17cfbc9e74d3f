"""Classifier heads (unit, stand-in encoder) and the committed heads on the real encoder (integration)."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from dialogue.classifiers import ETHICS_LABELS, EmbeddingHead, EthicsClassifier, TopicChangeClassifier, pair_features
from dialogue.evaluation.metrics import expected_calibration_error
from dialogue.training.heads import fit_head, fit_temperature
from tests.conftest import require_prepared
from tests.dialogue_fakes import HashingEncoder


def _blobs(n=300, d=16, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((k, d)) * 3
    y = rng.integers(0, k, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def test_fit_head_learns_and_round_trips(tmp_path):
    x, y = _blobs()
    head = fit_head(x[:200], y[:200], ("a", "b", "c"))
    assert (head.predict_proba(x[200:]).argmax(1) == y[200:]).mean() > 0.9
    head.temperature = fit_temperature(head, x[200:], y[200:])
    head.meta = {"flag_below_normal": 0.7}
    head.save(tmp_path / "h")
    again = EmbeddingHead.load(tmp_path / "h")
    assert again.labels == ("a", "b", "c") and again.meta["flag_below_normal"] == 0.7
    np.testing.assert_allclose(again.predict_proba(x), head.predict_proba(x), atol=1e-6)


def test_temperature_calibrates_overconfident_head():
    x, y = _blobs(n=400, k=2, d=4, seed=1)
    x = x / 3  # overlapping classes
    head = fit_head(x[:200], y[:200], ("a", "b"), c=1e4)
    head.layers = [(w * 20, b * 20) for w, b in head.layers]  # make it badly overconfident
    before = expected_calibration_error(head.predict_proba(x[200:]), y[200:])
    head.temperature = fit_temperature(head, x[200:], y[200:])
    assert expected_calibration_error(head.predict_proba(x[200:]), y[200:]) < before


def test_binary_head_and_topic_detector_with_stand_in_encoder():
    enc = HashingEncoder()
    prev = ["강아지 산책 이야기", "시험 공부 걱정", "카페 약속"] * 10
    same = ["강아지 산책 또 갔어", "시험 공부 더 해야지", "카페 약속 몇 시야"] * 10
    other = ["시험 공부 더 해야지", "카페 약속 몇 시야", "강아지 산책 또 갔어"] * 10
    a, b, c = enc.encode(prev), enc.encode(same), enc.encode(other)
    x = np.concatenate([pair_features(a, b), pair_features(a, c)])
    y = np.array([0] * 30 + [1] * 30)
    head = fit_head(x, y, ("continued", "changed"))
    det = TopicChangeClassifier(enc, head)
    assert not det.changed("강아지 산책 이야기", "강아지 산책 또 갔어")
    assert det.changed("강아지 산책 이야기", "시험 공부 더 해야지")
    assert det.changed("", "아무 말")  # no previous turn: nothing to continue


def test_ethics_classifier_flags_only_below_normal_threshold():
    enc = HashingEncoder()
    w = np.zeros((6, enc.dim), np.float32)
    head = EmbeddingHead(ETHICS_LABELS, [(w, np.array([2.0, 0, 1.0, 0, 0, 0], np.float32))],
                         meta={"flag_below_normal": 0.9})
    clf = EthicsClassifier(enc, head)
    category, p = clf.classify("anything")  # P(normal) ≈ 0.62 < 0.9: flagged as the likeliest other
    assert category == "politics" and 0 < p < 1
    clf.flag_below = 0.5
    assert clf.classify("anything")[0] == "normal"


def test_character_ngram_head_reads_spelling_round_trips_and_mixes_into_the_ethics_classifier(tmp_path):
    from dialogue.classifiers import CharNgramHead, mix_probabilities
    from dialogue.training.ngram_head import fit_ngram_head

    normal = ["존맛탱 ㅋㅋ", "개웃겨 진짜", "오늘 날씨 좋다", "떡볶이 먹을래", "영화 보러 가자", "산책 가고 싶어"] * 4
    insult = ["ㅅㅂ 꺼져", "시 발 놈아", "ㅂㅅ아 닥쳐", "꺼져 ㅅㅂ", "닥쳐 병 신아", "ㅅ ㅂ 바보"] * 4
    others = [f"{t} {i}" for i, t in enumerate(["누구 뽑아", "사귀자", "혐오", "야한"] * 6)]
    texts = normal + insult + others
    y = np.array([0] * len(normal) + [3] * len(insult) + [2, 1, 4, 5] * 6)
    head = fit_ngram_head(texts, y, (1, 3), 4.0)
    p = head.predict_proba(["ㅅㅂ 진짜 꺼져", "존맛 떡볶이"])
    assert p[0].argmax() == 3 and p[1].argmax() == 0          # spelling the e5 layers smooth away
    head.weight = 0.4
    head.save(tmp_path / "ethics")
    again = CharNgramHead.load(tmp_path / "ethics")
    assert again.weight == 0.4 and again.vocabulary == head.vocabulary
    assert np.allclose(again.predict_proba(["ㅅㅂ 꺼져"]), head.predict_proba(["ㅅㅂ 꺼져"]), atol=1e-3)  # fp16 coef
    assert CharNgramHead.load(tmp_path / "missing") is None
    flat = np.full((1, 6), 1 / 6)
    assert np.allclose(mix_probabilities(flat, again.predict_proba(["ㅅㅂ 꺼져"]), 0.0), flat)
    enc = HashingEncoder()
    uniform = EmbeddingHead(ETHICS_LABELS, [(np.zeros((6, enc.dim), np.float32), np.zeros(6, np.float32))],
                            meta={"flag_below_normal": 0.2})
    assert EthicsClassifier(enc, uniform).ngrams is None      # a head of one's own: no committed n-grams mixed in
    again.weight = 1.0                                          # the mix is then the n-gram head's own call
    mixed = EthicsClassifier(enc, uniform, ngrams=again)
    assert np.allclose(mixed.predict_proba(["ㅅㅂ 꺼져"]), again.predict_proba(["ㅅㅂ 꺼져"]), atol=1e-5)
    assert mixed.classify("ㅅㅂ 꺼져")[0] == "insult"
    assert mixed.classify("존맛 떡볶이")[0] == "normal"



def test_character_ngram_features_are_scikit_learns_tfidf_vectors():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dialogue.training.ngram_head import fit_ngram_head

    texts = ["존맛탱 ㅋㅋ", "개웃겨 진짜", "ㅅㅂ 꺼져", "시 발 놈아", "Kill IT bro", "you  are\tgreat", "a", "ㅋ", "Straße 😂😂",
             "ok ok ok ok"] * 3
    y = np.arange(len(texts)) % 6
    for ngram_range in ((1, 3), (1, 5), (2, 4)):
        head = fit_ngram_head(texts, y, ngram_range, 4.0)
        reference = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=True, sublinear_tf=True,
                                    vocabulary={g: i for i, g in enumerate(head.vocabulary)})
        reference.idf_ = head.idf.astype(np.float64)
        queries = texts + ["", "   ", "ZZZ unseen", "꺼져  ㅅㅂ 꺼져", "k"]
        z = np.asarray(reference.transform(queries) @ head.coef.T) + head.intercept
        expected = np.exp(z - z.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
        assert np.allclose(head.predict_proba(queries), expected, atol=1e-5), ngram_range

# ---- integration: the committed heads on the real encoder ----------------------------------------

@pytest.fixture(scope="module")
def real_encoder():
    require_prepared("multilingual-e5-small")
    from dialogue.encoder import shared_encoder

    return shared_encoder()


def test_ethics_evaluation_reports_each_writers_file_apart(monkeypatch):
    import dialogue.evaluation.classifiers as evaluation
    from types import SimpleNamespace

    rows = [{"text": "병신아", "label": "insult", "lang": "ko", "split": "test", "source": "heldout/ethics.jsonl"},
            {"text": "점심 뭐 먹지", "label": "normal", "lang": "ko", "split": "test", "source": "heldout/ethics.jsonl"},
            {"text": "개웃기네 ㅋㅋ", "label": "normal", "lang": "ko", "split": "test",
             "source": "heldout/ethics-writerB.jsonl"},
            {"text": "ㅂㅅ같네", "label": "insult", "lang": "ko", "split": "test", "source": "heldout/ethics-writerB.jsonl"}]
    monkeypatch.setattr(evaluation, "task_rows", lambda task: rows)
    monkeypatch.setattr(evaluation, "ordinary_messages", lambda split: ["오늘 날씨 좋다"])

    class Reads:  # flags "병신아" (counted) and "개웃기네 ㅋㅋ" (declined), misses "ㅂㅅ같네"
        head = SimpleNamespace(labels=ETHICS_LABELS, layers=[0, 1, 2, 3])
        encoder = SimpleNamespace(clear_cache=lambda: None)
        flag_below, strike_below = 0.5, 0.01

        def predict_proba(self, texts):
            p = {"병신아": 0.001, "개웃기네 ㅋㅋ": 0.2}
            return np.array([[p.get(t, 0.99), 0, 0, 1 - p.get(t, 0.99), 0, 0] for t in texts])

        def classify(self, text):
            return "normal", 1.0

    r = evaluation.evaluate_classifier("ethics", Reads(), "test")
    first, second = r["by_source"]["heldout/ethics.jsonl"], r["by_source"]["heldout/ethics-writerB.jsonl"]
    assert (first["normal_declined_rate"], first["offensive_caught_rate"], first["macro_f1"]) == (0.0, 1.0, 1.0)
    assert (second["normal_declined_rate"], second["offensive_caught_rate"]) == (1.0, 0.0)
    assert r["normal_declined_rate"] == 0.5
    from dialogue.evaluation.reports import classifier_report
    assert "| heldout/ethics-writerB.jsonl | 2 (1) |" in classifier_report(r)


def test_ordinary_validation_chat_comes_from_every_writers_open_and_persona_file(monkeypatch, tmp_path):
    import json

    import dialogue.data.written as written
    from dialogue.evaluation.splits import ordinary_messages

    folder = tmp_path / "validation"
    folder.mkdir()
    (folder / "open.jsonl").write_text(json.dumps({"message": "점심 뭐 먹지"}) + "\n"
                                       + json.dumps({"message": "너 바보지", "category": "boundary"}) + "\n")
    (folder / "persona-writerB.jsonl").write_text(json.dumps({"message": "r u a bot"}) + "\n")
    (folder / "openers.jsonl").write_text(json.dumps({"message": "not an open-domain set"}) + "\n")
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    assert ordinary_messages("val") == ["점심 뭐 먹지", "r u a bot"]


@pytest.mark.real_weights
def test_committed_heads_on_real_encoder(real_encoder):
    ethics = EthicsClassifier(real_encoder)
    p = ethics.predict_proba(["오늘 점심 뭐 먹었어?"])[0]
    assert abs(p.sum() - 1) < 1e-5
    assert ethics.classify("오늘 점심은 김치찌개 먹었어")[0] == "normal"
    assert ethics.classify("로라야 나랑 사귀자, 내 여자친구 해줘")[0] == "romance"
    assert ethics.classify("send me a sexy picture of you")[0] == "sexual"


@pytest.mark.real_weights
def test_memory_end_to_end_on_real_encoder(real_encoder, tmp_path):
    from dialogue.database import open_database
    from dialogue.memory import MemoryStore

    now = datetime(2026, 11, 29, 14, 0).astimezone()
    store = MemoryStore(open_database(tmp_path / "d.sqlite3"), real_encoder)
    store.remember_many("u", [("내일 일정", "친구랑 카페 방문"), ("좋아하는 음식", "떡볶이"), ("반려동물", "강아지 초코")],
                        "t", now)
    best = store.search("u", "내일 뭐 하지?", now, k=3)
    assert best[0].as_text() == "[내일 일정: 친구랑 카페 방문]"
    assert best[0].score > best[1].score
    # the calibrated relevance model: the user's own fact comes back, a question about Oh-LoRA's doesn't
    assert store.relevance is not None
    store.remember("u", "생일", "5월 3일", "t", now)
    assert store.retrieve("u", "내일 나 뭐 하기로 했더라?", now).value == "친구랑 카페 방문"
    assert store.retrieve("u", "로라 너는 생일이 언제야?", now) is None
