"""Vectorised helpers for Arrow-backed string columns (million-row tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def arrow_strings(x: "pd.Series | pd.Index | list | set | pa.ChunkedArray") -> "pa.ChunkedArray":
    """Values as an Arrow ``large_string`` array (zero-copy for Arrow-backed pandas strings
    and Arrow columns)."""
    import pyarrow as pa

    if isinstance(x, (pa.Array, pa.ChunkedArray)):
        return (x if isinstance(x, pa.ChunkedArray) else pa.chunked_array([x])).cast(pa.large_string())
    s = x if isinstance(x, pd.Series) else pd.Series(list(x) if isinstance(x, (set, frozenset)) else x, dtype=object)
    return pa.chunked_array(pa.array(s.astype("string[pyarrow]").array)).cast(pa.large_string())


def in_values(series: "pd.Series | pa.ChunkedArray", values: "pd.Series | pd.Index | list | set") -> np.ndarray:
    """Boolean mask: which of ``series`` (or an Arrow column) are among ``values`` (compared
    as strings; missing values match nothing).

    Computed by Arrow: pandas' ``isin`` on Arrow strings walks a million values in Python.
    """
    import pyarrow.compute as pc

    if not len(series):
        return np.zeros(0, dtype=bool)
    return pc.is_in(arrow_strings(series), value_set=arrow_strings(values).combine_chunks(), skip_nulls=True).fill_null(False).to_numpy(zero_copy_only=False)


def pa_mask(mask: np.ndarray):
    """A boolean numpy mask as an Arrow array (for ``pyarrow.Table.filter``)."""
    import pyarrow as pa

    return pa.array(np.asarray(mask, dtype=bool))


def positions_in(series: pd.Series, values: pd.Series) -> np.ndarray:
    """For each of ``series``, the position of its first equal in ``values``, or -1."""
    import pyarrow.compute as pc

    if not len(series):
        return np.zeros(0, dtype=np.int64)
    found = pc.index_in(arrow_strings(series), value_set=arrow_strings(values).combine_chunks(), skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


#: Columns of the feedback and mentions tables that hold a handful of distinct values
#: (labels, owners, dates, topic keywords): kept as categoricals while a run holds the whole
#: table, which on a million reviews saves about 350 MB.
LOW_CARDINALITY = frozenset({
    "date", "rating", "source", "store", "sentiment_label", "topic_keywords", "dimensions", "feedback_type", "priority",
    "owner", "action", "due_date", "escalation", "ingest_notes", "dimension", "sub_aspect", "polarity",
})


def _compactable(df: pd.DataFrame, name: str) -> bool:
    return (name in LOW_CARDINALITY or name.startswith("dim_")) and not isinstance(df[name].dtype, pd.CategoricalDtype)


def compact(df: pd.DataFrame) -> pd.DataFrame:
    """The same table with its low-cardinality string columns as categoricals (values unchanged)."""
    out = df.copy(deep=False)
    for name in df.columns:
        if _compactable(df, name):
            out[name] = df[name].astype("string").astype("category")
    return out


def expand(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns back to strings (what files and callers expect)."""
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return df
    out = df.copy(deep=False)
    for name in cats:
        out[name] = as_strings(df[name])
    return out


def as_strings(series: pd.Series) -> pd.Series:
    """``series.astype("string")``; a categorical one by an Arrow take of its categories
    (pandas would first build a Python object per row: 10x slower on a million rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype("string")
    codes = series.cat.codes.to_numpy()
    dictionary = pa.array(series.cat.categories.astype("string").array)
    values = pc.take(dictionary, pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(values, dtype="string"), index=series.index, name=series.name)


def concat_compact(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat`` of tables whose categorical columns may differ in categories, keeping
    them categorical (plain ``pd.concat`` would turn them into Python objects)."""
    from pandas.api.types import union_categoricals

    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    data = {}
    for name in columns:
        parts = [f[name].reset_index(drop=True) if name in f.columns else _missing(frames, name, len(f)) for f in frames]
        if any(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            cats = [p if isinstance(p.dtype, pd.CategoricalDtype) else p.astype("string").astype("category") for p in parts]
            cats = [c.cat.set_categories(c.cat.categories.astype(str)) for c in cats]
            data[name] = pd.Series(union_categoricals([c.array for c in cats]), name=name)
        else:
            data[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(data)


def _missing(frames: list[pd.DataFrame], name: str, n: int) -> pd.Series:
    """``n`` missing values of column ``name``, typed like the frames that have it (an older
    store without a newer column must not turn it into Python objects)."""
    template = next(f[name] for f in frames if name in f.columns)
    if isinstance(template.dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical([None] * n, categories=template.cat.categories))
    return template.iloc[:0].reset_index(drop=True).reindex(range(n))
