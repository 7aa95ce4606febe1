#!/usr/bin/env python3
"""Checks the build's includes and links against dependency_rules.txt.

usage: check_dependencies.py RULES SOURCE_DIR BUILD_DIR [--cmake CMAKE] [--show]

Includes: every file in BUILD_DIR/compile_commands.json, and every header of the
source or build tree it includes (transitively), resolved with that file's own
include path. Links: every target's link libraries, from CMake's file API reply
(BUILD_DIR/.cmake/api/v1/reply, which tests/deps/CMakeLists.txt asks for; CMake
answers a query from the next configure on, so when there is no reply yet this
runs CMAKE on BUILD_DIR once to make it).
Prints one line per broken rule, `file -> included file` or `target -> library`,
and exits 1 when there is any; --show also lists every folder's arrows.
"""
import json
import os
import re
import shlex
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def parse_rules(path):
    """The folder rules, and the folders named by `no-include-dir:` lines."""
    rules, no_include_dirs = [], []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if ":" not in line:
                sys.exit(f"{path}:{number}: expected '<folder>: <folder> ...'")
            left, right = line.split(":", 1)
            if left.strip() == "no-include-dir":
                no_include_dirs.extend(right.split())
                continue
            rules.append((left.strip().split("/"), right.split(), f"{path}:{number}"))
    return rules, no_include_dirs


def match(pattern, parts):
    """The `*` captures when `pattern` is a folder prefix of `parts`, else None."""
    if len(parts) < len(pattern):
        return None
    captures = []
    for want, have in zip(pattern, parts):
        if want == "*":
            captures.append(have)
        elif want != have:
            return None
    return captures


class Rules:
    def __init__(self, path):
        self.rules, self.no_include_dirs = parse_rules(path)

    def rule_for(self, folder):
        """(left side as text, allowed folders, forbidden names) for a relative path."""
        parts = folder.split("/")
        best = None
        for left, right, where in self.rules:
            captures = match(left, parts)
            # The longest folder wins; of equal length, the one with fewer `*`.
            if captures is not None and (best is None or (len(left), -left.count("*")) >
                                         (len(best[0]), -best[0].count("*"))):
                best = (left, right, captures)
        if best is None:
            return None
        left, right, captures = best
        allowed, forbidden = [], []
        for entry in right:
            if entry.startswith("!"):
                forbidden.append(entry[1:])
                continue
            filled = iter(captures)
            allowed.append("/".join(next(filled, "*") if p == "*" and entry != "*" else p
                                    for p in entry.split("/")))
        return "/".join(left), allowed, forbidden

    def allows(self, rule, target):
        _, allowed, _ = rule
        parts = target.split("/")
        return any(a == "*" or match(a.split("/"), parts) is not None for a in allowed)


class Tree:
    def __init__(self, source, build):
        self.source = os.path.realpath(source)
        self.build = os.path.realpath(build)

    def folder(self, path):
        """The path relative to the source tree (a build file: to the build tree), or None."""
        path = os.path.realpath(path)
        for root in (self.build, self.source):
            if path.startswith(root + os.sep):
                return os.path.relpath(path, root)
        return None


def include_dirs(entry):
    args = entry.get("arguments") or shlex.split(entry["command"])
    directory = entry["directory"]
    quote, dirs = [], []
    i = 0
    while i < len(args):
        arg = args[i]
        for flag, into in (("-iquote", quote), ("-isystem", dirs), ("-I", dirs)):
            if arg == flag and i + 1 < len(args):
                into.append(os.path.join(directory, args[i + 1]))
                i += 1
                break
            if arg.startswith(flag) and len(arg) > len(flag):
                into.append(os.path.join(directory, arg[len(flag):]))
                break
        i += 1
    return quote, dirs


