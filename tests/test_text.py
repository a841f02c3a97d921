import pytest

from pipeline.errors import DictionaryError
from pipeline.text import (
    count_cjk,
    get_segmenter,
    mask_pii,
    parse_user_dict,
    read_word_list,
    split_clauses,
    strip_noise,
    to_halfwidth,
    to_simplified,
)


def test_text_halfwidth_folds_letters_and_digits_keeps_chinese_punctuation():
    assert to_halfwidth("ＷＩＦＩ很慢，等了３０分钟！") == "WIFI很慢，等了30分钟！"


def test_text_simplified_from_traditional():
    assert to_simplified("房間很乾淨，服務態度很好") == "房间很干净，服务态度很好"


def test_text_strip_noise_removes_url_emoji_html():
    assert strip_noise("很好😊👍 <br/>详见 http://t.cn/abc 谢谢！！！") == "很好 详见 谢谢！"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("电话13812345678找我", "电话[电话]找我"),
        ("邮箱 zhang.san@example.com", "邮箱 [邮箱]"),
        ("身份证11010119900307123X", "身份证[身份证]"),
        ("座机010-12345678", "座机[电话]"),
        ("房间号1203，价格399元", "房间号1203，价格399元"),
    ],
)
def test_text_mask_pii(text, expected):
    assert mask_pii(text) == expected


def test_text_split_clauses_on_punctuation_and_contrast():
    assert split_clauses("房间不错但是服务太差！早餐不但好吃而且丰富。环境还行就是有点吵") == [
        "房间不错",
        "但是服务太差",
        "早餐不但好吃而且丰富",
        "环境还行",
        "就是有点吵",
    ]


def test_text_split_clauses_contrast_word_opening_a_clause_is_read_whole():
    # 只不过 after a comma once came out as 只 | 不过...: 不过 inside it split the clause.
    assert split_clauses("环境很好，只不过价格有点贵") == ["环境很好", "只不过价格有点贵"]
    assert split_clauses("环境很好， 只不过价格有点贵") == ["环境很好", "只不过价格有点贵"]
    assert split_clauses("环境很好只不过价格有点贵") == ["环境很好", "只不过价格有点贵"]
    # A second contrast word right after the first still opens a clause of its own.
    assert split_clauses("环境很好，可是但是价格贵") == ["环境很好", "可是", "但是价格贵"]
    assert split_clauses("房间不错但是服务太差", ()) == ["房间不错但是服务太差"]


def test_text_split_clauses_empty():
    assert split_clauses("") == []
    assert split_clauses("。。，") == []


def test_text_count_cjk():
    assert count_cjk("abc房间123") == 2


def test_text_segmenter_keeps_negation_and_drops_punctuation():
    seg = get_segmenter()
    toks = seg.cut("房间不干净，没有热水！")
    assert "，" not in toks and "！" not in toks
    assert "没有" in toks


def test_text_segmenter_user_dict_and_extra_words(tmp_path):
    d = tmp_path / "u.txt"
    d.write_text("行李寄存 1000 n\n", encoding="utf-8")
    seg = get_segmenter((str(d),), (), ("叫醒服务",))
    assert "行李寄存" in seg.cut("行李寄存很方便")
    assert "叫醒服务" in seg.cut("叫醒服务很准时")


def test_text_segmenter_content_tokens_drop_stopwords(tmp_path):
    sw = tmp_path / "s.txt"
    sw.write_text("\ufeff# stopwords\r\n的\r\n我们\r\n", encoding="utf-8")
    seg = get_segmenter((), (str(sw),))
    assert seg.content_tokens(["我们", "的", "房间", "很", "2026"]) == ["房间"]


def test_text_user_dict_bad_frequency_reports_line(tmp_path):
    d = tmp_path / "u.txt"
    d.write_text("前台 100 n\n押金 abc n\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="line 2: frequency 'abc'"):
        parse_user_dict(d)


def test_text_word_list_not_utf8_reports_line(tmp_path):
    p = tmp_path / "s.txt"
    p.write_bytes("的\n".encode() + "我们\n".encode("gb18030"))
    with pytest.raises(DictionaryError, match="line 2: not valid UTF-8"):
        read_word_list(p)


def test_text_word_list_missing_file(tmp_path):
    with pytest.raises(DictionaryError, match="file not found"):
        read_word_list(tmp_path / "missing.txt")


def test_text_to_simplified_skips_only_texts_opencc_leaves_alone():
    from pipeline.text import _t2s_converter, _t2s_trigger_chars, to_simplified

    trigger = _t2s_trigger_chars()
    assert trigger is not None and "們" in trigger and "沈" in trigger  # 沈默 → 沉默 is a phrase rule
    for text in ["味道不错，送餐很快", "沈默是金", "臺灣的東西很好吃", "WIFI 30", ""]:
        assert to_simplified(text) == _t2s_converter().convert(text)


def test_text_fast_paths_match_the_slow_ones():
    import unicodedata

    from pipeline.text import PII_MASKS, PII_PATTERNS, _FULLWIDTH_TABLE, mask_pii, normalize_unicode, to_halfwidth

    texts = ["送餐很快", "ＷＩＦＩ３０　快", "好\x00吃\u200b\n了", "微信abc12345 x@y.cn 13812345678", "价格<300元"]
    for text in texts:
        assert to_halfwidth(text) == text.translate(_FULLWIDTH_TABLE)
        slow = text
        for kind, pattern in PII_PATTERNS.items():
            slow = pattern.sub(PII_MASKS[kind], slow)
        assert mask_pii(text) == slow
        nfc = unicodedata.normalize("NFC", text)
        assert normalize_unicode(text) == "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in nfc)
