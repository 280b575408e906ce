#!/usr/bin/env python3
"""Generate large, synthetic but valid sampled profiles and pstats text.

Usage:
    python3 benches/gen_large_sampled.py FORMAT OUT [--mb 64] [--stacks 6000]
        [--threads 8] [--seed 1] [--gzip]

FORMAT is one of
  folded      py-spy ``--format raw --threads`` style: one line per distinct
              (thread, stack), frames ``func (pkg/mod.py:LINE)`` root first,
              a root frame ``thread (0x7F…)`` per thread, then a count;
  speedscope  py-spy ``--format speedscope`` style: one sampled profile per
              thread (unit seconds, weight 0.01 = 100 Hz), one entry in
              ``samples`` per sample, shared frames ``{name, file, line,
              col: null}`` with absolute paths, ``profiles`` before ``shared``;
  pprof       raw (or, with --gzip, gzipped) ``profile.proto`` written by hand
              (docs/formats.md §6): sample types samples/count and cpu/nanoseconds,
              one Sample per sample with packed leaf-first location ids and a
              "thread id" label, Go's field order (samples before mappings,
              locations, functions and the string table);
  text        a ``pstats.Stats.print_stats()`` table (header, "Ordered by:
              cumulative time", rows sorted by cumtime, full paths, builtins
              ``{…}``, ``nc/cc`` for recursive functions), ~500k rows at 64 MB.

The three sampled formats share one model: ~4,000 functions in ~400 modules
(app code, site-packages, stdlib, ``<frozen importlib._bootstrap>``), a
layered call graph (a function calls 2-6 "deeper" functions at fixed call
lines, ~1% are directly recursive), and a pool of --stacks distinct stacks
(random walks from a few roots, depth 4-80, ~30 on average) drawn with
Zipf-like weights, so a few hot stacks dominate as in a real profile. Each
file grows until it reaches --mb megabytes (10^6 bytes; a little more).

Deterministic: the same arguments give byte-identical files (only the
standard library is used; no dict/set iteration order or hashing decides
anything). Runs on Python 3.6+.
"""
import argparse
import bisect
import gzip
import io
import json
import math
import random
import sys

SITE = "/home/u/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"
APP = "/var/task"
STDLIB_MODULES = [
    "json/decoder.py", "json/encoder.py", "re/_parser.py", "re/_compiler.py",
    "logging/__init__.py", "collections/__init__.py", "typing.py", "enum.py",
    "functools.py", "abc.py", "copy.py", "datetime.py", "threading.py",
    "http/client.py", "email/message.py", "urllib/parse.py", "socket.py",
    "ssl.py", "inspect.py", "dataclasses.py", "posixpath.py", "os.py",
    "selectors.py", "queue.py", "concurrent/futures/thread.py",
]
PACKAGES = ["botocore", "boto3", "urllib3", "requests", "sqlalchemy", "pydantic",
            "jinja2", "werkzeug", "flask", "s3transfer", "dateutil", "yaml",
            "jmespath", "certifi", "idna", "charset_normalizer", "markupsafe",
            "click", "attr", "orjson_compat"]
NAME_STEMS = [
    "__init__", "__call__", "__getattr__", "__eq__", "get", "get_item",
    "set_item", "load", "_load_config", "parse", "_parse_value", "validate",
    "resolve", "emit", "_emit_event", "handle", "dispatch", "wrapper", "inner",
    "<lambda>", "<genexpr>", "<listcomp>", "serialize", "deserialize",
    "_convert", "build", "render", "read", "write", "flush", "_compute",
    "update", "merge", "lookup", "register", "_invoke", "run", "send",
    "_make_request", "_send_request",
]
THREAD_IDS = ["0x7F3A%08X" % (0x1B2C3D00 + 0x1000 * i) for i in range(64)]


