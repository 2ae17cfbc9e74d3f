"""Dates and ages the memory role stores are made to agree with the message (dialogue.memory_values): a 270M
role counts days badly ("다음주 월요일" stored as a day three weeks on) and misreads Korean age words."""
from __future__ import annotations

from datetime import date

import pytest

from dialogue.memory_values import Named, checked_memories, named_time, stated_ages

WED = date(2026, 2, 4)  # a Wednesday


@pytest.mark.parametrize("message, named", [
    ("다음주 월요일에 이사해 ㅠ", Named(date(2026, 2, 9), "day")),
    ("담주 금요일에 제주도 가!", Named(date(2026, 2, 13), "day")),
    ("이번 주 토요일에 동창회", Named(date(2026, 2, 7), "day")),
    ("지난주 화요일에 면접 봤어", Named(date(2026, 1, 27), "day")),
    ("금요일에 발표 있어", Named(date(2026, 2, 6), "day")),
    ("수요일에 병원 가", Named(date(2026, 2, 11), "day")),  # said on a Wednesday: the next one
    ("나 다음달 7일에 토익 시험 봄", Named(date(2026, 3, 7), "day")),
    ("지난달에 춘천으로 이사함", Named(date(2026, 1, 1), "month")),
    ("이번주 세번 나감", Named(date(2026, 2, 2), "week")),
    ("내일 치과 예약 있어", Named(date(2026, 2, 5), "day")),
    ("flying to lisbon next friday", Named(date(2026, 2, 13), "day")),
    ("my mom's party is this saturday", Named(date(2026, 2, 7), "day")),
    ("starting at a bakery on monday", Named(date(2026, 2, 9), "day")),
    ("I had an interview last tuesday", Named(date(2026, 2, 3), "day")),
    ("moving out next month", Named(date(2026, 3, 1), "month")),
    ("started law school this week", Named(date(2026, 2, 2), "week")),
    ("tomorrow is my dentist appointment", Named(date(2026, 2, 5), "day")),
])
def test_the_day_a_message_names_relative_to_its_turn(message, named):
    assert named_time(message, WED) == named


@pytest.mark.parametrize("message", [
    "매주 월요일 요가 가", "every monday I swim", "I love mondays",
    "4월 둘째주 토요일에 결혼식",           # the weekday belongs to a date the message gives itself
    "나 내일 건강검진이라 오늘 저녁부터 금식",  # two days: which one the fact is about is not known
    "finally quit last week, starting at the bakery on monday",
    "요즘 너무 피곤해", "이번 달 30일에 이사",  # no day at all; a day February does not have
])
def test_no_day_when_the_message_names_none_or_several(message):
    assert named_time(message, WED) is None


@pytest.mark.parametrize("message, ages", [
    ("저는 대구 사는 스물세살 대학생이에요", {23}), ("서른일곱살 아줌마예요", {37}), ("스무살 됐다", {20}),
    ("우리 애 7살이에요", {7}), ("hey! I'm Marcus, 34, I run a bike shop", {34}),
    ("software dev in Lagos, 27", {27}), ("my daughter just turned 6", {6}), ("오늘 날씨 좋다", set()),
])
def test_stated_ages(message, ages):
    assert stated_ages(message) == ages


def test_a_wrong_date_is_replaced_by_the_day_the_message_names():
    assert checked_memories([("이사", "2026년 3월 1일 (월)")], "다음주 월요일에 이사해 ㅠ", WED) == [
        ("이사", "2026년 2월 9일 월요일")]
    assert checked_memories([("trip", "flying to Lisbon on February 4, 2026")], "flying to lisbon next friday", WED) == [
        ("trip", "flying to Lisbon on Friday, February 13, 2026")]
    assert checked_memories([("이사", "2026년 2월 4일 춘천")], "지난달에 춘천으로 이사함", WED) == [("이사", "2026년 1월 춘천")]


