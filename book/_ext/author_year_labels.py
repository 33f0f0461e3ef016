"""Bibliography labels in the form the text cites them ("Lu et al. 2024"), not pybtex's alpha codes ("LWYZ24").

A Sphinx extension of the book: it registers a pybtex label style and a formatting style that uses it (entries
sorted by author and year), chosen in ``_config.yml`` by ``bibtex_default_style: author_year_labels``.
"""

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_surname(p) for p in people]
            if not names:
                who = entry.fields.get("title", entry.key)[:20]
            elif len(names) == 1:
                who = names[0]
            elif len(names) == 2:
                who = f"{names[0]} & {names[1]}"
            else:
                who = f"{names[0]} et al."
            yield f"{who} {entry.fields.get('year', '')}".strip()


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "author_year_labels"
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.labels", "author_year_labels", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "author_year_labels", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
