"""Workload that benches/bench_callgrind.sh runs under
``valgrind --tool=callgrind --dump-instr=yes`` with ``/usr/bin/python3 -S -E``.

It touches a wide slice of the interpreter and of C extension modules
(imports of ~60 stdlib modules, JSON, regex, decimal, sqlite, pickle,
hashing, the compiler), because the size of a ``--dump-instr=yes`` file grows
with the number of distinct instructions executed, not with the run time.
With CPython 3.11 and valgrind 3.19 this gives a ~4 MB file with ~4,300
functions in a few seconds of valgrind time. Standard library only; no I/O
besides reading ast.py's source and an in-memory sqlite database.
"""
import importlib

MODULES = """json re decimal fractions statistics datetime calendar email.message
email.parser http.client urllib.parse xml.dom.minidom xml.etree.ElementTree csv
sqlite3 textwrap difflib pprint dataclasses enum typing collections functools
itertools argparse logging configparser tomllib zipfile tarfile gzip bz2 lzma
hashlib hmac base64 uuid random string struct pickle copy shlex fnmatch glob
pathlib tempfile ast inspect dis tokenize unittest doctest""".split()

for name in MODULES:
    try:
        importlib.import_module(name)
    except ImportError:  # e.g. tomllib before 3.11
        pass

import ast  # noqa: E402
import decimal  # noqa: E402
import difflib  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import re  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import zlib  # noqa: E402

data = [{"id": i, "name": "item%d" % i, "tags": ["a", "b", str(i)], "v": i * 1.5}
        for i in range(2000)]
text = json.dumps(data)
json.loads(text)
re.findall(r"item(\d+)", text)
decimal.getcontext().prec = 50
sum(decimal.Decimal(i) / 7 for i in range(500))
statistics.stdev(range(1000))
list(difflib.unified_diff(text[:3000].split(","), text[100:3100].split(",")))
with open(ast.__file__, encoding="utf-8") as f:
    ast.parse(f.read())
db = sqlite3.connect(":memory:")
db.execute("create table t(a, b)")
db.executemany("insert into t values (?, ?)", [(i, str(i)) for i in range(2000)])
db.execute("select sum(a) from t group by b % 10").fetchall()
pickle.loads(pickle.dumps(data))
hashlib.sha256(text.encode()).hexdigest()
zlib.compress(text.encode())
