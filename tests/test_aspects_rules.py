"""Matching rules for queueing, serving speed, coordination and one-character opinions."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("clause", ["牛排是五分熟的", "我们每次去的时候都没有位置", "吃货们都已经等不及了坐下吧"])
def test_aspects_rules_wait_pattern_needs_a_real_wait(match, clause):
    assert "responsiveness" not in match(clause)


@pytest.mark.parametrize("clause", ["烤了很久鱼还未熟", "要煮很久才好"])
def test_aspects_rules_own_cooking_time_is_no_serving_speed(match, clause):
    assert "responsiveness" not in match(clause)


@pytest.mark.parametrize(("clause", "polarity"), [("上菜的速度也比较快", 1), ("外卖大约40分钟送到了", 1), ("焗饭都上了汤还没来", -1), ("蘑菇汤一直到最后都没有上", -1)])
def test_aspects_rules_serving_speed(match, clause, polarity):
    assert match(clause)["responsiveness"].lexicon_polarity == polarity


def test_aspects_rules_shorter_term_fits_jieba_words(match):
    # 不用等位 would cut 不用等/位置 in two; 不用等 still fits, and 人不多 does not flip it.
    assert match("工作日中午人不多不用等位置")["responsiveness"].lexicon_polarity == 1


def test_aspects_rules_bare_negator_still_flips_a_negated_term(match):
    assert match("不是不好吃")["product"].lexicon_polarity == 1


def test_aspects_rules_calling_a_waiter_many_times_is_attention(match):
    found = match("叫服务员又叫了四五次才来")
    assert "responsiveness" not in found
    assert found["empathy"].lexicon_polarity == -1


def test_aspects_rules_opinion_goes_to_nearest_target_not_possessor(match):
    found = match("给我们上菜的姑娘态度都蛮好")
    assert "responsiveness" not in found
    assert found["empathy"].lexicon_polarity == 1


@pytest.mark.parametrize("clause", ["环境和服务都很好", "环境服务都很好", "环境、服务都很好"])
def test_aspects_rules_coordinated_targets_share_the_opinion(match, clause):
    found = match(clause)
    assert found["tangibles"].lexicon_polarity == found["empathy"].lexicon_polarity == 1


def test_aspects_rules_possessor_does_not_share_the_opinion(match):
    assert "tangibles" not in match("店里的服务和态度特别暖心")


@pytest.mark.parametrize("clause", ["老板好有范儿", "好期待店家能再搞活动"])
def test_aspects_rules_one_character_opinion_before_a_word_is_an_adverb(match, clause):
    assert "empathy" not in match(clause)


def test_aspects_rules_one_character_attribute_judges_nothing(match):
    assert "tangibles" not in match("店里摆着的小木箱")


def test_aspects_rules_dish_named_like_a_speed_word_is_no_mention(match):
    assert "responsiveness" not in match("沾蜗牛吃挺好的")