class Model:
    """Functions, call graph and the pool of distinct stacks."""

    def __init__(self, seed, n_stacks, n_functions=4000):
        rng = random.Random(seed)
        # functions: (name, short_file, abs_file, start_line, body_lines)
        self.functions = []
        modules = []
        for i, m in enumerate(STDLIB_MODULES):
            modules.append((m, "%s/%s" % (STDLIB, m)))
        modules.append(("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap>"))
        modules.append(("<frozen importlib._bootstrap_external>",
                        "<frozen importlib._bootstrap_external>"))
        for i in range(12):
            short = "app/%s.py" % ["handler", "models", "views", "services", "db", "cache",
                                   "auth", "utils", "tasks", "schemas", "api", "config"][i]
            modules.append((short, "%s/%s" % (APP, short)))
        m = 0
        while len(modules) < n_functions // 10:
            pkg = PACKAGES[m % len(PACKAGES)]
            short = "%s/mod%d.py" % (pkg, m // len(PACKAGES))
            modules.append((short, "%s/%s" % (SITE, short)))
            m += 1
        per_module = n_functions // len(modules) + 1
        for short, absf in modules:
            line = 1
            for j in range(per_module):
                if len(self.functions) >= n_functions:
                    break
                stem = NAME_STEMS[rng.randrange(len(NAME_STEMS))]
                if j == 0:
                    name = "<module>"
                elif rng.random() < 0.5 or stem.startswith("<"):
                    name = stem
                else:
                    name = "%s_%d" % (stem, j)
                body = 3 + rng.randrange(60)
                self.functions.append((name, short, absf, line, body))
                line += body + 2
        # Shuffle so a module's functions sit at unrelated depths (index
        # order is depth order in the call graph below).
        rng.shuffle(self.functions)
        n = len(self.functions)
        # Layered call graph: i calls 2-6 functions in (i, i+150], at fixed
        # call-site lines inside i's body; ~1% call themselves too.
        self.callees = []
        for i, (_, _, _, start, body) in enumerate(self.functions):
            edges = []
            if i < n - 1:
                for _ in range(2 + rng.randrange(5)):
                    j = min(n - 1, i + 1 + rng.randrange(150))
                    edges.append((j, start + 1 + rng.randrange(body)))
            if rng.random() < 0.01:
                edges.append((i, start + 1 + rng.randrange(body)))
            self.callees.append(edges)
        # Distinct stacks: tuples of (function index, executing line).
        roots = list(range(8))
        seen = {}
        self.stacks = []
        attempts = 0
        while len(self.stacks) < n_stacks and attempts < n_stacks * 50:
            attempts += 1
            f = roots[rng.randrange(len(roots))]
            frames = []
            target = max(4, min(80, int(rng.gauss(30, 12))))
            while True:
                edges = self.callees[f]
                if len(frames) + 1 >= target or not edges:
                    start, body = self.functions[f][3], self.functions[f][4]
                    frames.append((f, start + 1 + rng.randrange(body)))
                    break
                g, call_line = edges[rng.randrange(len(edges))]
                frames.append((f, call_line))
                f = g
            key = tuple(frames)
            if key not in seen:
                seen[key] = len(self.stacks)
                self.stacks.append(key)
        # Zipf-like popularity over a shuffled pool.
        order = list(range(len(self.stacks)))
        rng.shuffle(order)
        weights = [0.0] * len(self.stacks)
        for rank, s in enumerate(order):
            weights[s] = 1.0 / (rank + 1) ** 1.1
        acc, self.cum = 0.0, []
        for w in weights:
            acc += w
            self.cum.append(acc)
        self.weights = weights

    def draw(self, rng):
        """Index of a stack, by popularity."""
        return bisect.bisect_left(self.cum, rng.random() * self.cum[-1])


# ------------------------------------------------------------------ folded
def write_folded(out, model, target, threads, rng):
    # Frames as py-spy prints them (short file, executing line).
    label = {}
    lines = []
    for st in model.stacks:
        parts = []
        for f, line in st:
            k = (f, line)
            if k not in label:
                fn = model.functions[f]
                label[k] = "%s (%s:%d)" % (fn[0], fn[1], line)
            parts.append(label[k])
        lines.append(";".join(parts))
    written = 0
    t = 0
    while written < target:
        prefix = "thread (%s);" % THREAD_IDS[t % len(THREAD_IDS)]
        order = list(range(len(lines)))
        rng.shuffle(order)
        for s in order:
            # Count ~ popularity, with noise; at least 1.
            count = max(1, int(20000 * model.weights[s] * rng.uniform(0.5, 1.5)))
            row = "%s%s %d\n" % (prefix, lines[s], count)
            out.write(row.encode("utf-8"))
            written += len(row)
            if written >= target:
                break
        t += 1
    return "%d threads" % t


# --------------------------------------------------------------- speedscope
def write_speedscope(out, model, target, threads, rng):
    frame_index = {}
    frames = []
    stack_json = []
    for st in model.stacks:
        idx = []
        for f, line in st:
            k = (f, line)
            if k not in frame_index:
                frame_index[k] = len(frames)
                frames.append(k)
            idx.append(frame_index[k])
        stack_json.append("[" + ",".join(str(i) for i in idx) + "]")
    frames_json = ",".join(
        '{"name":%s,"file":%s,"line":%d,"col":null}' % (
            json.dumps(model.functions[f][0]), json.dumps(model.functions[f][2]), line)
        for f, line in frames)
    weight = "0.01"
    # Draw samples until the file would reach the target size.
    per_thread = [[] for _ in range(threads)]
    size = len(frames_json) + 200 * threads + 200
    t = 0
    while size < target:
        s = model.draw(rng)
        per_thread[t].append(s)
        size += len(stack_json[s]) + len(weight) + 2
        t = (t + 1) % threads if rng.random() < 0.02 else t
    out.write(b'{"$schema":"https://www.speedscope.app/file-format-schema.json","profiles":[')
    for t, samples in enumerate(per_thread):
        if t:
            out.write(b",")
        head = ('{"type":"sampled","name":%s,"unit":"seconds","startValue":0.0,'
                '"endValue":%.2f,"samples":[' % (
                    json.dumps('Thread %d "%s"' % (4242 + t, "MainThread" if t == 0 else "Worker-%d" % t)),
                    len(samples) * 0.01))
        out.write(head.encode())
        for a in range(0, len(samples), 10000):
            chunk = ",".join(stack_json[s] for s in samples[a:a + 10000])
            out.write(((",") if a else "").encode() + chunk.encode())
        out.write(b'],"weights":[')
        out.write(",".join([weight] * len(samples)).encode())
        out.write(b"]}")
    out.write(b'],"shared":{"frames":[' + frames_json.encode("utf-8") + b']},')
    out.write(b'"activeProfileIndex":null,"exporter":"py-spy@0.4.3","name":"profile"}')
    return "%d samples in %d profiles" % (sum(len(p) for p in per_thread), threads)


# -------------------------------------------------------------------- pprof
def varint(n):
    if n < 0:
        n += 1 << 64
    b = bytearray()
    while True:
        x = n & 0x7F
        n >>= 7
        if n:
            b.append(x | 0x80)
        else:
            b.append(x)
            return bytes(b)


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, data):
    return varint((num << 3) | 2) + varint(len(data)) + data


