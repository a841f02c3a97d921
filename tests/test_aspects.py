"""Clause-level aspect matching, polarity resolution, review aggregation and evaluation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.aspects import Mention, aggregate_review, resolve_polarity
from pipeline.evaluation.dimensions import evaluate_dimensions, gold_dimensions, load_mapping

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "aspects"


def test_aspects_subject_alone_is_no_mention(match):
    assert "empathy" not in match("服务员")
    assert "empathy" not in match("这家的服务员")


def test_aspects_described_subject_is_weak_neutral_mention(match):
    m = match("服务员拿来了菜单")["empathy"]
    assert (m.sub_aspect, m.lexicon_polarity, m.weak) == ("attitude", None, True)
    assert resolve_polarity(m, 0.05, 0.4, 0.6)[0] == "neutral"  # never a complaint on its own


def test_aspects_weak_mention_takes_review_tone_when_given():
    m = Mention("tangibles", "decor", ("装修",), None, weak=True)
    assert resolve_polarity(m, 0.1, 0.4, 0.6, review_score=0.9)[0] == "positive"
    assert resolve_polarity(m, 0.9, 0.4, 0.6, review_score=0.5)[0] == "neutral"


def test_aspects_opinion_on_subject_is_not_weak(match):
    m = match("装修很有特色")["tangibles"]
    assert (m.lexicon_polarity, m.weak) == (1, False)


def test_aspects_term_cutting_a_word_is_skipped(match):
    found = match("老板好热情的")
    assert "tangibles" not in found
    assert found["empathy"].lexicon_polarity == 1


@pytest.mark.parametrize("clause", ["等的时间比较久", "光排队就一个多小时", "等了N久才上菜"])
def test_aspects_waiting_phrases_are_negative(match, clause):
    assert match(clause)["responsiveness"].lexicon_polarity == -1


@pytest.mark.parametrize("clause", ["交通方便不用等太久", "刚好不排队"])
def test_aspects_negated_waiting_is_good_news(match, clause):
    assert match(clause)["responsiveness"].lexicon_polarity == 1


def test_aspects_queue_of_others_alone_is_no_verdict(match):
    m = match("外面排队的人很多")["responsiveness"]
    assert m.weak and m.lexicon_polarity is None


@pytest.mark.parametrize("clause", ["那天在附近办事", "门口的小姑娘很热情", "隔壁桌太吵了", "公司楼下开的小店", "门口排队的人很多"])
def test_aspects_a_place_word_without_an_opinion_is_no_location_mention(match, clause):
    # where something happened, not a verdict on where the place is
    assert "location" not in match(clause)


def test_aspects_a_place_word_with_an_opinion_judges_the_location(match):
    m = match("楼下就是地铁站很方便")["location"]
    assert (m.sub_aspect, m.lexicon_polarity) == ("convenience", 1)


@pytest.mark.parametrize("clause", ["我们点了一个套餐", "我们是团购的烤鱼", "店里送的小菜"])
def test_aspects_a_deal_named_in_passing_is_a_weak_mention(match, clause):
    # what was ordered or used: the tone around it decides, and only when it is clear
    m = match(clause)["price"]
    assert (m.sub_aspect, m.lexicon_polarity, m.weak) == ("discount", None, True)
    assert resolve_polarity(m, 0.1, 0.4, 0.6)[0] == "neutral"  # a low clause score is no complaint


@pytest.mark.parametrize(("clause", "polarity"), [("没有优惠", -1), ("不能用团购", -1), ("团购很划算", 1)])
def test_aspects_a_deal_judged_keeps_its_polarity(match, clause, polarity):
    m = match(clause)["price"]
    assert (m.lexicon_polarity, m.weak) == (polarity, False)


@pytest.mark.parametrize("clause", ["晚上8点到的", "上面撒了一些葱花", "外卖小哥人非常好"])
def test_aspects_what_is_no_late_or_spilt_delivery(match, clause):
    found = match(clause)
    assert "serving_speed" not in {m.sub_aspect for m in found.values()}
    assert "packaging" not in {m.sub_aspect for m in found.values()}


@pytest.mark.parametrize("clause", ["店位于万达广场三楼", "就在地铁站旁边", "地址在解放路"])
def test_aspects_where_the_place_is_is_a_location_mention(match, clause):
    m = match(clause)["location"]
    assert (m.sub_aspect, m.lexicon_polarity, m.weak) == ("convenience", None, True)
    assert resolve_polarity(m, 0.1, 0.4, 0.6)[0] == "neutral"  # a flat clause is no complaint
    assert resolve_polarity(m, 0.1, 0.4, 0.6, review_score=0.9)[0] == "positive"  # the review's tone is


def test_aspects_a_weak_pattern_with_an_opinion_is_judged(match):
    m = match("位于万达三楼很好找")["location"]
    assert (m.lexicon_polarity, m.weak) == (1, False)


def test_aspects_attribute_adjective_is_no_opinion(match):
    assert "tangibles" not in match("四人小包间") or match("四人小包间")["tangibles"].lexicon_polarity is None


def test_aspects_target_with_opinion_is_positive(match):
    m = match("服务员态度很好")["empathy"]
    assert (m.sub_aspect, m.lexicon_polarity) == ("attitude", 1)


def test_aspects_waiting_without_slow_word(match):
    m = match("等了一个小时")["responsiveness"]
    assert (m.sub_aspect, m.lexicon_polarity) == ("waiting", -1)


def test_aspects_negation_flips_cleanliness(match):
    m = match("房间不干净")["tangibles"]
    assert (m.sub_aspect, m.lexicon_polarity) == ("cleanliness", -1)


@pytest.mark.parametrize("clause", ["一点也不热情", "服务不太好", "没那么周到"])
def test_aspects_negation_flips_empathy(match, clause):
    assert match(clause)["empathy"].lexicon_polarity == -1


def test_aspects_generic_opinion_links_nearest_target(match):
    found = match("服务员推荐的菜很不错")
    assert found["product"].lexicon_polarity == 1
    assert "empathy" not in found or found["empathy"].lexicon_polarity is None


def test_aspects_coordinated_targets_share_opinion(match):
    found = match("环境和服务都很好")
    assert found["tangibles"].lexicon_polarity == 1
    assert found["empathy"].lexicon_polarity == 1


def test_aspects_bound_opinion_depends_on_target(match):
    assert match("价格有点高")["price"].lexicon_polarity == -1
    assert match("性价比很高")["price"].lexicon_polarity == 1


def test_aspects_negated_waiting_mention_is_good_news(match):
    m = match("去得早不用排队")["responsiveness"]
    assert m.lexicon_polarity == 1


def test_aspects_ignored_phrase_is_not_an_opinion(match):
    assert match("好像在哪见过") == {}


def test_aspects_single_character_needs_word_boundary(match):
    assert "price" not in match("贵州菜")
    assert match("太贵了")["price"].lexicon_polarity == -1


def test_aspects_serving_speed(match):
    assert match("上菜速度很慢")["responsiveness"].lexicon_polarity == -1
    assert match("菜上得很快")["responsiveness"].lexicon_polarity == 1
    assert match("上菜速度很慢")["responsiveness"].sub_aspect == "serving_speed"


def test_aspects_resolve_lexicon_decides():
    m = Mention("empathy", "attitude", ("热情",), 1)
    label, score = resolve_polarity(m, 0.2, 0.4, 0.6)
    assert label == "positive" and score >= 0.5


@pytest.mark.parametrize("score,label", [(0.1, "negative"), (0.5, "neutral"), (0.9, "positive")])
def test_aspects_resolve_clause_decides_without_lexicon(score, label):
    m = Mention("responsiveness", "waiting", ("排队",), None)
    assert resolve_polarity(m, score, 0.4, 0.6)[0] == label


@pytest.mark.parametrize(
    "pols,expected",
    [([], ""), (["neutral"], "neutral"), (["positive", "neutral"], "positive"), (["positive", "negative"], "negative"), (["positive", "positive", "negative"], "positive")],
)
def test_aspects_aggregate_review(pols, expected):
    assert aggregate_review(pols) == expected


def _labels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "environment_noise": [1, -2, -1, -2],
            "environment_cleaness": [-2, -2, 1, -2],
            "service_wait_time": [-2, -1, -2, -2],
            "service_waiters_attitude": [1, 0, -2, -1],
        }
    )


MAPPING = {
    "dimensions": {"tangibles": ["environment_noise", "environment_cleaness"], "responsiveness": ["service_wait_time"], "empathy": ["service_waiters_attitude"]},
    "also_counts": {"empathy": ["assurance"]},
}


def test_evaluation_gold_polarity_mixed_and_neutral():
    gold = gold_dimensions(_labels(), load_mapping(MAPPING))
    pol = {(r.review_id, r.dimension): r.polarity for r in gold.itertuples()}
    assert pol[("3", "tangibles")] == "mixed"
    assert pol[("2", "empathy")] == "neutral"
    assert ("2", "tangibles") not in pol


def test_evaluation_scores_per_dimension():
    preds = pd.DataFrame(
        [("1", "tangibles", "positive"), ("4", "tangibles", "negative"), ("2", "responsiveness", "negative"), ("1", "empathy", "negative"), ("4", "assurance", "negative")],
        columns=["review_id", "dimension", "polarity"],
    )
    report = evaluate_dimensions(_labels(), preds, MAPPING)
    assert report.loc["tangibles", "precision"] == 0.5
    assert report.loc["tangibles", "recall"] == 0.5
    assert report.loc["tangibles", "polarity_accuracy"] == 1.0  # review 3 is mixed: not judged
    assert report.loc["empathy", "recall"] == pytest.approx(2 / 3)  # assurance counts for empathy
    assert report.loc["empathy", "polarity_accuracy"] == 0.5
    assert report.loc["macro", "f1"] == pytest.approx((0.5 + 1.0 + 0.8) / 3)


def test_evaluation_mapping_rejects_unknown_macro_key():
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[empathy\] is not a key of 'dimensions'"):
        load_mapping({"dimensions": {"tangibles": ["environment_noise"]}, "macro": ["empathy"]})


@pytest.mark.skipif(not (SHARED / "asap_samples_300.csv").is_file(), reason="shared aspect-labelled data not available")
def test_evaluation_real_labels_match_mapping():
    labels = pd.read_csv(SHARED / "asap_samples_300.csv")
    gold = gold_dimensions(labels, load_mapping(ROOT / "configs" / "mappings" / "aic2018.yaml"))
    assert set(gold["dimension"]) >= {"tangibles", "responsiveness", "empathy"}


@pytest.fixture(scope="module")
def opinion():
    """Clause -> net opinion words, with the general and hotel lexicon packs."""
    from tests.conftest import pack_matcher

    matcher, seg = pack_matcher("hotel.yaml")
    return lambda clause: matcher.opinion_polarity(clause, seg.cut(clause))


@pytest.mark.parametrize(
    "clause, net",
    [
        ("前台非常暖心", 1),  # an opinion of a dimension
        ("非常满意", 1),  # a generic opinion counts without a target
        ("房间很脏还有异味", -2),
        ("房间不干净", -1),  # negation flips
        ("热情周到但是很脏", 0),  # 热情周到 is one term: one word each way
        ("我们住了两晚", 0),  # no opinion word
        ("前台服务员", 0),  # naming an aspect is no opinion
        ("好像下雨了", 0),  # an ignored phrase holds no term (好)
        ("太感谢了", 1),  # a verdict on the whole stay: thanks, recommendation, coming back
        ("下次还会入住", 1),
        ("不推荐", -1),
        ("下次不会再来了", -1),
        ("建议大家避雷", -1),
        ("强烈推荐给大家", 1),  # the reviewer's own recommendation counts...
        ("汤包还是很推荐的", 1),
        ("特别向大家推荐的是早餐", 1),
        ("前台推荐的餐厅很难吃", 0),  # ...someone else's does not (朋友推荐, 前台推荐了)
        ("朋友推荐来的", 0),
        ("点了几个推荐的菜", 0),  # nor does the menu's
        ("下次还会选择", 1),  # today's verdicts: coming back, beyond expectations, never again
        ("超出预期", 1),
        ("再也不会住了", -1),
        ("图片与实际不符", -1),
        ("值得一提的是", 0),  # a phrase, not a verdict
        ("值得改进的地方", -1),
        ("伐开心", -1),
        ("买了一包开心果", 0),
        ("前台办理入住很高效", 1),  # a bound opinion counts once its target decides it
        ("叫醒服务很准时", 1),
        ("服务员打扫得很认真", 1),
        ("酒店有点旧", -1),
        ("很及时", 0),  # ...and not without one
        ("没有热水", -1),  # a negated mention
        ("十分钟就上来修好了", 1),  # a pattern (two patterns reading the same words count once)
        ("房间很大很干净", 2),  # a bound and a free opinion, each once
        ("价格很高", -1),  # 高 is bad for a price
        ("服务员很热情", 1),  # a free opinion linked to its target counts once, not twice
        ("省了不少麻烦", 1),  # 麻烦 spared is praise
        ("很重视客人的意见", 1),  # care for the guest's view (empathy)
        ("一点都不重视客人", -1),
        ("还道了歉", 1),  # service recovery: an apology, a compensation
        ("老板主动补偿了一道菜", 1),
        ("连句道歉都没有", -1),
        ("", 0),
    ],
)
def test_aspects_opinion_polarity_counts_opinion_words_with_negation(opinion, clause, net):
    assert opinion(clause) == net


@pytest.mark.parametrize(
    "clause, read",
    [
        ("一点都不脏", []),  # a negated complaint, the negator and its degree words included
        ("床单也没有污渍", ["床单", "也"]),
        ("没有让人失望", []),
        ("房间不吵", ["房间"]),  # a term that is itself a negated complaint of the lexicon
        ("味道不错", ["味道", "不错"]),  # 错 is no complaint of the lexicon's: the model reads 不错
        ("房间不干净", ["房间", "不", "干净"]),  # negated praise is a complaint: read as written
        ("房间很脏", ["房间", "很脏"]),
        ("不是不吵", ["不是", "不吵"]),  # negated twice: a complaint again
        ("房间太干净了", ["房间", "干净", "了"]),  # 太 before praise is delight, not "too"
        ("太赞了", ["赞", "了"]),  # ... also when jieba glues it to the word
        ("位置太方便了", ["位置", "方便", "了"]),  # a bound opinion that praises its target
        ("价格太贵了", ["价格", "太贵", "了"]),  # 太 before a complaint stays
        ("服务员太不热情了", ["服务员", "太", "不热情", "了"]),
        ("", []),
    ],
)
def test_aspects_reading_tokens_leave_negated_complaints_and_delighted_too_to_the_lexicon(clause, read):
    from tests.conftest import pack_matcher

    matcher, seg = pack_matcher("hotel.yaml")
    tokens = seg.cut(clause)
    assert matcher.reading_tokens(clause, tokens) == read
    if read == tokens:
        assert matcher.reading_tokens(clause, tokens) is tokens  # nothing left out: the caller's list


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("酒店有点旧", {("tangibles", "decor", -1)}),  # 酒店 takes décor's own (bound) opinions
        ("酒店很新", {("tangibles", "decor", 1)}),
        ("这家酒店很好", set()),  # a verdict on the whole stay names no dimension
        ("强烈推荐这家酒店", set()),
        ("前台推荐的餐厅很难吃", set()),  # the front desk's recommendation is no praise of the front desk
    ],
)
def test_aspects_hotel_is_a_host_and_others_recommendations_praise_nobody(clause, expected):
    from tests.conftest import pack_matcher

    matcher, seg = pack_matcher("hotel.yaml")
    found = {(m.dimension, m.sub_aspect, m.lexicon_polarity) for m in matcher.match(clause, seg.cut(clause)) if not m.weak}
    assert found == expected


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("酒店几分钟就回复了", ("responsiveness", "replies", 1)),
        ("回复很及时", ("responsiveness", "replies", 1)),
        ("叫醒服务很准时", ("responsiveness", "requests", 1)),
        ("客房服务很慢", ("responsiveness", "requests", -1)),
        ("前台帮我买了药送到房间", ("empathy", "attitude", 1)),  # staff doing something for the guest
        ("管家特意准备了生日蛋糕", ("empathy", "attitude", 1)),
        ("主动帮我们升级了房间", ("empathy", "attention", 1)),  # help offered unasked
    ],
)
def test_aspects_hotel_service_acts_and_quick_replies_are_mentions(clause, expected):
    from tests.conftest import pack_matcher

    matcher, seg = pack_matcher("hotel.yaml")
    found = {(m.dimension, m.sub_aspect, m.lexicon_polarity) for m in matcher.match(clause, seg.cut(clause))}
    assert expected in found


def test_aspects_match_remembers_a_clause_only_for_the_same_tokens(monkeypatch):
    """The sentiment stage and the dimensions stage both read a clause's mentions; the second
    read comes from the memo, as a new list, and a different cut of the clause is matched anew."""
    from tests.conftest import pack_matcher

    matcher, seg = pack_matcher("hotel.yaml")
    matcher._memo.clear()
    calls = []
    real = matcher._match
    monkeypatch.setattr(matcher, "_match", lambda c, t, r=None: calls.append(c) or real(c, t, r))
    clause = "前台办理入住很高效"
    first = matcher.match(clause, seg.cut(clause))
    first.clear()  # the caller's list is its own
    again = matcher.match(clause, seg.cut(clause))
    assert [(m.dimension, m.sub_aspect, m.lexicon_polarity) for m in again] == [("responsiveness", "check_in", 1)]
    assert calls == [clause]
    assert matcher.opinion_polarity(clause, seg.cut(clause)) == 1 and calls == [clause]  # the same record
    matcher.match(clause, list(clause))  # another cut of the clause is matched again
    assert calls == [clause, clause]


def test_aspects_clause_memo_keeps_the_last_generation_and_what_is_read_again():
    from pipeline.aspects import _MISSING, _ClauseMemo

    memo = _ClauseMemo(size=2)
    for c in "abc":
        memo.record(c, [c])[0] = c.upper()
    # a and b are the older generation, c the new one; reading a moves it to the new one.
    assert len(memo) == 3 and memo.record("a", ["a"])[0] == "A"
    memo.record("d", ["d"])[0] = "D"  # the new generation (c, a) was full: b is forgotten
    assert [memo.record(c, [c])[0] for c in "acd"] == ["A", "C", "D"]
    assert memo.record("b", ["b"])[0] is _MISSING
    assert memo.record("a", ["x"])[0] is _MISSING  # the cut is part of the key
    # Cuts that join alike are told apart (no token, one empty token), and a token holding the
    # separator is never remembered.
    memo.record("e", [])[0] = "none"
    assert memo.record("e", [""])[0] is _MISSING and memo.record("e", [])[0] is _MISSING
    memo.record("f\x1fg", ["f\x1fg"])[0] = "F"
    assert memo.record("f\x1fg", ["f\x1fg"])[0] is _MISSING


def _decided_mentions(config: str, clause: str) -> set[tuple[str, str, int]]:
    """(dimension, sub-aspect, polarity) of the clause's mentions whose polarity the lexicon decides."""
    from tests.conftest import pack_matcher

    matcher, seg = pack_matcher(config)
    return {(m.dimension, m.sub_aspect, m.lexicon_polarity) for m in matcher.match(clause, seg.cut(clause)) if m.lexicon_polarity is not None}


