#!/usr/bin/env python3
"""Generate a large, synthetic but valid pstats dump (cProfile layout).

Usage:
    python3 benches/gen_large_pstats.py OUT.prof [--functions 100000]
        [--callers 8] [--seed 1] [--variant]

The file is what ``marshal.dump(stats_dict, f)`` writes, exactly like
``cProfile.Profile.dump_stats``:

    {(filename, lineno, funcname): (cc, nc, tt, ct, {caller_key: (nc, cc, tt, ct)})}

Shape (defaults: 100k functions x 8 callers on average, ~35 MB):
  * paths like /home/u/.venv/lib/python3.11/site-packages/pkgN/modM.py plus a
    stdlib slice (/usr/lib/python3.11/...) and ~0.3% builtins ('~', 0,
    "<built-in method ...>") that have many callers, like real dumps;
  * ~20 functions per module, line numbers increasing within a module, names
    such as __init__, get_item, _load_config_17 (same names in many files);
  * per-edge call counts are log-normal (1 .. ~10^6), per-call times
    log-normal around a few microseconds; entry nc = sum of edge nc,
    tt = sum of edge tt, ct >= tt; ~2% of functions are directly recursive
    (self edge, cc < nc, "nc/cc" in pstats);
  * each key is a fresh tuple while strings are shared objects, as in a real
    cProfile snapshot (so marshal emits the same kind of refs).

--variant makes the matching "after" file for the same --seed/--functions/
--callers: every count and time is perturbed by up to +-10%, ~1% of the
functions are removed (with their edges) and ~1% new ones are added.

Only the standard library is used; runs on Python 3.6+.  The result loads
with ``pstats.Stats(OUT)``; --check verifies that before exiting.
"""
import argparse
import marshal
import math
import random
import sys

SITE = "/home/u/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"
STDLIB_MODULES = [
    "json/decoder.py", "json/encoder.py", "re/_parser.py", "re/_compiler.py",
    "logging/__init__.py", "collections/__init__.py", "typing.py", "enum.py",
    "functools.py", "abc.py", "copy.py", "datetime.py", "threading.py",
    "http/client.py", "email/message.py", "urllib/parse.py", "socket.py",
    "ssl.py", "inspect.py", "dataclasses.py", "posixpath.py", "os.py",
]
NAME_STEMS = [
    "__init__", "__call__", "__getattr__", "__eq__", "__hash__", "__repr__",
    "get", "get_item", "set_item", "load", "_load_config", "parse",
    "_parse_value", "validate", "resolve", "emit", "_emit_event", "handle",
    "dispatch", "wrapper", "inner", "<lambda>", "<genexpr>", "<listcomp>",
    "<module>", "serialize", "deserialize", "_convert", "build", "render",
    "read", "write", "flush", "_compute", "update", "merge", "lookup",
    "register", "_invoke", "run",
]
BUILTIN_NAMES = [
    "<built-in method builtins.isinstance>", "<built-in method builtins.len>",
    "<built-in method builtins.getattr>", "<built-in method builtins.hasattr>",
    "<method 'get' of 'dict' objects>", "<method 'append' of 'list' objects>",
    "<method 'join' of 'str' objects>", "<method 'split' of 'str' objects>",
    "<method 'startswith' of 'str' objects>", "<built-in method builtins.exec>",
    "<built-in method marshal.loads>", "<built-in method posix.stat>",
    "<method 'items' of 'dict' objects>", "<method 'format' of 'str' objects>",
    "<built-in method builtins.__build_class__>", "<method 'sub' of 're.Pattern' objects>",
    "<method 'decode' of 'bytes' objects>", "<built-in method _json.scanstring>",
    "<method 'disable' of '_lsprof.Profiler' objects>", "<built-in method builtins.sorted>",
]


