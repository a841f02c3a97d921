"""The improvement loop: an actions register carried run to run, recurrences, measured effect.

Every run builds action items from the cumulative feedback. The register (kept in the
output folder's store) remembers each item by its stable ``action_id``: an item stays open
until staff close it in the returned actions file, and is never duplicated. A new complaint
about the same store, dimension and sub-aspect as an item that was closed before it was
written is a *recurrence*. For each closed item the effect is the negative share of its
dimension (and sub-aspect) in the reviews before and after the close date.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from pipeline.errors import InputError

logger = logging.getLogger(__name__)

STATUSES = ("open", "in_progress", "closed")
REGISTER_EXTRA = ("first_seen", "recurrence_of")
RETURN_HEADER_ALIASES = {
    "行动编号": "action_id",
    "状态": "status",
    "关闭日期": "closed_at",
    "备注": "note",
}
STATUS_ALIASES = {"已关闭": "closed", "关闭": "closed", "已完成": "closed", "完成": "closed", "处理中": "in_progress", "进行中": "in_progress", "未处理": "open", "待处理": "open"}


def normalise_returned(returned: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Map a staff-edited actions sheet onto ``action_id, status, closed_at, note``.

    Chinese headers (行动编号, 状态, 关闭日期, 备注) and Chinese status words are accepted.
    Rows with an unknown status or an unreadable close date are kept open and reported.

    Returns:
        (normalised rows, problems found: one line each)

    Raises:
        InputError: the sheet has no action id column.
    """
    df = returned.rename(columns={k: v for k, v in RETURN_HEADER_ALIASES.items() if k in returned.columns})
    if "action_id" not in df.columns:
        raise InputError(f"returned actions file has no action_id (行动编号) column; found {list(returned.columns)}")
    out = pd.DataFrame({"action_id": df["action_id"].fillna("").astype(str).str.strip()})
    status = df["status"].fillna("").astype(str).str.strip() if "status" in df.columns else pd.Series(["open"] * len(df), index=df.index)
    out["status"] = [STATUS_ALIASES.get(s, s.lower() or "open") for s in status]
    out["closed_at"] = df["closed_at"].fillna("").astype(str).str.strip().str.slice(0, 10) if "closed_at" in df.columns else ""
    out["note"] = df["note"].fillna("").astype(str) if "note" in df.columns else ""
    problems: list[str] = []
    for i, row in out.iterrows():
        if row["action_id"] == "":
            continue
        if row["status"] not in STATUSES:
            problems.append(f"action {row['action_id']}: status {row['status']!r} not one of {list(STATUSES)}; kept open")
            out.at[i, "status"] = "open"
        if row["status"] == "closed":
            try:
                dt.date.fromisoformat(row["closed_at"])
            except ValueError:
                problems.append(f"action {row['action_id']}: closed without a readable closed_at ({row['closed_at']!r}); kept open")
                out.at[i, "status"] = "open"
    out = out[out["action_id"] != ""].drop_duplicates("action_id", keep="last")
    return out.reset_index(drop=True), problems


def reconcile_actions(
    current: pd.DataFrame,
    register: pd.DataFrame | None,
    returned: pd.DataFrame | None,
    run_date: dt.date,
) -> tuple[pd.DataFrame, list[str]]:
    """The register after this run: earlier items with staff updates, plus new items.

    Args:
        current: this run's action items (``build_actions_table`` of the cumulative feedback).
        register: the register saved by the previous run, or None on the first run.
        returned: the staff-edited actions file, already normalised, or None.
        run_date: today's run date (recorded as ``first_seen`` of new items).

    Returns:
        (register, problems): one row per action id, never duplicated; problems lists
        returned rows that name unknown action ids.
    """
    problems: list[str] = []
    cols = list(current.columns) + [c for c in REGISTER_EXTRA if c not in current.columns]
    if register is None or register.empty:
        reg = current.copy()
        reg["first_seen"] = run_date.isoformat()
        reg["recurrence_of"] = ""
    else:
        reg = register.copy()
        for c in cols:
            if c not in reg.columns:
                reg[c] = ""
        from pipeline.arrowops import in_values

        new = current[~in_values(current["action_id"], reg["action_id"])].copy()
        new["first_seen"] = run_date.isoformat()
        new["recurrence_of"] = ""
        reg = pd.concat([reg[cols], new[cols]], ignore_index=True)
    if returned is not None and len(returned):
        idx = {a: i for i, a in enumerate(reg["action_id"])}
        for row in returned.itertuples(index=False):
            i = idx.get(row.action_id)
            if i is None:
                problems.append(f"returned action {row.action_id} is not in the register; ignored")
                continue
            reg.at[i, "status"] = row.status
            reg.at[i, "closed_at"] = row.closed_at if row.status == "closed" else ""
            note = getattr(row, "note", "")
            if note:
                reg.at[i, "note"] = note
    reg = flag_recurrences(reg)
    reg = reg.fillna("").astype("string")
    order = {"open": 0, "in_progress": 1, "closed": 2}
    reg["_s"] = reg["status"].map(order).fillna(3)
    reg = reg.sort_values(["_s", "due_date", "action_id"], kind="stable").drop(columns="_s").reset_index(drop=True)
    return reg, problems


def _key(row: pd.Series) -> tuple[str, str, str]:
    dims = str(row.get("dimensions", "")).split(";")[0]
    return (str(row.get("store", "")), dims, str(row.get("sub_aspect", "")))


