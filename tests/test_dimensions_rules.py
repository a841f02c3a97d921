"""Precision rules of the aspect matcher and the restaurant pack (issue #4), on team-written
clauses: words that are opinions only at the end of a phrase, negation that intensifies,
hosts and other nouns, ignored phrases, staff speed, short waits, weak-mention tone."""

from __future__ import annotations

import pytest

from pipeline.aspects import Mention, resolve_polarity, weak_context_score


def _pol(found: dict, dim: str) -> int | None:
    return found[dim].lexicon_polarity


@pytest.mark.parametrize("clause", ["这家还可以送餐上门", "他们家也还可以送餐"])
def test_dimensions_rules_modal_kexi_is_no_verdict(match, clause):
    # 还可以 before a verb means "can also", not "it is OK".
    assert "responsiveness" not in match(clause)


@pytest.mark.parametrize(("clause", "dim"), [("服务还可以", "empathy"), ("环境还可以吧", "tangibles")])
def test_dimensions_rules_kexi_at_the_end_is_still_a_verdict(match, clause, dim):
    assert _pol(match(clause), dim) == 1


def test_dimensions_rules_tebie_before_a_verb_is_an_adverb(match):
    found = match("服务员特别想让我们办卡")
    assert "empathy" not in found or found["empathy"].lexicon_polarity is None


@pytest.mark.parametrize(("clause", "dim", "polarity"), [("上菜真的特别快", "responsiveness", 1), ("大厅里特别吵", "tangibles", -1), ("服务员态度特别好", "empathy", 1)])
def test_dimensions_rules_bie_in_tebie_negates_nothing(match, clause, dim, polarity):
    assert _pol(match(clause), dim) == polarity


@pytest.mark.parametrize(("clause", "dim", "polarity"), [("环境不能再差了", "tangibles", -1), ("这家的菜不要太好吃", "product", 1)])
def test_dimensions_rules_emphatic_negation_does_not_flip(match, clause, dim, polarity):
    assert _pol(match(clause), dim) == polarity


@pytest.mark.parametrize("clause", ["杯子没洗干净", "桌子都没有擦干净"])
def test_dimensions_rules_negated_result_verb_flips(match, clause):
    assert _pol(match(clause), "tangibles") == -1


def test_dimensions_rules_generic_opinion_reaches_a_later_target_only_across_de(match):
    assert "responsiveness" not in match("饭好了就叫号")
    assert _pol(match("很好的服务"), "empathy") == 1
    assert _pol(match("很喜欢这里的装修"), "tangibles") == 1


def test_dimensions_rules_one_character_bound_opinion_needs_an_adverb_gap(match):
    assert "tangibles" not in match("店里人比较少")
    assert _pol(match("座位比较少"), "tangibles") == -1
    assert _pol(match("座位不多"), "tangibles") == -1


def test_dimensions_rules_host_takes_bound_opinions_only(match):
    assert "tangibles" not in match("很不错的一家小店")
    assert "tangibles" not in match("这家店整体感觉很好")
    assert _pol(match("餐厅很时尚"), "tangibles") == 1


@pytest.mark.parametrize("clause", ["生意很好", "店里生意很好", "那天天气不错"])
def test_dimensions_rules_other_nouns_take_the_opinion(match, clause):
    assert not ({"tangibles", "empathy"} & set(match(clause)))


def test_dimensions_rules_food_cleaned_in_the_kitchen_is_no_dining_room(match):
    assert "tangibles" not in match("虾线处理得很干净")
    assert "tangibles" not in match("一盘菜吃得干干净净")
    assert _pol(match("桌面擦得很干净"), "tangibles") == 1


def test_dimensions_rules_renovation_is_news(match):
    assert "tangibles" not in match("店里正在重新装修")
    assert _pol(match("重新装修后环境很好"), "tangibles") == 1


def test_dimensions_rules_off_smell_is_the_food(match):
    found = match("汤里有一股异味")
    assert "tangibles" not in found
    assert _pol(found, "product") == -1


def test_dimensions_rules_warmth_needs_a_staff_word(match):
    assert "empathy" not in match("阳光照进来很温暖")
    assert _pol(match("服务员很温暖"), "empathy") == 1


def test_dimensions_rules_staff_speed_is_attention_dish_speed_is_responsiveness(match):
    found = match("服务员动作很快")
    assert "responsiveness" not in found
    assert (found["empathy"].sub_aspect, found["empathy"].lexicon_polarity) == ("attention", 1)
    m = match("上菜的速度很快")["responsiveness"]
    assert (m.sub_aspect, m.lexicon_polarity) == ("serving_speed", 1)


@pytest.mark.parametrize(("clause", "polarity"), [("等了五分钟就有位子了", 1), ("稍微等了一会儿", 1), ("等了十五分钟", 0), ("等了四十分钟", -1), ("排了一个多小时", -1)])
def test_dimensions_rules_wait_length_decides(match, clause, polarity):
    assert _pol(match(clause), "responsiveness") == polarity


@pytest.mark.parametrize(("clause", "polarity"), [("等位的时间不算短", -1), ("等待时间很短", 1), ("周末居然没人排队", 1), ("上个菜要好久", -1), ("点菜后十分钟就上齐了", 1)])
def test_dimensions_rules_more_waiting_phrasings(match, clause, polarity):
    assert _pol(match(clause), "responsiveness") == polarity


def test_dimensions_rules_request_to_wait_is_no_wait(match):
    assert "responsiveness" not in match("服务员说请等一下")


def test_dimensions_rules_weak_context_score_mixes_review_and_following_clauses():
    assert weak_context_score(None, [0.2, 0.4], 0) is None
    assert weak_context_score(0.9, [0.1, 0.1, 0.1, 0.9], 0) == pytest.approx(0.5 * 0.9 + 0.5 * 0.1)
    assert weak_context_score(0.8, [0.5, 0.2], 1) == pytest.approx(0.5 * 0.8 + 0.5 * 0.2)


def test_dimensions_rules_weak_mention_follows_the_complaint_after_it():
    # A glowing review whose staff paragraph complains: the staff mention is negative.
    m = Mention("empathy", "attitude", ("服务",), None, weak=True)
    tone = weak_context_score(0.7, [0.9, 0.05, 0.05, 0.1, 0.95], 1)
    assert resolve_polarity(m, 0.5, 0.4, 0.6, review_score=tone)[0] == "negative"


def test_dimensions_rules_same_words_vote_once(match):
    # 等很久 is a literal term and a pattern match: one vote, so 不用排队 still wins.
    assert _pol(match("也不用排队等很久"), "responsiveness") == 1


@pytest.mark.parametrize("clause", ["旁边还有几个空桌", "来了不用再等"])
def test_dimensions_rules_free_tables_and_no_need_to_wait_are_good_news(match, clause):
    assert _pol(match(clause), "responsiveness") == 1


@pytest.mark.parametrize("clause", ["服务好环境也好", "环境还可以服务也不错"])
def test_dimensions_rules_verdict_before_the_next_subject_in_run_on_text(match, clause):
    # Reviews without punctuation: 好 / 还可以 before a new subject ends the first phrase.
    found = match(clause)
    assert _pol(found, "tangibles") == 1 and _pol(found, "empathy") == 1
