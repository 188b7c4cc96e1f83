"""Questions a lower part asks and a higher part answers.

The parts depend on each other in one order (README, "Parts"): a part imports only the parts
below it. A few questions run the other way: a service of `records` must ask the access
policy, which sits above it because it reads records, recordings and grants; the workflow of
`cases` must ask `archive` whether the case file is current. The lower part declares such a
question as a `Hook`; the higher part installs its answer when Django starts (its
`AppConfig.ready`). Calling a hook nobody answered is a programming error and says so."""

from django.core.exceptions import ImproperlyConfigured


class Hook:
    """One question, answered by exactly one function of a higher part."""

    def __init__(self, name, answered_by):
        self.name = name
        self.answered_by = answered_by  # the part expected to install the answer, for the error
        self._answer = None

    def install(self, answer):
        if self._answer is not None and self._answer is not answer:
            raise ImproperlyConfigured(f"{self.name} is already answered by {self._answer.__qualname__}")
        self._answer = answer
        return answer

    @property
    def installed(self):
        return self._answer is not None

    def __call__(self, *args, **kwargs):
        if self._answer is None:
            raise ImproperlyConfigured(f"{self.name} has no answer: {self.answered_by} installs it when Django starts")
        return self._answer(*args, **kwargs)

    def __repr__(self):
        return f"<Hook {self.name}>"