@pytest.mark.parametrize(
    "config, clause, expected",
    [
        # jieba glues a degree word to a one-character opinion (有点小, 挺大, 比较慢); the token is a
        # bound term of another sub-aspect, its last character is bound for this target's.
        ("hotel.yaml", "房间有点小", {("tangibles", "room", -1)}),
        ("hotel.yaml", "房间挺大", {("tangibles", "room", 1)}),
        ("hotel.yaml", "落地窗很大", {("tangibles", "room", 1)}),
        ("hotel.yaml", "回复比较慢", {("responsiveness", "replies", -1)}),
        ("restaurant.yaml", "分量也有点小", {("product", "portion", -1)}),
        ("restaurant.yaml", "性价比比较高", {("price", "value", 1)}),
        # Not for a target after it, not when it modifies the next word, not for 很多 / 很少.
        ("restaurant.yaml", "店里很多手工制品", set()),
        ("restaurant.yaml", "店里客人很少", set()),
    ],
)
def test_aspects_degree_glued_opinion_reads_its_core_for_the_target_before_it(config, clause, expected):
    assert _decided_mentions(config, clause) == expected


@pytest.mark.parametrize(
    "config, clause, expected",
    [
        # A negator that is a term of its own (不够, bound for amounts) still negates what follows.
        ("restaurant.yaml", "三文鱼刺身不够新鲜", {("product", "taste", -1)}),
        ("restaurant.yaml", "烤虾不够入味", {("product", "taste", -1)}),
        ("hotel.yaml", "落地窗不够大", {("tangibles", "room", -1)}),
        ("restaurant.yaml", "三文鱼刺身很新鲜", {("product", "taste", 1)}),
    ],
)
def test_aspects_a_negator_that_is_a_term_still_negates_the_opinion_after_it(config, clause, expected):
    assert _decided_mentions(config, clause) == expected


