"""The five regulation texts as shipped with LawTrail (texts/*.txt, the exact bytes the
agencies published), read into articles (条) and their numbered items (（一）…).

An article starts at a line that begins with 第X条 and runs to the next article or chapter
heading (第X章); an item is a line inside an article that begins with （X）. Nothing
else is assumed about the layout: the texts keep their own spacing.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TEXT_DIR = Path(__file__).resolve().parent / "texts"

DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMERAL = "零一二两三四五六七八九十百"
ARTICLE_START = re.compile(rf"^第([{NUMERAL}]+)条\s*")
CHAPTER_START = re.compile(rf"^第([{NUMERAL}]+)章\s*")
ITEM_START = re.compile(rf"^（([{NUMERAL}]+)）")


def zh_number(numeral):
    """A Chinese numeral as written in article numbers (一 … 九十九, 一百…) as an int."""
    total, digit = 0, 0
    for char in numeral:
        if char == "百":
            total += (digit or 1) * 100
            digit = 0
        elif char == "十":
            total += (digit or 1) * 10
            digit = 0
        elif char in DIGITS:
            digit = DIGITS[char]
        else:
            raise ValueError(f"not a Chinese numeral: {numeral!r}")
    return total + digit


def zh_numeral(number):
    """The inverse of zh_number for 1–199: 10 → 十, 21 → 二十一, 105 → 一百零五."""
    names = "零一二三四五六七八九"
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    text = names[hundreds] + "百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else names[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    if ones:
        text += names[ones]
    return text


@dataclass
class Article:
    number: int
    chapter: str
    lines: list  # the article's paragraphs, the first beginning with 第X条
    items: dict = field(default_factory=dict)  # {item number: its line}

    @property
    def label(self):
        return f"第{zh_numeral(self.number)}条"

    @property
    def anchor(self):
        return f"a{self.number}"

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def opening(self):
        """The first paragraph without its 第X条, for a page that sets the number apart."""
        return ARTICLE_START.sub("", self.lines[0], count=1)


@dataclass(frozen=True)
class RegulationText:
    source: str
    title: str  # the text's first non-empty line
    preamble: tuple  # lines before the first article (notice, title)
    articles: dict  # {number: Article}, in order


def _clean(line):
    return line.strip().replace("\u3000", " ").strip()


def parse(text, source=""):
    preamble, articles, chapter, current = [], {}, "", None
    for raw in text.splitlines():
        line = _clean(raw)
        if not line:
            continue
        if CHAPTER_START.match(line):
            chapter, current = line, None
            continue
        match = ARTICLE_START.match(line)
        if match:
            number = zh_number(match.group(1))
            if number not in articles:  # a text that repeats a number keeps its first article
                current = articles[number] = Article(number=number, chapter=chapter, lines=[line])
                continue
        if current is None:
            preamble.append(line)
            continue
        current.lines.append(line)
        item = ITEM_START.match(line)
        if item:
            current.items[zh_number(item.group(1))] = line
    title = next((line for line in preamble if line), source)
    return RegulationText(source=source, title=title, preamble=tuple(preamble), articles=articles)


@cache
def regulation_text(source):
    """The parsed text of a shipped regulation file, e.g. '004_cd5c1c0e552c8c21.txt'."""
    path = TEXT_DIR / source
    if path.parent != TEXT_DIR or not path.is_file():
        raise FileNotFoundError(f"regulation text {source!r} is not shipped in {TEXT_DIR}")
    return parse(path.read_text(encoding="utf-8"), source)