def make_keys(n, rng):
    """Deterministic function keys; strings are shared objects."""
    keys = []
    n_builtin = max(len(BUILTIN_NAMES), n // 300)
    for i in range(n_builtin):
        base = BUILTIN_NAMES[i % len(BUILTIN_NAMES)]
        name = base if i < len(BUILTIN_NAMES) else "<method 'm%d' of 'ext%d.Obj' objects>" % (i, i % 37)
        keys.append(("~", 0, name))
    n_std = n // 20
    per_module = 20
    std_files = ["%s/%s" % (STDLIB, m) for m in STDLIB_MODULES]
    i = 0
    while len(keys) < n_builtin + n_std:
        f = std_files[(i // per_module) % len(std_files)]
        line = 10 + (i % per_module) * 23 + (i // (per_module * len(std_files))) * 500
        keys.append((f, line, NAME_STEMS[rng.randrange(len(NAME_STEMS))]))
        i += 1
    m = 0
    while len(keys) < n:
        pkg, mod = m // 50, m % 50
        f = "%s/pkg%d/mod%d.py" % (SITE, pkg, mod)
        line = 1
        for j in range(per_module):
            if len(keys) >= n:
                break
            stem = NAME_STEMS[rng.randrange(len(NAME_STEMS))]
            name = stem if rng.random() < 0.6 or stem.startswith("<") else "%s_%d" % (stem, j)
            if j == 0:
                name, line = "<module>", 1
            keys.append((f, line, name))
            line += 5 + rng.randrange(60)
        m += 1
    # Deduplicate (same file/line/name can collide for the stdlib slice).
    seen, out = set(), []
    for k in keys:
        if k not in seen:
            seen.add(k)
            out.append(k)
    return out


def lognormal_int(rng, mu, sigma, lo=1, hi=10 ** 6):
    return int(min(hi, max(lo, round(rng.lognormvariate(mu, sigma)))))


def build(n, callers, seed):
    """Return {key: [cc, nc, tt, ct, {caller: [nc, cc, tt, ct]}]} (lists, to perturb)."""
    rng = random.Random(seed)
    keys = make_keys(n, rng)
    nkeys = len(keys)
    n_builtin = sum(1 for k in keys if k[0] == "~")
    stats = {}
    for idx, key in enumerate(keys):
        is_builtin = key[0] == "~"
        if idx == n_builtin or key[2] == "<built-in method builtins.exec>":
            # Roots without callers, like exec and the main module.
            stats[key] = [1, 1, 1e-6, 1.0, {}]
            continue
        per_call_tt = rng.lognormvariate(math.log(2e-6), 1.2)
        per_call_child = 0.0 if is_builtin else rng.lognormvariate(math.log(8e-6), 1.8)
        if is_builtin:
            k = lognormal_int(rng, math.log(callers * 6), 0.8, 1, max(1, nkeys - 1))
        else:
            k = lognormal_int(rng, math.log(callers) - 0.18, 0.6, 1, 64)
        edges = {}
        for _ in range(k):
            # Callers are mostly "earlier" non-builtin functions (a DAG-ish
            # graph), sometimes anything.
            if rng.random() < 0.8 and idx > n_builtin + 1:
                c = rng.randrange(n_builtin, idx)
            else:
                c = rng.randrange(n_builtin, nkeys)
            ckey = keys[c]
            if ckey == key or ckey in edges:
                continue
            enc = lognormal_int(rng, 1.0, 1.6)
            ett = enc * per_call_tt * rng.uniform(0.7, 1.3)
            ect = ett + enc * per_call_child * rng.uniform(0.7, 1.3)
            edges[ckey] = [enc, enc, ett, ect]
        if not edges:
            ckey = keys[rng.randrange(n_builtin, nkeys)]
            if ckey == key:
                ckey = keys[n_builtin]
            edges[ckey] = [1, 1, per_call_tt, per_call_tt + per_call_child]
        nc = sum(e[0] for e in edges.values())
        cc = nc
        tt = sum(e[2] for e in edges.values())
        ct = sum(e[3] for e in edges.values())
        if not is_builtin and rng.random() < 0.02:
            # Direct recursion: self edge; primitive calls = calls from others.
            rec = lognormal_int(rng, 2.5, 1.0, 1, 10 ** 5)
            rtt = rec * per_call_tt
            edges[key] = [rec, max(1, nc // 4), rtt, rtt + rec * per_call_child * 0.5]
            nc += rec
            tt += rtt
        stats[key] = [cc, nc, tt, ct, edges]
    return stats


def perturb(stats, seed, n):
    """The 'after' file: +-10% on counts/times, -1% and +1% functions."""
    rng = random.Random(seed * 7919 + 17)
    keys = list(stats)
    removable = [k for k in keys if k[0] != "~"]
    removed = set(rng.sample(removable, max(1, len(removable) // 100)))
    out = {}
    for key in keys:
        if key in removed:
            continue
        cc, nc, tt, ct, edges = stats[key]
        f = rng.uniform(0.9, 1.1)
        new_edges = {}
        for ckey, (enc, ecc, ett, ect) in edges.items():
            if ckey in removed:
                continue
            g = rng.uniform(0.9, 1.1)
            new_edges[ckey] = [max(1, int(round(enc * g))), max(1, int(round(ecc * g))),
                               ett * g * f, ect * g * f]
        if edges and not new_edges:
            new_edges[keys[0]] = [1, 1, tt * f, ct * f]
        if new_edges:
            self_edge = new_edges.get(key)
            nc2 = sum(e[0] for e in new_edges.values())
            cc2 = nc2 - (self_edge[0] if self_edge else 0)
            tt2 = sum(e[2] for e in new_edges.values())
            ct2 = sum(e[3] for k2, e in new_edges.items() if k2 != key)
            out[key] = [max(1, cc2), nc2, tt2, max(ct2, tt2), new_edges]
        else:
            out[key] = [cc, nc, tt * f, ct * f, {}]
    # ~1% new functions in a new package, called by existing ones.
    existing = [k for k in out if k[0] != "~"]
    n_new = max(1, n // 100)
    for i in range(n_new):
        key = ("%s/newpkg%d/feature%d.py" % (SITE, i // 400, (i // 20) % 20), 1 + (i % 20) * 17,
               "new_%s" % NAME_STEMS[i % len(NAME_STEMS)].strip("<>_"))
        edges = {}
        for _ in range(1 + rng.randrange(8)):
            enc = lognormal_int(rng, 1.0, 1.6)
            ett = enc * rng.lognormvariate(math.log(2e-6), 1.2)
            edges[rng.choice(existing)] = [enc, enc, ett, ett * rng.uniform(1.0, 4.0)]
        nc = sum(e[0] for e in edges.values())
        out[key] = [nc, nc, sum(e[2] for e in edges.values()),
                    sum(e[3] for e in edges.values()), edges]
    return out


def freeze(stats, rng):
    """Convert to the exact pstats shape; fresh key tuples, arbitrary order."""
    items = list(stats.items())
    rng.shuffle(items)
    out = {}
    for key, (cc, nc, tt, ct, edges) in items:
        callers = {}
        for ckey, (enc, ecc, ett, ect) in edges.items():
            callers[tuple(ckey)] = (enc, ecc, float(ett), float(ect))
        out[tuple(key)] = (cc, nc, float(tt), float(ct), callers)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("output")
    ap.add_argument("--functions", type=int, default=100000)
    ap.add_argument("--callers", type=int, default=8, help="average callers per function")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", action="store_true",
                    help="write the perturbed 'after' file for the same seed")
    ap.add_argument("--check", action="store_true", help="load the result with pstats")
    args = ap.parse_args(argv)
    if args.functions < 100:
        ap.error("--functions must be >= 100")

    stats = build(args.functions, args.callers, args.seed)
    if args.variant:
        stats = perturb(stats, args.seed, args.functions)
    stats = freeze(stats, random.Random(args.seed + (1000 if args.variant else 0)))
    with open(args.output, "wb") as f:
        marshal.dump(stats, f)
    nedges = sum(len(v[4]) for v in stats.values())
    sys.stderr.write("%s: %d functions, %d caller edges\n" % (args.output, len(stats), nedges))
    if args.check:
        import pstats
        s = pstats.Stats(args.output)
        sys.stderr.write("pstats: %d function calls (%d primitive) in %.3f s\n"
                         % (s.total_calls, s.prim_calls, s.total_tt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
