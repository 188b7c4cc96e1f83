"""Citations of regulation articles, as the profiles, the document catalog and the messages
write them: "004 第三十条", "004 第十五、二十三、二十八条", "002 第十九至二十一条",
"000 第十二条（五）". Each is parsed into the articles (and items) of its profile's shipped
text, so a page can show the article's own words and link to it.
"""

import re
from dataclasses import dataclass

from lawtrail.regulations.texts import NUMERAL, regulation_text, zh_number

# One citation in running text: the profile id, then 第…条 with numbers joined by 、 or 至,
# optionally followed by an item (（六）) of a single article.
CITATION = re.compile(rf"(?<!\d)(\d{{3}}) 第([{NUMERAL}]+(?:[、至][{NUMERAL}]+)*)条(?:（([{NUMERAL}]+)）)?")


class CitationError(ValueError):
    pass


@dataclass(frozen=True)
class Citation:
    text: str  # as written
    profile_id: str
    articles: tuple  # article numbers, in the order cited
    item: int | None = None

    def resolve(self, source=None):
        """[(Article, item line or None)] from the profile's shipped text (or the text file
        `source`, while the profile itself is being loaded); CitationError naming what is
        missing when an article or item is not in it."""
        if source is None:
            # profiles.py validates its citations with this module: imported when used.
            from lawtrail.regulations.profiles import profiles

            if self.profile_id not in profiles():
                raise CitationError(f"{self.text}: no profile {self.profile_id}")
            source = profiles()[self.profile_id].source
        text = regulation_text(source)
        found = []
        for number in self.articles:
            article = text.articles.get(number)
            if article is None:
                raise CitationError(f"{self.text}: 第{number}条 is not in {text.source}")
            item = None
            if self.item is not None:
                item = article.items.get(self.item)
                if item is None:
                    raise CitationError(f"{self.text}: item {self.item} is not in {article.label}")
            found.append((article, item))
        return found


def _numbers(spec):
    numbers = []
    for part in spec.split("、"):
        if "至" in part:
            first, last = (zh_number(n) for n in part.split("至"))
            if last < first:
                raise CitationError(f"第{spec}条: the range runs backwards")
            numbers.extend(range(first, last + 1))
        else:
            numbers.append(zh_number(part))
    return tuple(numbers)


def _citation(match):
    item = match.group(3)
    return Citation(text=match.group(0), profile_id=match.group(1), articles=_numbers(match.group(2)),
                    item=zh_number(item) if item else None)


def parse(text):
    """The one citation that `text` is, or CitationError."""
    match = CITATION.fullmatch((text or "").strip())
    if match is None:
        raise CitationError(f"{text!r} is not a citation of the form 'NNN 第X条'")
    return _citation(match)


def find(text):
    """[(start, end, Citation)] for every citation inside running text."""
    return [(m.start(), m.end(), _citation(m)) for m in CITATION.finditer(text or "")]


def of_profile(cites, profile_id):
    """The citations among `cites` (a list of strings, as the catalog keeps them) that belong
    to one profile: a viewer sees only their own agency's regulation."""
    prefix = f"{profile_id} "
    return [cite for cite in cites or () if cite.startswith(prefix)]
