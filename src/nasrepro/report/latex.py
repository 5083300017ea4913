"""A thesis table as LaTeX that pdflatex compiles with no package but booktabs: every character
outside ASCII is translated (``latex_text``: ± -> ``$\\pm$``, ² -> ``$^{2}$``, Greek letters ->
``$\\beta$`` ..., † -> ``$\\dagger$``), so the ``.tex`` is pure ASCII.

Two header rows: the column's label over its thesis and our cells (labels apart where ours is in
another unit, ``Column.ours``), then "thesis" / "ours" (with the stand-in, ``report.table.ours_tag``)
beneath, the cells of each column as ``report.table.headers`` orders them; a seeds column; the
caption holds the title, the legend and the provenance note; a note under it each column's data
split (``report.splits``).
"""

from __future__ import annotations

import unicodedata

from nasrepro.experiments.specs import ACROSS_SUFFIX, GENOTYPE_TAG, TableSpec
from nasrepro.report.table import cells, headers, legend, split_note, title

# LaTeX's special characters (text mode; < > | are not in the default OT1 font)
SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_",
           "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
           "^": r"\textasciicircum{}", "<": "$<$", ">": "$>$", "|": "$|$"}
# the non-ASCII characters of the thesis' tables and titles, and their like
SYMBOLS = {"±": r"$\pm$", "×": r"$\times$", "·": r"$\cdot$", "−": "$-$", "–": "--", "—": "---",
           "…": r"\ldots{}", "†": r"$\dagger$", "‡": r"$\ddagger$", "§": r"\S{}",
           "°": r"$^{\circ}$", "≤": r"$\leq$", "≥": r"$\geq$", "≈": r"$\approx$", "’": "'",
           "‘": "`", "“": "``", "”": "''", "\u00a0": "~"}
# Greek capitals LaTeX has (the others look like Latin letters)
GREEK_CAPITALS = ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                  "Psi", "Omega")
DIGITS = {"ZERO": 0, "ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7,
          "EIGHT": 8, "NINE": 9}


def latex_char(char: str) -> str:
    """One character as LaTeX: ASCII (special characters escaped), a known symbol, a Greek
    letter, a super- or subscript digit, or an accented letter without its accent; anything else
    is an error that names the character (add it to ``SYMBOLS``)."""
    if char in SPECIAL:
        return SPECIAL[char]
    if char.isascii():
        return char
    if char in SYMBOLS:
        return SYMBOLS[char]
    name = unicodedata.name(char, "")
    words = name.split()
    if name.startswith("GREEK SMALL LETTER ") and len(words) == 4:
        letter = {"LAMDA": "lambda", "OMICRON": "o"}.get(words[3], words[3].lower())
        return f"${letter}$" if letter == "o" else f"$\\{letter}$"
    if name.startswith("GREEK CAPITAL LETTER ") and words[3].title() in GREEK_CAPITALS:
        return f"$\\{words[3].title()}$"
    if words[:1] in (["SUPERSCRIPT"], ["SUBSCRIPT"]) and words[-1] in DIGITS:
        mark = "^" if words[0] == "SUPERSCRIPT" else "_"
        return f"${mark}{{{DIGITS[words[-1]]}}}$"
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if plain:
        return "".join(latex_char(c) for c in plain)
    raise ValueError(f"no LaTeX for {char!r} (U+{ord(char):04X} {name}); add it to "
                     "nasrepro.report.latex.SYMBOLS")


def latex_text(text: object) -> str:
    """``text`` as LaTeX text mode, pure ASCII."""
    return "".join(latex_char(char) for char in str(text))


def _groups(spec: TableSpec, standins: dict[str, str] | None, scored_by: str):
    """Per column of ``spec``, its cells in order as ``report.table.headers`` has them:
    (row key, label, tag) of the thesis', ours, its RI over random sampling, the across-searches
    and the genotype cell."""
    groups, found = [], headers(spec, standins, scored_by)
    tail = [cell for cell in found if cell[0] in ("net", "selected", "seeds", "exact", "broad")]
    for column in spec.columns:
        keys = {f"{column.key}_thesis", f"{column.key}_reproduced", f"{column.key}_ri",
                column.key + ACROSS_SUFFIX, f"{column.key}_genotype"}
        groups.append((column, [cell for cell in found if cell[0] in keys]))
    return groups, tail


def _header_rows(spec: TableSpec, standins: dict[str, str] | None, scored_by: str) -> list[str]:
    """The two header rows and the rules under the labels that span a column's cells."""
    top, bottom, rules, col = ["Method"], [""], [], 2
    groups, tail = _groups(spec, standins, scored_by)
    for column, cells in groups:
        span = len(cells)
        if span > 1 and all(label == column.label for _, label, _ in cells):
            top.append(rf"\multicolumn{{{span}}}{{c}}{{{latex_text(column.label)}}}")
            rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
        else:
            top += [latex_text(label) for _, label, _ in cells]
        bottom += [latex_text(_short(tag)) for _, _, tag in cells]
        col += span
    top += [latex_text(label) for _, label, _ in tail]
    bottom += [latex_text(tag) for _, _, tag in tail]
    return [" & ".join(top) + r" \\", " ".join(rules), " & ".join(bottom) + r" \\"]


def _short(tag: str) -> str:
    """A cell's tag under its label: the genotype cell's is "genotype"."""
    return "genotype" if tag == GENOTYPE_TAG else tag


def to_latex(spec: TableSpec, table: list[dict], note: str,
             standins: dict[str, str] | None = None, scored_by: str = "",
             protocols: dict[str, str] | None = None) -> str:
    """The table as a LaTeX ``table`` float (booktabs rules), pure ASCII; under the caption a
    note names the data split of each column (``report.splits``)."""
    groups, tail = _groups(spec, standins, scored_by)
    keys = [key for _, cells in groups for key, _, _ in cells] + [key for key, _, _ in tail]
    header = [line for line in _header_rows(spec, standins, scored_by) if line]
    lines = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{l{'c' * len(keys)}}}",
             r"\toprule", *header, r"\midrule"]
    for row in table:
        found = [row["Method"]] + cells(row, keys)
        lines.append(" & ".join(latex_text(cell) for cell in found) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{latex_text(title(spec, table))} {latex_text(legend(spec))} "
              rf"{latex_text(note)}}}",
              # a paragraph, not the caption: LaTeX sets a caption in one box first, and a
              # DARTS-space table's splits would make it wider than TeX's largest dimension
              rf"\par\smallskip{{\footnotesize "
              rf"{latex_text(split_note(spec, standins, scored_by, protocols))}\par}}",
              r"\end{table}"]
    return "\n".join(lines) + "\n"
