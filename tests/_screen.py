"""What an AppTest page shows a person, checked for internal identifiers (one rule for every
page's test): no snake_case header or cell, no "None" cell, no "£-" money."""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def headers(at: AppTest) -> list[str]:
    """Every column header the page's tables show (its configured label, else its name)."""
    out = []
    for df in at.dataframe:
        cfg = json.loads(df.proto.columns) if df.proto.columns else {}
        out += [(cfg.get(str(c)) or {}).get("label") or str(c) for c in df.value.columns]
    return out


def identifiers(at: AppTest) -> list[str]:
    """Headers and cells that show a code, snake_case or "None"; [] when the page reads well."""
    bad = [h for h in headers(at) if SNAKE.search(h)]
    for df in at.dataframe:
        if df.proto.editing_mode:  # an editor keeps codes; its columns show them in words
            continue
        if df.value.isna().to_numpy().any() and not df.proto.placeholder:
            bad.append("a missing value shown as None")
        for v in df.value.astype("string").fillna("").to_numpy().ravel():
            text = str(v)
            if text == "None" or SNAKE.fullmatch(text) or "£-" in text:
                bad.append(text)
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    texts += [m.value for m in at.metric]
    # A backslash inside a code span is shown as it is ("demo\\-borough"): never escape there.
    bad += [t[:80] for t in texts if "£-" in t or re.search(r"`[^`]*\\[^`]*`", t)]
    return bad
