"""Choice labels looked up in a table made once per field.

Django's get_FOO_display() builds a dict of every choice of the field on each call, hashing
each label; a lazily translated label is translated to be hashed, so each call translates
every choice. The case page's timeline (39 event kinds) spent 140 microseconds an entry on
it, 4 ms a page. QuickChoiceLabels reads a table built once per field instead: the labels in
it stay lazy, so each is still translated when shown, in the reader's language.
"""

from functools import cache

from django.utils.encoding import force_str


@cache
def _labels(field) -> dict:
    return dict(field.flatchoices)


class QuickChoiceLabels:
    """A model's get_FOO_display() from a table per field (a mixin before models.Model)."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_labels(field).get(value, value), strings_only=True)
