"""Helpers for million-row tables: Arrow set membership, categorical compaction and concat."""

from __future__ import annotations

import pandas as pd

from pipeline.arrowops import compact, concat_compact, expand, in_values, positions_in


def test_in_values_and_positions_compare_as_strings():
    s = pd.Series(["a", "b", None, "c"], dtype="string")
    assert in_values(s, {"a", "c"}).tolist() == [True, False, False, True]
    assert in_values(pd.Series([1, 2]), ["1"]).tolist() == [True, False]
    assert positions_in(s, pd.Series(["c", "a"], dtype="string")).tolist() == [1, -1, -1, 0]


def test_concat_compact_keeps_categories_and_types_of_columns_older_frames_lack():
    old = pd.DataFrame({"review_id": pd.array(["1", "2"], dtype="string"), "owner": pd.array(["前厅部", None], dtype="string")})
    new = pd.DataFrame({
        "review_id": pd.array(["3"], dtype="string"),
        "owner": pd.array(["客房部"], dtype="string"),
        "dup_digest": pd.array([2**64 - 1], dtype="UInt64"),
    })
    both = concat_compact([compact(old), compact(new)])
    assert isinstance(both["owner"].dtype, pd.CategoricalDtype)
    assert str(both["dup_digest"].dtype) == "UInt64"
    assert both["dup_digest"].isna().tolist() == [True, True, False]
    back = expand(both)
    assert back["owner"].tolist()[::2] == ["前厅部", "客房部"] and pd.isna(back["owner"][1])
    assert str(back["owner"].dtype) == "string"
    import io

    back.to_parquet(io.BytesIO())  # Arrow accepts every column (no Python ints beyond int64)


def test_arrowops_in_values_takes_arrow_columns_as_they_are():
    """The store is filtered while still an Arrow table (no pandas round trip)."""
    import pyarrow as pa

    column = pa.chunked_array([["r1", None, "r3"], ["r2"]])
    assert in_values(column, pd.Series(["r2", "r3"], dtype="string")).tolist() == [False, False, True, True]
    assert in_values(pa.array(["r1"]), {"r1"}).tolist() == [True]
