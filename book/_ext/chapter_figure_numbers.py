"""Figures numbered per chapter, as the text names its chapters: "Fig. 5.3" is chapter 5's third figure, counted
over the chapter's pages (``05-…``, ``05b-…``) in the order of the table of contents.

Sphinx numbers figures through the whole book when the table of contents is not numbered (ours is not: the
chapter titles carry their numbers). This extension renumbers after Sphinx has counted them, in that order.
"""

import re

_CHAPTER_PAGE = re.compile(r"(?:^|/)(\d\d)[a-z]?-[^/]*$")


def renumber_by_chapter(app, env) -> list[str]:
    found = []  # (chapter, book-wide number, docname, figtype, id)
    for docname, by_type in env.toc_fignumbers.items():
        hit = _CHAPTER_PAGE.search(docname)
        if not hit:
            continue
        for figtype, numbers in by_type.items():
            found += [(int(hit.group(1)), number, docname, figtype, key) for key, number in numbers.items()]
    counters: dict[tuple[int, str], int] = {}
    for chapter, _, docname, figtype, key in sorted(found):
        counters[chapter, figtype] = counters.get((chapter, figtype), 0) + 1
        env.toc_fignumbers[docname][figtype][key] = (
            chapter,
            counters[chapter, figtype],
        )
    return sorted({docname for _, _, docname, _, _ in found})


def setup(app):
    # after Sphinx's own numbering (TocTreeCollector, priority 500)
    app.connect("env-get-updated", renumber_by_chapter, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
