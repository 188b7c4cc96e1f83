"""Static files in production: WhiteNoise's storage (names with a content hash, compressed
copies, served by the application itself), collected by `lawtrail serve` when it starts."""

from django.contrib.staticfiles.finders import get_finders
from whitenoise.storage import CompressedManifestStaticFilesStorage

# What collectstatic leaves out by default (`--no-default-ignore` aside).
IGNORED = ["CVS", ".*", "*~"]


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """A vendored minified script names a source map that is not shipped (tus.min.js names
    tus.min.js.map): such a reference is left as written instead of failing collectstatic,
    since only a browser's developer tools ever ask for a map (and get a 404). A map that is
    there is hashed like any file, and every other missing reference still fails.

    Compressed copies are gzip only: Brotli at its best quality cost 40 s of CPU at every
    start (the API explorer's scripts) to save a few per cent more on an office network."""

    def create_compressor(self, **kwargs):
        return super().create_compressor(**kwargs, use_brotli=False)

    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def converter(match):
            try:
                return convert(match)
            except ValueError:
                if "sourceMappingURL" not in match["matched"]:
                    raise
                return match["matched"]

        return converter


def uncollected(storage):
    """The static files the finders know that the collected manifest lacks (each a page
    error in production: `{% static %}` refuses a name it cannot map), or None when nothing
    was ever collected."""
    if storage.read_manifest() is None:
        return None
    collected, _ = storage.load_manifest()
    found = {path for finder in get_finders() for path, _ in finder.list(IGNORED)}
    return sorted(found - set(collected))
