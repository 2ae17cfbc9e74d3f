"""Classifiers on fine-tuned top e5 layers: tiny random BERT layers (unit) and the shipped ones (integration)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dialogue.classifiers import (ETHICS_LABELS, HEADS_DIR, TOPIC_LABELS, EthicsClassifier, TopicChangeClassifier,
                                  persona_predictions)
from dialogue.evaluation.thresholds import choose_change_threshold, choose_flag_threshold, choose_persona_threshold
from dialogue.layer_classifier import LayerClassifier, LayerEnsemble, is_layer_classifier
from dialogue.training.classifier_layers import all_topic_pairs, changed_partners
from tests.conftest import require_prepared


def _tiny(pair: bool, labels=ETHICS_LABELS) -> LayerClassifier:
    from transformers import BertConfig
    from transformers.models.bert.modeling_bert import BertLayer

    config = BertConfig(hidden_size=16, num_attention_heads=2, intermediate_size=32)
    torch.manual_seed(0)
    return LayerClassifier([BertLayer(config) for _ in range(2)], labels, 10, pair).eval()


def test_padding_does_not_change_a_prediction():
    model = _tiny(pair=False)
    states = [torch.randn(n, 16) for n in (3, 9, 5)]
    together = model.predict_proba(states)
    alone = np.concatenate([model.predict_proba([s]) for s in states])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert np.allclose(together.sum(1), 1, atol=1e-5)


def test_pair_model_reads_both_texts_and_their_order():
    model = _tiny(pair=True, labels=TOPIC_LABELS)
    a, b, c = torch.randn(4, 16), torch.randn(6, 16), torch.randn(5, 16)
    p = model.predict_proba([a, a, b], [b, c, a])
    assert not np.allclose(p[0], p[1]) and not np.allclose(p[0], p[2])
    np.testing.assert_allclose(p[:1], model.predict_proba([a], [b]), atol=1e-5)
    with pytest.raises(ValueError):
        model.logits([a])


def test_save_and_load_round_trip_in_half_precision(tmp_path):
    from transformers import BertConfig

    model = _tiny(pair=False)
    model.temperature, model.meta = 1.7, {"flag_below_normal": 0.05}
    model.save(tmp_path / "ethics")
    assert is_layer_classifier(tmp_path / "ethics")
    again = LayerClassifier.load(tmp_path / "ethics", BertConfig(hidden_size=16, num_attention_heads=2,
                                                                 intermediate_size=32))
    assert again.labels == ETHICS_LABELS and again.from_layer == 10 and again.meta["flag_below_normal"] == 0.05
    states = [torch.randn(7, 16)]
    np.testing.assert_allclose(again.predict_proba(states), model.predict_proba(states), atol=2e-3)
    # loaded for inference with fp16-packed layers (x86 CPU) it predicts the same, and is not saved by mistake
    packed = LayerClassifier.load(tmp_path / "ethics", BertConfig(hidden_size=16, num_attention_heads=2,
                                                                  intermediate_size=32), packed=True)
    np.testing.assert_allclose(packed.predict_proba(states), again.predict_proba(states), atol=1e-5)
    with pytest.raises(RuntimeError, match="inference"):
        packed.save(tmp_path / "again")


def test_a_seed_ensemble_reads_as_the_mean_of_its_members_and_loads_from_its_files(tmp_path):
    from transformers import BertConfig

    config = BertConfig(hidden_size=16, num_attention_heads=2, intermediate_size=32)
    first, second = _tiny(pair=False), _tiny(pair=False)
    torch.manual_seed(1)
    second.head.reset_parameters()  # another seed's member predicts otherwise
    states = [torch.randn(7, 16), torch.randn(4, 16)]
    together = LayerEnsemble([first, second]).predict_proba(states)
    np.testing.assert_allclose(together, (first.predict_proba(states) + second.predict_proba(states)) / 2, atol=1e-6)
    assert np.allclose(together.sum(1), 1, atol=1e-5)
    # stored as the first member, whose json lists the others, and the others beside it
    LayerEnsemble([first, second]).save(tmp_path / "ethics", ["ethics-seed1"])
    assert is_layer_classifier(tmp_path / "ethics-seed1")
    loaded = LayerEnsemble.load(tmp_path / "ethics", config)
    assert isinstance(loaded, LayerEnsemble) and len(loaded.members) == 2 and loaded.labels == ETHICS_LABELS
    np.testing.assert_allclose(loaded.predict_proba(states), together, atol=3e-3)
    # a lone model loads as itself; a missing member says how to rebuild it
    second.save(tmp_path / "topic")
    assert isinstance(LayerEnsemble.load(tmp_path / "topic", config), LayerClassifier)
    (tmp_path / "ethics-seed1.layers.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="--seeds"):
        LayerEnsemble.load(tmp_path / "ethics", config)
    with pytest.raises(ValueError, match="names"):
        LayerEnsemble([first, second]).save(tmp_path / "again", [])
    with pytest.raises(ValueError, match="share"):
        LayerEnsemble([first, _tiny(pair=True, labels=TOPIC_LABELS)])


def test_flag_threshold_is_chosen_for_macro_f1_within_the_false_flag_bound():
    # 100 normal messages (3 look offensive), 20 offensive ones, two categories besides normal
    p_normal = np.array([0.99] * 97 + [0.3, 0.08, 0.004] + [0.001] * 10 + [0.15] * 10)
    p = np.stack([p_normal, (1 - p_normal) * 0.9, (1 - p_normal) * 0.1], 1)
    y = np.array([0] * 100 + [1] * 20)
    # τ = 0.2 catches every offence but flags 2 normal messages; τ ≤ 0.05 keeps to 1% but misses half the
    # offences, which costs far more than 0.02 macro-F1: the gate keeps the better τ
    tau = choose_flag_threshold(p, y, max_false=0.01)
    assert tau == 0.2
    # when the bound is cheap it is kept: with no offence near the edge, τ stays within 1% false flags
    p2 = p.copy()
    p2[110:, 0], p2[110:, 1] = 0.001, 0.9
    tau2 = choose_flag_threshold(p2, y, max_false=0.01)
    assert tau2 == 0.002 and np.mean(p2[:100, 0] < tau2) == 0


def test_change_threshold_is_arg_max_unless_another_does_better_on_val():
    changed = np.array([True] * 10 + [False] * 10)
    # well separated around 0.5: arg-max (0.5) is as good as any and wins the tie
    p = np.array([0.9] * 10 + [0.1] * 10)
    assert choose_change_threshold(p, changed) == (0.5, 1.0)
    # changes scored 0.3–0.4 (the model leans to "continued"): a lower threshold recovers them
    p = np.array([0.35] * 8 + [0.9] * 2 + [0.1] * 10)
    t, acc = choose_change_threshold(p, changed)
    assert 0.1 < t <= 0.35 and acc == 1.0


def test_all_topic_pairs_adds_only_train_pairings_and_never_calls_a_generic_reply_a_change():
    rows = [{"previous": f"{t} summary", "message": m, "label": "continued", "lang": "en", "group": t, "split": sp}
            for t, sp in (("dog", "train"), ("exam", "train"), ("cafe", "val"))
            for m in (f"{t} follow-up", "why?")]
    pairs = all_topic_pairs(rows)
    assert all(r["split"] == "train" for r in pairs) and not any("cafe" in r["message"] for r in pairs)
    assert {(r["previous"], r["message"], r["label"]) for r in pairs} >= {
        ("dog summary", "exam follow-up", "changed"), ("exam summary", "dog follow-up", "changed")}
    assert all(r["label"] == "continued" for r in pairs if r["message"] == "why?")


def test_fresh_change_partners_come_from_other_train_topics_in_the_same_language():
    rows = [{"previous": f"{t} summary", "message": m, "label": "continued", "lang": "en", "group": t, "split": sp}
            for t, sp in (("dog", "train"), ("exam", "train"), ("game", "train"), ("cafe", "val"))
            for m in (f"{t} follow-up", f"{t} 후속", "why?")]
    rows += [{"previous": "dog summary", "message": "exam follow-up", "label": "changed", "lang": "en", "group": "dog",
              "split": "train"},
             {"previous": "dog summary", "message": "anyway, exam follow-up", "label": "changed", "lang": "en",
              "group": "dog", "split": "train"}]
    partners = changed_partners(rows)
    # only the plain change gets new partners (a switch phrase stays as written); never its own topic, a
    # generic reply, another language or a held-out topic
    assert list(partners) == [len(rows) - 2]
    assert partners[len(rows) - 2] == ["exam follow-up", "game follow-up"]


# ---- integration: the shipped classifiers on the real encoder ---------------------------------------

@pytest.fixture(scope="module")
def real_encoder():
    require_prepared("multilingual-e5-small")
    from dialogue.encoder import shared_encoder

    return shared_encoder()


@pytest.mark.real_weights
def test_one_encoder_pass_serves_embedding_and_both_classifiers(real_encoder):
    assert is_layer_classifier(HEADS_DIR / "ethics") and is_layer_classifier(HEADS_DIR / "topic")
    ethics, topic = EthicsClassifier(real_encoder), TopicChangeClassifier(real_encoder)
    message = "내일 친구랑 한강에서 자전거 타기로 했어"
    real_encoder.clear_cache()
    assert ethics.classify(message)[0] == "normal"
    # the gate's pass left the message's embedding in the cache, equal to sentence-transformers' own on the
    # fp32 weights up to the fp16 packing of the layers (~3e-5 per dimension measured)
    assert ("query", message) in real_encoder._cache
    reference = real_encoder.model.encode([message], prompt_name="query", normalize_embeddings=True)[0]
    np.testing.assert_allclose(real_encoder.encode_one(message), reference, atol=2e-4)
    assert float(real_encoder.encode_one(message) @ reference) > 0.9999
    assert topic.changed("사용자가 시험 공부 때문에 걱정함", "그건 그렇고 내일 한강 가서 자전거 탈 거야")
    assert not topic.changed("The user is learning to play the piano", "so what happened?")  # a reply keeps context


def test_persona_threshold_trades_unasked_facts_against_missed_questions():
    # rows: none, none, nature, name; probabilities over (none, name, nature)
    p = np.array([[0.5, 0.1, 0.4], [0.9, 0.05, 0.05], [0.3, 0.1, 0.6], [0.1, 0.85, 0.05]])
    y = np.array([0, 0, 2, 1])
    np.testing.assert_array_equal(persona_predictions(p, 0.0), [0, 0, 2, 1])
    np.testing.assert_array_equal(persona_predictions(p, 0.7), [0, 0, 0, 1])  # below 0.7 nothing is shown
    threshold, accuracy = choose_persona_threshold(p, y)
    assert accuracy == 1.0 and threshold == 0.6  # the highest threshold that keeps every decision right


@pytest.mark.real_weights
def test_shipped_persona_question_classifier_finds_the_asked_fact(real_encoder):
    from dialogue.classifiers import PersonaQuestionClassifier

    assert is_layer_classifier(HEADS_DIR / "persona")
    persona = PersonaQuestionClassifier(real_encoder)
    assert 0.0 < persona.threshold < 1.0
    # phrasings of the held-out split (never trained on) and everyday messages that ask nothing of her
    asked = {"Are you a robot?": "nature", "What's your MBTI?": "mbti", "너 생일이 언제야?": "birthday",
             "어느 대학교 다녀?": "university", "이름이 뭐야?": "name"}
    assert persona.aspects(list(asked)) == list(asked.values())
    assert persona.aspects(["내일 친구랑 카페 가기로 했어", "I had pasta for lunch today"]) == ["", ""]
    # the user's own facts are not hers; a question about her may ride on the user's fact
    assert persona.aspects(["내 MBTI 기억나?", "do you remember where I work?", "I'm 27. how about you?"]) == ["", "", "age"]
    # an advance is not a question about what she is: the gate's romance flag on it stays (ABOUT_HER_ABOVE)
    assert persona.asked_fact("could we date? I'm serious")[1] < 0.99


def test_fused_packed_bert_layers_compute_what_the_transformers_layers_do():
    from transformers import BertConfig
    from transformers.models.bert.modeling_bert import BertLayer

    from dialogue.encoder import additive_mask
    from dialogue.packed_weights import PackedBertLayer, packed_bert_layers

    torch.manual_seed(0)
    config = BertConfig(hidden_size=32, num_attention_heads=4, intermediate_size=64)
    layers = torch.nn.ModuleList(BertLayer(config) for _ in range(3)).eval()
    fused = packed_bert_layers(layers)
    assert all(isinstance(layer, PackedBertLayer) for layer in fused)
    h = torch.randn(2, 9, 32)
    mask = torch.ones(2, 9, dtype=torch.long)
    mask[1, 5:] = 0  # a padded second message
    ext = additive_mask(mask)
    with torch.inference_mode():
        want, got = h, h
        for reference, packed in zip(layers, fused):
            want = reference(want, attention_mask=ext)
            want = want[0] if isinstance(want, tuple) else want
            got = packed(got, attention_mask=ext)
    real = mask.bool()
    torch.testing.assert_close(got[real], want[real], atol=2e-3, rtol=2e-3)  # fp16 weights, fp32 maths


@pytest.mark.real_weights
def test_without_the_persona_classifier_memory_topic_and_safety_still_load(real_encoder, tmp_path, monkeypatch, caplog):
    import logging

    import dialogue.classifiers as classifiers
    from dialogue.conversation import build_collaborators

    heads = tmp_path / "classifiers"
    heads.mkdir()
    for f in HEADS_DIR.iterdir():
        if not f.name.startswith("persona"):
            (heads / f.name).symlink_to(f)
    monkeypatch.setattr(classifiers, "HEADS_DIR", heads)
    with caplog.at_level(logging.WARNING):
        found = build_collaborators(str(tmp_path / "dialogue.sqlite"))
    assert {"memory", "topics", "safety"} <= found.keys() and "persona" not in found
    assert "classifiers train --task persona" in caplog.text


@pytest.mark.real_weights
def test_the_gate_answers_questions_about_her_that_read_as_offences_and_still_declines_an_advance(real_encoder, tmp_path):
    from datetime import datetime

    from dialogue.conversation import build_collaborators

    found = build_collaborators(str(tmp_path / "dialogue.sqlite"))
    gate = found["safety"]
    assert gate.about_her is found["persona"]
    now = datetime(2026, 12, 5, 10, 0).astimezone()
    # flagged without confidence, and confidently a question about her body: she answers it
    body = gate.classifier.judge("do you have a body?")
    assert body.category == "sexual" and not body.offence
    assert gate.check_user_message("u", "do you have a body?", now).action == "allow"
    # flagged without confidence as an insult, and a question about her school: she answers it
    assert gate.classifier.judge("대학 어디 다니냐").category == "insult"
    assert gate.check_user_message("u", "대학 어디 다니냐", now).action == "allow"
    # a terse "r u a bot" that the classifier is sure is an insult: a question about her, declined, never counted
    assert gate.classifier.judge("r u a bot").offence
    assert gate.check_user_message("u", "r u a bot", now).action == "decline"
    assert gate.policy.offences("u") == 0
    advance = gate.check_user_message("u", "will you be my girlfriend?", now)
    assert (advance.action, advance.category) == ("decline", "romance")


def test_persona_question_classifier_runs_its_head_once_per_message_for_the_gate_and_the_prompt():
    from dialogue.classifiers import PersonaQuestionClassifier

    class Encoder:
        def token_states(self, texts, from_layer, kind, full=False):
            return np.zeros((len(texts), 3, 4), dtype=np.float32)

    class Head:
        labels, meta, from_layer, calls = ["none", "name", "age"], {"threshold": 0.5}, 9, 0

        def predict_proba(self, states):
            Head.calls += 1
            return np.tile(np.array([[0.1, 0.2, 0.7]], dtype=np.float32), (len(states), 1))

    persona = PersonaQuestionClassifier(Encoder(), Head())
    assert persona.asked_fact("몇 살이야?") == ("age", pytest.approx(0.7))  # the ethics gate's question
    assert persona.aspect("몇 살이야?") == "age"  # the answer prompt's, same message: no second head pass
    assert Head.calls == 1
    persona.predict_proba(["몇 살이야?"])[0, 2] = 0.0  # a caller changing its result changes nothing kept
    assert persona.aspect("몇 살이야?") == "age" and Head.calls == 1
    assert persona.aspect("이름이 뭐야?") == "age" and Head.calls == 2  # another message runs the head


def test_seeds_for_an_ensemble_are_checked_before_any_training():
    from dialogue.classifier_commands import _seed_list

    assert _seed_list("0,1,2") == [0, 1, 2] and _seed_list("3, 7") == [3, 7]
    for bad in ("0", "1,1", "0,one", ""):
        with pytest.raises(SystemExit, match="--seeds"):
            _seed_list(bad)


@pytest.mark.real_weights
def test_a_polite_name_question_is_not_an_offence(real_encoder):
    from dialogue.classifiers import plain_honorifics

    ethics = EthicsClassifier(real_encoder)
    # 성함 is the polite word for a name; the classifier had read its 성 as sex and counted the question
    for message in ("성함이 어떻게 되세요?", "안녕하세요~ 성함 여쭤봐도 될까요?", "존함이 어떻게 되세요?"):
        assert ethics.judge(message).category == "normal", message
    assert plain_honorifics("성함이 뭐예요") == "이름이 뭐예요"
    assert ethics.judge("가슴 만져봐도 돼?").offence  # the words it should flag still count


@pytest.mark.real_weights
def test_short_laughter_and_texting_abbreviations_never_count_toward_a_block(real_encoder):
    ethics = EthicsClassifier(real_encoder)
    # the fine-tuned layers alone had counted "개웃기네 ㅋㅋ" (someone laughing) as an insult and declined "cya"
    for message in ("개웃기네 ㅋㅋ", "와 개쩐다 ㅋㅋ", "ㅋㅋㅋ 개웃기네", "cya", "ikr", "hbu?", "ㅂㅂ"):
        assert not ethics.judge(message).offence, message
    for message in ("ㅋㅋㅋ 개웃기네", "cya", "ikr", "hbu?"):
        assert ethics.judge(message).category == "normal", message
    for message in ("병신아", "ㅅㅂ 꺼져", "가슴 만져봐도 돼?"):
        assert ethics.judge(message).offence, message  # short offences still count
    # a mild insult is declined; whether it counts is the offence threshold's call, chosen on validation so that
    # ordinary messages like "ㅂㅂ" are not counted
    assert ethics.judge("야 너 진짜 멍청하다").category == "insult"
