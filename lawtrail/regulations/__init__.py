"""The regulations LawTrail implements: the five shipped texts (texts/), their profiles
(profiles/*.yaml, read by profiles.py), citations of their articles (citations.py) and the
working-day deadlines they set (deadlines.py). Below every domain part: it imports none."""