class Strings:
    def __init__(self):
        self.index = {"": 0}
        self.table = [""]

    def __call__(self, s):
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.table)
            self.table.append(s)
        return i


def write_pprof(out, model, target, threads, rng):
    strings = Strings()
    sample_types = [(strings("samples"), strings("count")),
                    (strings("cpu"), strings("nanoseconds"))]
    label_key = strings("thread id")
    # Locations: one per (function, line); ids in first-use order.
    loc_id = {}
    locs = []
    packed = []
    for st in model.stacks:
        ids = []
        for k in reversed(st):  # leaf first
            if k not in loc_id:
                loc_id[k] = len(locs) + 1
                locs.append(k)
            ids.append(loc_id[k])
        packed.append(field_bytes(1, b"".join(varint(i) for i in ids)))
    period = 10000000
    values = field_bytes(2, varint(1) + varint(period))
    thread_labels = [field_bytes(3, field_varint(1, label_key) +
                                 field_varint(2, strings("%d" % (139870000000000 + 4096 * t))))
                     for t in range(threads)]
    body = io.BytesIO()
    for kind, unit in sample_types:
        body.write(field_bytes(1, field_varint(1, kind) + field_varint(2, unit)))
    n_samples = 0
    t = 0
    size = 0
    while size < target:
        s = model.draw(rng)
        sample = packed[s] + values + thread_labels[t]
        rec = field_bytes(2, sample)
        body.write(rec)
        size += len(rec)
        n_samples += 1
        t = (t + 1) % threads if rng.random() < 0.02 else t
    # Mapping, locations, functions (Go writes them after the samples).
    body.write(field_bytes(3, field_varint(1, 1) + field_varint(2, 0x400000) +
                           field_varint(3, 0x7FFFFF) + field_varint(5, strings("/usr/bin/python3.11")) +
                           field_varint(7, 1) + field_varint(8, 1) + field_varint(9, 1)))
    fn_id = {}
    for i, (f, line) in enumerate(locs):
        if f not in fn_id:
            fn_id[f] = len(fn_id) + 1
        loc = (field_varint(1, i + 1) + field_varint(2, 1) + field_varint(3, 0x400000 + 16 * (i + 1)) +
               field_bytes(4, field_varint(1, fn_id[f]) + field_varint(2, line)))
        body.write(field_bytes(4, loc))
    for f, fid in sorted(fn_id.items(), key=lambda kv: kv[1]):
        name, short, absf, start, _ = model.functions[f]
        fn = (field_varint(1, fid) + field_varint(2, strings(name)) + field_varint(3, strings(name)) +
              field_varint(4, strings(absf)) + field_varint(5, start))
        body.write(field_bytes(5, fn))
    for s in strings.table:
        body.write(field_bytes(6, s.encode("utf-8")))
    body.write(field_varint(9, 1790000000000000000))
    body.write(field_varint(10, n_samples * period // threads))
    body.write(field_bytes(11, field_varint(1, sample_types[1][0]) + field_varint(2, sample_types[1][1])))
    body.write(field_varint(12, period))
    out.write(body.getvalue())
    return "%d samples, %d locations, %d functions" % (n_samples, len(locs), len(fn_id))


# --------------------------------------------------------------- pstats text
BUILTINS = [
    "{built-in method builtins.isinstance}", "{built-in method builtins.len}",
    "{built-in method builtins.getattr}", "{method 'get' of 'dict' objects}",
    "{method 'append' of 'list' objects}", "{method 'join' of 'str' objects}",
    "{built-in method builtins.exec}", "{built-in method posix.stat}",
    "{method 'disable' of '_lsprof.Profiler' objects}",
]


def f8(x):
    return "%8.3f" % x


def write_text(out, model, target, threads, rng):
    # Row estimate: ~120 bytes; generate rows until the estimate is met.
    rows = []
    size = 400
    m = 0
    while size < target:
        if m % 200 == 0 and m // 200 < len(BUILTINS) * 50:
            b = m // 200
            name = BUILTINS[b] if b < len(BUILTINS) else "{method 'm%d' of 'ext%d.Obj' objects}" % (b, b % 37)
            funcs = [name]
        else:
            pkg = PACKAGES[m % len(PACKAGES)]
            short = "%s/%s/sub%d/mod%d.py" % (SITE, pkg, (m // 20) % 50, m // 1000)
            line = 1
            funcs = []
            for j in range(20):
                stem = NAME_STEMS[rng.randrange(len(NAME_STEMS))]
                name = "<module>" if j == 0 else (stem if rng.random() < 0.5 else "%s_%d" % (stem, j))
                funcs.append("%s:%d(%s)" % (short, line, name))
                line += 5 + rng.randrange(60)
        for name in funcs:
            nc = max(1, int(round(rng.lognormvariate(1.5, 1.8))))
            cc = nc
            if rng.random() < 0.02 and nc > 1:
                cc = max(1, nc // (2 + rng.randrange(8)))
            tt = nc * rng.lognormvariate(math.log(3e-6), 1.5)
            ct = tt + nc * rng.lognormvariate(math.log(2e-5), 2.0)
            rows.append((ct, tt, nc, cc, name))
            size += 46 + len(name) + 1 + max(0, len(str(nc)) - 9)
        m += 1
    rows.sort(key=lambda r: (-r[0], r[4]))
    total_nc = sum(r[2] for r in rows)
    total_cc = sum(r[3] for r in rows)
    total_tt = sum(r[1] for r in rows)
    w = out.write
    w(("Wed Nov 25 09:14:03 2026    /tmp/app.prof\n\n").encode())
    w(("         %d function calls (%d primitive calls) in %.3f seconds\n\n" % (
        total_nc, total_cc, total_tt)).encode())
    w(b"   Ordered by: cumulative time\n\n")
    w(b"   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n")
    buf = []
    for ct, tt, nc, cc, name in rows:
        calls = str(nc) if nc == cc else "%d/%d" % (nc, cc)
        buf.append("%s %s %s %s %s %s\n" % (calls.rjust(9), f8(tt), f8(tt / nc), f8(ct), f8(ct / cc), name))
        if len(buf) >= 10000:
            w("".join(buf).encode("utf-8"))
            buf = []
    buf.append("\n\n")
    w("".join(buf).encode("utf-8"))
    return "%d rows, %d calls" % (len(rows), total_nc)


WRITERS = {"folded": write_folded, "speedscope": write_speedscope,
           "pprof": write_pprof, "text": write_text}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("format", choices=sorted(WRITERS))
    ap.add_argument("output")
    ap.add_argument("--mb", type=float, default=64.0, help="target size in 10^6 bytes (default 64)")
    ap.add_argument("--stacks", type=int, default=6000, help="distinct stacks (default 6000)")
    ap.add_argument("--threads", type=int, default=8, help="threads (default 8; folded: as many as needed)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gzip", action="store_true", help="gzip the output (mtime 0: deterministic)")
    args = ap.parse_args(argv)
    target = int(args.mb * 1e6)
    model = Model(args.seed, args.stacks) if args.format != "text" else None
    rng = random.Random(args.seed * 1000003 + sorted(WRITERS).index(args.format))
    with open(args.output, "wb") as raw:
        if args.gzip:
            out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        else:
            out = raw
        what = WRITERS[args.format](out, model, target, args.threads, rng)
        if args.gzip:
            out.close()
        size = raw.tell()
    extra = "" if model is None else ", %d distinct stacks, %d functions" % (
        len(model.stacks), len(model.functions))
    sys.stderr.write("%s: %s bytes, %s%s\n" % (args.output, format(size, ","), what, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
