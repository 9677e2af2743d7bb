"""Windows file-name wildcards (`*`, `?`) as FindFirstFile matches them for cmd.exe's DIR, DEL, COPY, MOVE, IF EXIST.

FindFirstFile turns the pattern into an FsRtlIsNameInExpression expression before matching (Microsoft Learn,
"FsRtlIsNameInExpression": DOS_STAR, DOS_QM, DOS_DOT):
- `?` becomes DOS_QM: any one character, or nothing at a period or at the end of the name, so `read???.txt`
  matches Read.txt and Read123.txt but not Readme12.txt (the example in Microsoft Learn, "dir");
- `*` right before a `.` becomes DOS_STAR: any characters up to the name's final period;
- `.` before `?`, `*` or the end of the pattern becomes DOS_DOT: a period, or nothing past the end of the name,
  so `*.` matches only names without an extension;
- `*.*` and `*` match every name, with or without a period ("del *.*" deletes all files).
Case is ignored. NOT simulated: matching against 8.3 short names (the lab's volumes have none), which is why real
Windows' `*.txt` also matches `a.txt_old` (Microsoft Learn, "dir", Remarks) and the lab's does not.
"""

from __future__ import annotations

from functools import lru_cache

DOS_STAR, DOS_QM, DOS_DOT = "<", ">", '"'


def has_wildcards(name: str) -> bool:
    return "*" in name or "?" in name


def compile_pattern(pattern: str) -> str:
    """The FsRtlIsNameInExpression expression FindFirstFile builds from a DOS pattern."""
    if pattern in ("*", "*.*"):
        return "*"
    out: list[str] = []
    for index, char in enumerate(pattern):
        following = pattern[index + 1] if index + 1 < len(pattern) else ""
        if char == "?":
            out.append(DOS_QM)
        elif char == "." and following in ("?", "*", ""):
            out.append(DOS_DOT)
        elif char == "*" and following == ".":
            out.append(DOS_STAR)
        else:
            out.append(char)
    return "".join(out)


def matches(pattern: str, name: str) -> bool:
    """Whether `name` (one path component) matches the DOS wildcard `pattern`, ignoring case."""
    return _match(compile_pattern(pattern).upper(), name.upper())


@lru_cache(maxsize=4096)
def _match(expression: str, name: str) -> bool:
    def at(i: int, j: int) -> bool:
        if i == len(expression):
            return j == len(name)
        char = expression[i]
        if char == "*":
            return any(at(i + 1, k) for k in range(j, len(name) + 1))
        if char == DOS_STAR:
            last_dot = name.rfind(".")
            limit = last_dot if last_dot >= j else len(name)
            return any(at(i + 1, k) for k in range(j, limit + 1))
        if char == DOS_QM:
            if j == len(name) or name[j] == ".":
                end = i
                while end < len(expression) and expression[end] == DOS_QM:
                    end += 1
                return at(end, j)
            return at(i + 1, j + 1)
        if char == DOS_DOT:
            if j == len(name):
                return at(i + 1, j)
            return name[j] == "." and at(i + 1, j + 1)
        return j < len(name) and name[j] == char and at(i + 1, j + 1)

    return at(0, 0)