def test_aspects_hotel_generic_verdicts_still_judge_what_they_follow(hotel_match):
    # a pack's bound opinion replaces the free one: 差 must stay free for 服务差, 隔音效果差
    assert hotel_match("服务差")["empathy"].lexicon_polarity == -1
    assert hotel_match("隔音效果差")["tangibles"].lexicon_polarity == -1


@pytest.mark.parametrize(
    ("matcher", "clause", "dimension", "sub_aspect", "polarity"),
    [
        # delivery reviews, restaurant pack
        ("match", "比预定时间晚了半小时", "responsiveness", "serving_speed", -1),
        ("match", "迟到2小时", "responsiveness", "serving_speed", -1),
        ("match", "一个半小时才送到", "responsiveness", "serving_speed", -1),
        ("match", "送餐员很快", "responsiveness", "serving_speed", 1),
        ("match", "外卖小哥人非常好", "empathy", "attitude", 1),
        ("match", "送餐师傅辛苦了", "empathy", "attitude", 1),
        ("match", "卤蛋没给", "reliability", "order_accuracy", -1),
        ("match", "少送了一碗粥", "reliability", "order_accuracy", -1),
        ("match", "送来的却是土豆丝", "reliability", "order_accuracy", -1),
        ("match", "备注不要香菜还是放了", "reliability", "order_accuracy", -1),
        ("match", "汤洒了一袋子", "product", "packaging", -1),
        ("match", "包装很严实", "product", "packaging", 1),
        ("match", "粥都撒了", "product", "packaging", -1),  # 撒 written for 洒
        ("match", "送的太慢了", "responsiveness", "serving_speed", -1),
        ("match", "压根儿没送到", "reliability", "order_accuracy", -1),
        ("match", "我要的素三鲜居然给我拿的是韭菜鸡蛋的", "reliability", "order_accuracy", -1),
        ("match", "沙拉总是不给沙拉酱", "reliability", "order_accuracy", -1),
        # hotel pack
        ("hotel_match", "房间不能上网", "tangibles", "facilities", -1),
        ("hotel_match", "可以免费上网", "tangibles", "facilities", 1),
        ("hotel_match", "没有电梯", "tangibles", "facilities", -1),
        ("hotel_match", "晚上蚊子很多", "tangibles", "cleanliness", -1),
        ("hotel_match", "订的是大床房去了变成标间", "reliability", "booking", -1),
        ("hotel_match", "非要加收我全天房费", "reliability", "billing", -1),
        ("hotel_match", "前台电话一直占线", "responsiveness", "requests", -1),
        ("hotel_match", "总台小姐很热情", "empathy", "attitude", 1),
        ("hotel_match", "前台还专门给我留了夜宵", "empathy", "care", 1),
        ("hotel_match", "一个人住着很踏实", "assurance", "safety", 1),
        ("hotel_match", "早餐很丰盛", "product", "breakfast", 1),
        ("hotel_match", "早餐水果太单调", "product", "breakfast", -1),
        ("hotel_match", "早餐太一般了", "product", "breakfast", -1),
        ("hotel_match", "位置一般", "location", "convenience", 0),  # 一般 stays a free verdict
        ("hotel_match", "早餐也不怎么地", "product", "breakfast", -1),
        ("hotel_match", "空调都没有", "tangibles", "facilities", -1),
        ("hotel_match", "预授权还没有取消", "reliability", "billing", -1),
        ("hotel_match", "酒店不接受信用卡", "reliability", "billing", -1),
        ("hotel_match", "地板太滑差点摔跤", "assurance", "safety", -1),
        ("hotel_match", "热水出水量大", "tangibles", "bathroom", 1),
    ],
)
def test_aspects_domain_words(request, matcher, clause, dimension, sub_aspect, polarity):
    m = request.getfixturevalue(matcher)(clause)[dimension]
    assert (m.sub_aspect, m.lexicon_polarity) == (sub_aspect, polarity)