def flag_recurrences(reg: pd.DataFrame) -> pd.DataFrame:
    """Mark items about the same store/dimension/sub-aspect as an item closed before them."""
    reg = reg.copy()
    closed = reg[(reg["status"] == "closed") & (reg["closed_at"] != "")]
    if closed.empty:
        return reg
    by_key: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for _, row in closed.iterrows():
        by_key.setdefault(_key(row), []).append((row["closed_at"], row["action_id"]))
    for i, row in reg.iterrows():
        if row.get("recurrence_of") or not row.get("date"):
            continue
        for closed_at, aid in sorted(by_key.get(_key(row), [])):
            if aid != row["action_id"] and closed_at < str(row["date"]):
                reg.at[i, "recurrence_of"] = aid
    return reg


def action_effects(register: pd.DataFrame, feedback: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """Negative share of each closed item's dimension (and sub-aspect) before and after closing.

    The share is over reviews of the same store that mention the dimension (or sub-aspect),
    dated before the close date versus on or after it; counts are given so a reader can judge.
    """
    rows = []
    closed = register[(register["status"] == "closed") & (register["closed_at"] != "")]
    if closed.empty or mentions.empty or "date" not in feedback.columns:
        return pd.DataFrame(columns=["action_id", "store", "dimension", "sub_aspect", "closed_at", "before_n", "before_negative_share", "after_n", "after_negative_share", "change"])
    dates = feedback.set_index("review_id")["date"].astype(str)
    stores = feedback.set_index("review_id")["store"].astype(str) if "store" in feedback.columns else None
    m = mentions.assign(date=mentions["review_id"].map(dates).fillna(""))
    if stores is not None:
        m = m.assign(store=m["review_id"].map(stores).fillna(""))
    m = m[m["date"] != ""]
    for _, item in closed.iterrows():
        store, dim, sub = _key(item)
        sel = m[m["dimension"] == dim]
        if sub and (sel["sub_aspect"] == sub).any():
            sel = sel[sel["sub_aspect"] == sub]
        else:
            sub = ""
        if stores is not None and store:
            sel = sel[sel["store"] == store]
        per_review = sel.groupby("review_id").agg(date=("date", "first"), negative=("polarity", lambda p: (p == "negative").any()))
        before = per_review[per_review["date"] < item["closed_at"]]
        after = per_review[per_review["date"] >= item["closed_at"]]
        b = float(before["negative"].mean()) if len(before) else None
        a = float(after["negative"].mean()) if len(after) else None
        rows.append(
            {
                "action_id": item["action_id"],
                "store": store,
                "dimension": dim,
                "sub_aspect": sub,
                "closed_at": item["closed_at"],
                "before_n": int(len(before)),
                "before_negative_share": None if b is None else round(b, 4),
                "after_n": int(len(after)),
                "after_negative_share": None if a is None else round(a, 4),
                "change": None if a is None or b is None else round(a - b, 4),
            }
        )
    return pd.DataFrame(rows)


def followup_summary(register: pd.DataFrame, effects: pd.DataFrame, run_date: dt.date, problems: list[str], limit: int = 20) -> dict:
    """The follow-up figures for ``summary.json`` and the report."""
    today = run_date.isoformat()
    status = register["status"] if len(register) else pd.Series([], dtype=str)
    open_items = register[status != "closed"] if len(register) else register
    overdue = open_items[(open_items["due_date"] != "") & (open_items["due_date"] < today)] if len(open_items) else open_items
    rec = register[register["recurrence_of"] != ""] if len(register) else register
    keep = ["action_id", "owner", "priority", "due_date", "evidence", "store", "date", "dimensions", "recurrence_of"]
    return {
        "counts": {s: int((status == s).sum()) for s in STATUSES},
        "overdue_total": int(len(overdue)),
        "overdue": _records(overdue.sort_values(["due_date", "action_id"]).head(limit), keep),
        "recurrences": [{**r, "dimension": str(r.get("dimensions", "")).split(";")[0]} for r in _records(rec.head(limit), keep)],
        "effects": effects.astype(object).where(effects.notna(), None).to_dict("records") if len(effects) else [],
        "problems": problems,
    }


def _records(df: pd.DataFrame, cols: list[str]) -> list[dict]:
    if df is None or df.empty:
        return []
    return df[[c for c in cols if c in df.columns]].astype(str).to_dict("records")


def update_history(history: list[dict], summary: dict, feedback: pd.DataFrame, run_date: dt.date) -> list[dict]:
    """Append this run's headline figures when the cumulative data changed since the last entry.

    Rerunning a dump that adds nothing leaves the history as it was (idempotent runs).
    """
    import hashlib

    ids = "\n".join(sorted(feedback["review_id"].astype(str))) if len(feedback) else ""
    fingerprint = hashlib.sha1(ids.encode("utf-8")).hexdigest()[:16]
    if history and history[-1].get("fingerprint") == fingerprint:
        return list(history)
    entry = {
        "run_date": run_date.isoformat(),
        "fingerprint": fingerprint,
        "reviews": int(len(feedback)),
        "service_quality_index": summary.get("service_quality_index"),
        "dimensions": {d["key"]: {"negative_share": d.get("negative_share"), "net_score": d.get("net_score")} for d in summary.get("dimensions", [])},
    }
    return [*history, entry]
