"""A thesis table as LaTeX that pdflatex compiles with no package but booktabs: every character
outside ASCII is translated (``latex_text``: ± -> ``$\\pm$``, ² -> ``$^{2}$``, Greek letters ->
``$\\beta$`` ..., † -> ``$\\dagger$``), so the ``.tex`` is pure ASCII.

Two header rows: the column's label over its thesis and our cells (labels apart where ours is in
another unit, ``Column.ours``), then "thesis" / "ours" (with the stand-in, ``report.table.ours_tag``)
beneath; a seeds column; the caption holds the title, the legend and the provenance note.
"""

from __future__ import annotations

import unicodedata

from nasrepro.experiments.specs import TableSpec
from nasrepro.report.table import LEGEND, ours_tag

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


def _header_rows(spec: TableSpec, standins: dict[str, str] | None, scored_by: str) -> list[str]:
    """The two header rows and the rules under the labels that span a thesis and our cell."""
    top, bottom, rules, col = ["Method"], [""], [], 2
    for column in spec.columns:
        if not column.reproduced:
            top.append(latex_text(column.label))
            bottom.append(latex_text(column.thesis_tag))
            col += 1
            continue
        span = 3 if spec.from_genotype(column) else 2
        if column.ours_label == column.label:
            top.append(rf"\multicolumn{{{span}}}{{c}}{{{latex_text(column.label)}}}")
            rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
        else:
            top += [latex_text(column.label), latex_text(column.ours_label)]
            top += [latex_text(column.label)] * (span - 2)
        bottom += [column.thesis_tag, latex_text(ours_tag(column, standins, scored_by))]
        bottom += ["genotype"] * (span - 2)
        col += span
    top.append("Seeds")
    bottom.append("ours")
    return [" & ".join(top) + r" \\", " ".join(rules), " & ".join(bottom) + r" \\"]


def to_latex(spec: TableSpec, table: list[dict], note: str,
             standins: dict[str, str] | None = None, scored_by: str = "") -> str:
    """The table as a LaTeX ``table`` float (booktabs rules), pure ASCII."""
    width = 1 + sum((2 if c.reproduced else 1) + spec.from_genotype(c) for c in spec.columns) + 1
    header = [line for line in _header_rows(spec, standins, scored_by) if line]
    lines = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{l{'c' * (width - 1)}}}",
             r"\toprule", *header, r"\midrule"]
    for row in table:
        cells = [row["Method"]]
        for column in spec.columns:
            cells.append(row[f"{column.key}_thesis"])
            if column.reproduced:
                cells.append(row[f"{column.key}_reproduced"])
            if spec.from_genotype(column):
                cells.append(row.get(f"{column.key}_genotype", ""))
        cells.append(row["seeds"])
        lines.append(" & ".join(latex_text(cell) for cell in cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{latex_text(spec.title)} {latex_text(LEGEND)} {latex_text(note)}}}",
              r"\end{table}"]
    return "\n".join(lines) + "\n"