def check_includes(rules, tree, build, problems, arrows):
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    parsed = {}

    def includes_of(path):
        if path not in parsed:
            try:
                with open(path, errors="replace") as f:
                    parsed[path] = INCLUDE.findall(f.read())
            except OSError:
                parsed[path] = []
        return parsed[path]

    seen_edges = set()
    for entry in entries:
        quote, dirs = include_dirs(entry)
        start = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        # A folder that is never an include directory itself (`no-include-dir:`):
        # its subfolders are reached only through the libraries that export them.
        for directory in quote + dirs:
            named = tree.folder(directory)
            if named in rules.no_include_dirs:
                problems.add(f"{tree.folder(start) or start}: compiled with {named}/ as an "
                             f"include directory (dependency_rules.txt: no-include-dir: "
                             f"{named}); link the library of the folder it includes instead")
        stack, visited = [start], {start}
        while stack:
            path = stack.pop()
            folder = tree.folder(path)
            rule = rules.rule_for(folder) if folder else None
            for kind, name in includes_of(path):
                search = ([os.path.dirname(path)] + quote if kind == '"' else []) + dirs
                found = next((os.path.realpath(os.path.join(d, name)) for d in search
                              if os.path.isfile(os.path.join(d, name))), None)
                target = tree.folder(found) if found else None
                if folder is None:
                    continue
                if rule is None:
                    problems.add(f"{folder}: no rule in dependency_rules.txt covers this folder")
                    continue
                edge = (folder, found or name)
                if edge in seen_edges:
                    pass
                elif target is None:
                    top = name.split("/")[0]
                    if top in rule[2]:
                        problems.add(f"{folder} -> <{name}>: {rule[0]} must not include "
                                     f"{top}/ (dependency_rules.txt: !{top})")
                elif not rules.allows(rule, target):
                    problems.add(f"{folder} -> {target}: {rule[0]} may include only "
                                 f"{' '.join(rule[1])}")
                seen_edges.add(edge)
                if target is not None:
                    arrows.add((rule[0], target.split("/")[0]))
                    if found not in visited:
                        visited.add(found)
                        stack.append(found)


def check_links(rules, tree, build, problems, arrows, cmake):
    reply = os.path.join(build, ".cmake", "api", "v1", "reply")
    if not os.path.isdir(reply):
        subprocess.run([cmake, build], check=True, stdout=subprocess.DEVNULL)
    index = sorted(f for f in os.listdir(reply) if f.startswith("index-"))
    with open(os.path.join(reply, index[-1])) as f:
        codemodel = json.load(f)["reply"]["codemodel-v2"]["jsonFile"]
    with open(os.path.join(reply, codemodel)) as f:
        configuration = json.load(f)["configurations"][0]
    targets = []
    for ref in configuration["targets"]:
        with open(os.path.join(reply, ref["jsonFile"])) as f:
            targets.append(json.load(f))
    by_artifact = {}
    for target in targets:
        for artifact in target.get("artifacts", []):
            path = os.path.realpath(os.path.join(build, artifact["path"]))
            by_artifact[path] = target
    for target in targets:
        folder = target["paths"]["source"]
        rule = rules.rule_for(folder)
        if folder == "." or rule is None:
            if target.get("sources") and folder != ".":
                problems.add(f"{folder}: no rule in dependency_rules.txt covers this folder")
            continue
        for fragment in target.get("link", {}).get("commandFragments", []):
            if fragment.get("role") != "libraries":
                continue
            for piece in shlex.split(fragment["fragment"]):
                if piece.startswith("-Wl,") or piece.startswith("-"):
                    name = piece[2:] if piece.startswith("-l") else None
                    if name is None:
                        continue
                    library = os.path.basename(name)
                else:
                    path = os.path.realpath(os.path.join(build, piece))
                    dependency = by_artifact.get(path)
                    if dependency is not None:
                        other = dependency["paths"]["source"]
                        arrows.add((rule[0], other.split("/")[0]))
                        if not rules.allows(rule, other):
                            problems.add(f"{folder}: target {target['name']} -> "
                                         f"{dependency['name']} ({other}): {rule[0]} may link "
                                         f"only {' '.join(rule[1])}")
                        continue
                    library = os.path.basename(piece)
                library = re.sub(r"^lib", "", library.split(".")[0])
                if library in rule[2]:
                    problems.add(f"{folder}: target {target['name']} -> {piece}: {rule[0]} "
                                 f"must not link {library} (dependency_rules.txt: !{library})")


def main():
    args = [a for a in sys.argv[1:] if a != "--show"]
    cmake = "cmake"
    if "--cmake" in args:
        at = args.index("--cmake")
        cmake = args[at + 1] if at + 1 < len(args) else sys.exit(__doc__)
        del args[at:at + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    rules_path, source, build = args
    rules, tree = Rules(rules_path), Tree(source, build)
    problems, arrows = set(), set()
    check_includes(rules, tree, build, problems, arrows)
    check_links(rules, tree, build, problems, arrows, cmake)
    if "--show" in sys.argv:
        for left, right in sorted(arrows):
            print(f"arrow: {left} -> {right}")
    for problem in sorted(problems):
        print(f"forbidden: {problem}")
    print(f"dependency_rules: {len(problems)} forbidden arrow(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
