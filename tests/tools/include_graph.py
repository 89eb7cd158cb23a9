#!/usr/bin/env python3
"""tests/tools/include_graph.py [--check]: echod's module graph from its
#include lines.  A module is src/NAME.c with include/echod/NAME.h; an edge
A -> B means A's .c or .h includes "echod/B.h".  Prints every edge and
every cycle (strongly connected component of more than one module).
With --check, exits 1 if any cycle other than the allowed owner/owned
pair worker <-> conn remains."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ALLOWED = [{"worker", "conn"}]


def graph():
    edges = {}
    for sub in ("src", os.path.join("include", "echod")):
        d = os.path.join(ROOT, sub)
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            mod = name[:-2]
            with open(os.path.join(d, name)) as f:
                for m in re.finditer(r'#include\s+"echod/(\w+)\.h"', f.read()):
                    if m.group(1) != mod:
                        edges.setdefault(mod, set()).add(m.group(1))
            edges.setdefault(mod, set())
    return edges


def sccs(edges):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)
    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    edges = graph()
    for a in sorted(edges):
        if edges[a]:
            print("%s -> %s" % (a, " ".join(sorted(edges[a]))))
    cycles = sccs(edges)
    bad = [c for c in cycles if c not in ALLOWED]
    for c in cycles:
        print("cycle: %s%s" % (" <-> ".join(sorted(c)),
                               "" if c not in bad else "  (not allowed)"))
    if "--check" in sys.argv[1:] and bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
