"""Lexicon packs: loading, validation errors by line, merging."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import DictionaryError
from pipeline.lexicon import load_lexicon

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "configs" / "lexicons"
DIMS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy", "price", "location", "product"]


def _pack(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("names", [["general.yaml"], ["general.yaml", "restaurant.yaml"], ["general.yaml", "hotel.yaml"]])
def test_lexicon_shipped_packs_load(names):
    lex = load_lexicon([PACKS / n for n in names], DIMS)
    assert len(lex) > 500
    assert "服务员" in lex.terms()
    assert all(len(t) > 1 for t in lex.terms())


def test_lexicon_unknown_dimension_reports_line(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  empathy:\n    attitude:\n      positive: [热情]\n  emapthy:\n    x:\n      positive: [好]\n")
    with pytest.raises(DictionaryError, match=r"pack\.yaml line 5 \[dimensions -> emapthy\]: unknown dimension key 'emapthy'"):
        load_lexicon([path], DIMS)


def test_lexicon_conflicting_term_reports_both_lines(tmp_path):
    text = "dimensions:\n  empathy:\n    attitude:\n      positive: [热情]\n  tangibles:\n    decor:\n      positive: [温馨, 热情]\n"
    path = _pack(tmp_path, text)
    with pytest.raises(DictionaryError, match=r"line 7 .*'热情' is already listed at pack\.yaml:4 as empathy/attitude/opinion"):
        load_lexicon([path], DIMS)


def test_lexicon_bad_regex_reports_line(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  responsiveness:\n    waiting:\n      patterns:\n        - '等了(小时'\n")
    with pytest.raises(DictionaryError, match=r"line 5 \[dimensions -> responsiveness -> waiting -> patterns\[0\]\]: bad regular expression"):
        load_lexicon([path], DIMS)


def test_lexicon_non_string_term_reports_line(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  price:\n    level:\n      negative: [贵, 12]\n")
    with pytest.raises(DictionaryError, match=r"line 4 \[dimensions -> price -> level -> negative\[1\]\]: expected a string, got '12' \(int\)"):
        load_lexicon([path], DIMS)


def test_lexicon_unknown_sub_aspect_key(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  price:\n    level:\n      postive: [便宜]\n")
    with pytest.raises(DictionaryError, match=r"line 4 .*unknown key 'postive'"):
        load_lexicon([path], DIMS)


def test_lexicon_bad_polarity(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  price:\n    level:\n      patterns:\n        - {regex: '贵死', polarity: 2}\n")
    with pytest.raises(DictionaryError, match=r"line 5 .*polarity must be 1, -1, 0"):
        load_lexicon([path], DIMS)


def test_lexicon_weak_patterns(tmp_path):
    head = "dimensions:\n  location:\n    convenience:\n      patterns:\n"
    lex = load_lexicon([_pack(tmp_path, head + "        - {regex: '位于', weak: true}\n        - '地址在'\n")], DIMS)
    assert [(p.regex.pattern, p.weak) for p in lex.patterns] == [("位于", True), ("地址在", False)]
    with pytest.raises(DictionaryError, match=r"line 5 .*a weak pattern takes the tone around it: it cannot also have a polarity"):
        load_lexicon([_pack(tmp_path, head + "        - {regex: '位于', weak: true, polarity: 1}\n", "both.yaml")], DIMS)
    with pytest.raises(DictionaryError, match=r"line 5 .*expected true or false, got 'yes please'"):
        load_lexicon([_pack(tmp_path, head + "        - {regex: '位于', weak: yes please}\n", "bad.yaml")], DIMS)


def test_lexicon_a_generic_opinion_bound_by_a_later_pack_is_listed(tmp_path):
    later = _pack(tmp_path, "dimensions:\n  tangibles:\n    facilities:\n      targets: [电梯]\n      bound_negative: [差, 慢]\n")
    lex = load_lexicon([PACKS / "general.yaml", later], DIMS)
    assert [(term, now) for term, _, now in lex.narrowed] == [("差", "pack.yaml:5")]  # 慢 was no generic opinion
    assert lex.narrowed[0][1].startswith("general.yaml:")
    assert "差" not in lex.entries and "差" in lex.bound


def test_lexicon_invalid_yaml_reports_line(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  price: [\n")
    with pytest.raises(DictionaryError, match=r"pack\.yaml line \d+: not valid YAML"):
        load_lexicon([path], DIMS)


def test_lexicon_missing_file(tmp_path):
    with pytest.raises(DictionaryError, match="lexicon file not found"):
        load_lexicon([tmp_path / "nope.yaml"], DIMS)


def test_lexicon_merge_later_pack_overrides_and_adds(tmp_path):
    first = _pack(tmp_path, "dimensions:\n  tangibles:\n    decor:\n      positive: [精致]\n", "a.yaml")
    second = _pack(tmp_path, "opinions:\n  positive: [精致]\ndimensions:\n  product:\n    taste:\n      positive: [好吃]\n", "b.yaml")
    lex = load_lexicon([first, second], DIMS)
    assert lex.entries["精致"].role == "generic"
    assert lex.entries["好吃"].dimension == "product"
    assert lex.sources == (str(first), str(second))


def test_lexicon_bound_terms_may_repeat_across_sub_aspects(tmp_path):
    text = "dimensions:\n  price:\n    level:\n      targets: [价格]\n      bound_negative: [高]\n    value:\n      targets: [性价比]\n      bound_positive: [高]\n"
    lex = load_lexicon([_pack(tmp_path, text)], DIMS)
    assert {(e.sub_aspect, e.polarity) for e in lex.bound["高"]} == {("level", -1), ("value", 1)}


@pytest.mark.parametrize("names", [["general.yaml"], ["general.yaml", "restaurant.yaml"], ["general.yaml", "hotel.yaml"]])
def test_lexicon_every_shipped_sub_aspect_has_a_chinese_label(names):
    lex = load_lexicon([PACKS / n for n in names], DIMS)
    unlabelled = [(d, s) for d, subs in lex.sub_aspects().items() for s in subs if (d, s) not in lex.labels]
    assert unlabelled == []
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in lex.labels.values())


def test_lexicon_sub_aspect_labels_by_key():
    lex = load_lexicon([PACKS / "general.yaml", PACKS / "hotel.yaml"], DIMS)
    labels = lex.sub_aspect_labels()
    assert labels["cleanliness"] == "清洁卫生"
    assert lex.sub_aspect_label("reliability", "broken") == "设施故障"
    assert lex.sub_aspect_label("tangibles", "unknown") == "unknown"


@pytest.mark.parametrize(
    "names,keys",
    [
        (["general.yaml", "hotel.yaml"], ["tangibles/cleanliness", "tangibles/bathroom", "tangibles/facilities", "tangibles/noise", "reliability/broken", "reliability/billing", "reliability/booking", "assurance/safety"]),
        (["general.yaml", "restaurant.yaml"], ["tangibles/cleanliness", "responsiveness/serving_speed"]),
    ],
)
def test_lexicon_routed_sub_aspects_exist(names, keys):
    subs = load_lexicon([PACKS / n for n in names], DIMS).sub_aspects()
    assert [k for k in keys if k.split("/")[1] not in subs[k.split("/")[0]]] == []


def test_lexicon_empty_label_reports_line(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  empathy:\n    attitude:\n      label: ''\n      positive: [热情]\n")
    with pytest.raises(DictionaryError, match=r"line 4 \[dimensions -> empathy -> attitude -> label\]: empty label"):
        load_lexicon([path], DIMS)


def test_lexicon_subjects_are_their_own_role(tmp_path):
    path = _pack(tmp_path, "dimensions:\n  empathy:\n    attitude:\n      label: 服务态度\n      subjects: [服务员]\n")
    lex = load_lexicon([path], DIMS)
    assert lex.entries["服务员"].role == "subject"


def test_lexicon_hosts_and_others_are_their_own_roles(tmp_path):
    text = "others: [生意]\ndimensions:\n  tangibles:\n    decor:\n      label: 装修环境\n      hosts: [餐厅]\n"
    lex = load_lexicon([_pack(tmp_path, text)], DIMS)
    assert (lex.entries["餐厅"].role, lex.entries["餐厅"].sub_aspect) == ("host", "decor")
    assert (lex.entries["生意"].role, lex.entries["生意"].dimension) == ("other", None)
    assert lex.sub_aspects()["tangibles"] == ["decor"]


def test_lexicon_ignore_patterns_load_and_bad_ones_report_line(tmp_path):
    lex = load_lexicon([_pack(tmp_path, "ignore_patterns:\n  - '处理得?很?干净'\n")], DIMS)
    assert [p.pattern for p in lex.ignore_patterns] == ["处理得?很?干净"]
    with pytest.raises(DictionaryError, match=r"line 3 \[ignore_patterns\]: bad regular expression"):
        load_lexicon([_pack(tmp_path, "ignore_patterns:\n  - '干净'\n  - '处理(得'\n", "bad.yaml")], DIMS)
    with pytest.raises(DictionaryError, match="matches the empty string"):
        load_lexicon([_pack(tmp_path, "ignore_patterns: ['x?']\n", "empty.yaml")], DIMS)


def test_lexicon_later_pack_may_turn_a_free_term_into_a_bound_opinion(tmp_path):
    first = _pack(tmp_path, "dimensions:\n  empathy:\n    attitude:\n      positive: [温暖, 热情]\n", "a.yaml")
    second = _pack(tmp_path, "dimensions:\n  empathy:\n    attitude:\n      targets: [服务员]\n      bound_positive: [温暖]\n", "b.yaml")
    lex = load_lexicon([first, second], DIMS)
    assert "温暖" not in lex.entries and lex.entries["热情"].role == "opinion"
    assert [(e.sub_aspect, e.polarity) for e in lex.bound["温暖"]] == [("attitude", 1)]


def test_lexicon_a_pack_may_keep_a_term_free_and_bound(tmp_path):
    # 一般 is a generic verdict and, for the décor, a bound one: the pack's own entry stays.
    text = "opinions:\n  neutral: [一般]\ndimensions:\n  tangibles:\n    decor:\n      targets: [装修]\n      bound_negative: [一般]\n"
    lex = load_lexicon([_pack(tmp_path, text)], DIMS)
    assert lex.entries["一般"].role == "generic" and lex.bound["一般"][0].polarity == -1