def test_a_date_that_agrees_is_left_as_the_role_wrote_it():
    same = [("이사", "2026년 2월 9일")]
    assert checked_memories(same, "다음주 월요일에 이사해", WED) == same
    month = [("school", "started law school in February 2026")]
    assert checked_memories(month, "started law school this week", WED) == month
    undated = [("job", "bakery")]
    assert checked_memories(undated, "starting at a bakery on monday", WED) == undated
    # no day named: the role's date stays (it may come from the message itself)
    own = [("결혼식", "4월 둘째 주 토요일")]
    assert checked_memories(own, "4월 둘째주 토요일에 대학 동기 결혼식", WED) == own


def test_ages_follow_the_message_and_ages_no_one_stated_are_dropped():
    assert checked_memories([("나이", "38살"), ("전공", "건축학")], "저는 스물세살 대학생이에요 전공은 건축학!", WED) == [
        ("나이", "23살"), ("전공", "건축학")]
    assert checked_memories([("age", "34")], "I'm Marcus, 34", WED) == [("age", "34")]
    # someone else's age the message never gave, and the user's own when two ages are told
    assert checked_memories([("형 나이", "35살"), ("이민", "캐나다")], "우리 형 캐나다로 이민 갔어", WED) == [("이민", "캐나다")]
    assert checked_memories([("나이", "29살")], "울 엄마 나이 예순 넘으셨는데", WED) == []
    assert checked_memories([("아들 나이", "3살")], "I'm 28 and my son is 3", WED) == [("아들 나이", "3살")]


def test_a_long_number_the_message_never_gave_is_dropped():
    items = [("name", "Oluwaseun"), ("phone", "27278888")]
    assert checked_memories(items, "hey, I'm Oluwaseun. software dev in Lagos, 27", WED) == [("name", "Oluwaseun")]
    kept = [("phone", "01012345678")]
    assert checked_memories(kept, "내 번호 01012345678이야", WED) == kept


def test_without_a_day_only_ages_and_numbers_are_checked():
    assert checked_memories([("이사", "2026년 3월 1일"), ("나이", "38살")], "스물세살이고 다음주 월요일 이사", None) == [
        ("이사", "2026년 3월 1일"), ("나이", "23살")]


@pytest.mark.parametrize("item, message, stored", [
    (("다음 주 화요일 일정", "건강검진"), "다음 주 화요일에 건강검진 있어", ("일정", "2026년 2월 10일 화요일 건강검진")),
    (("면접", "다음 주 목요일"), "나 다음주 목요일에 면접있음", ("면접", "2026년 2월 12일 목요일")),
    (("직업", "마케팅팀 (다음 주 월요일부터)"), "저 다음주 월요일부터 새 회사 출근해요", ("직업", "마케팅팀 (2026년 2월 9일 월요일)")),
    (("이번 주말 일정", "경주 여행"), "이번 주말에 경주 여행 가", ("일정", "2026년 2월 7일 주말 경주 여행")),
    (("schedule", "job interview next Monday"), "job interview next monday!!", ("schedule", "job interview Monday, February 9, 2026")),
    (("son", "starting kindergarten next week"), "my son starts kindergarten next week", ("son", "starting kindergarten the week of February 9, 2026")),
    (("trip", "flying to Lisbon on Friday, February 13, 2026"), "flying to lisbon next friday", ("trip", "flying to Lisbon on Friday, February 13, 2026")),
])
def test_relative_words_the_role_copied_become_the_date_they_name(item, message, stored):
    # stored as "다음 주 목요일", the interview would still be "next Thursday" a week later
    assert checked_memories([item], message, WED) == [stored]


def test_the_week_and_month_after_next():
    assert named_time("다다음 주 월요일에 수술 날짜 잡혔어", WED) == Named(date(2026, 2, 16), "day")
    assert named_time("다다음달에 이사 가", WED) == Named(date(2026, 4, 1), "month")
    assert named_time("지지난주에 퇴사했어", WED) == Named(date(2026, 1, 19), "week")


def test_a_date_the_message_gives_itself_wins_over_its_weekday():
    assert named_time("4월 둘째주 토요일에 결혼식", WED) is None
    assert named_time("my sister's wedding is on saturday march 14", WED) is None
    assert named_time("the 3rd of march, a friday", WED) is None
    assert named_time("I may move next month", WED) == Named(date(2026, 3, 1), "month")
