#!/usr/bin/python3
"""Print pandas' reading of a CSV file in the canonical form test_csv_pandas.cpp
compares aio's against.

usage: compare_pandas.py FILE [KWARGS]    KWARGS: read_csv keyword arguments as
       Python source, e.g. "sep=';', decimal=','".
       compare_pandas.py --batch LIST        LIST: lines "FILE<TAB>KWARGS"; each
       case's output follows a line "==== case N" (N from 0), or the line
       "==== error N: message" when pandas fails on it. One process for the
       whole corpus: importing pandas is most of a case's time.

Floats are read with float_precision='round_trip' (correctly rounded, as aio
reads them; pandas' default parser is off by one ulp for some 17-digit values).
Output: the columns with their dtype and canonical cells, then to_csv(), then
str(df), each section introduced by a line "== name".
"""
import io
import sys
import warnings

import pandas as pd


def esc(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def cell(v):
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return "True" if v else "False"
    try:
        if pd.isna(v):
            return "NA"
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp):
        return str(v)
    if isinstance(v, float) or type(v).__name__ == "float64":
        return repr(float(v))
    if isinstance(v, str):
        return "s:" + esc(v)
    return str(v)


def dump(path, kwargs_source, out):
    kwargs = eval("dict(%s)" % kwargs_source)
    kwargs.setdefault("float_precision", "round_trip")
    if kwargs.get("sep") not in (None, ",", "\t", ";", "|", r"\s+") and len(kwargs.get("sep", ",")) > 1:
        kwargs.pop("float_precision")
        kwargs["engine"] = "python"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pd.read_csv(path, **kwargs)
    out.write("== shape %d %d\n" % df.shape)
    for name in df.columns:
        col = df[name]
        out.write("== column %s %s\n" % (esc(str(name)), str(col.dtype)))
        values = col.tolist() if col.dtype.kind != "M" else list(col)
        for v in values:
            if col.dtype == object and not (isinstance(v, float) and v != v):
                v = str(v)  # aio's object columns hold text
            out.write(cell(v) + "\n")
    out.write("== to_csv\n")
    out.write(df.to_csv(index=False))
    out.write("== repr\n")
    out.write(str(df) + "\n")
    out.write("== head\n")
    out.write(str(df.head()) + "\n")
    out.write("== tail\n")
    out.write(str(df.tail(3)) + "\n")


def main():
    if sys.argv[1] == "--batch":
        with open(sys.argv[2], encoding="utf-8") as f:
            cases = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
        for i, (path, kwargs_source) in enumerate(cases):
            one = io.StringIO()
            try:
                dump(path, kwargs_source, one)
            except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
                sys.stdout.write("==== error %d: %s\n" % (i, esc(repr(e))))
                continue
            sys.stdout.write("==== case %d\n" % i)
            sys.stdout.write(one.getvalue())
        return
    dump(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "", sys.stdout)


if __name__ == "__main__":
    main()
