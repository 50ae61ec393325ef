"""Run Jupyter Book's Sphinx build with parallel jobs:
`python -m ivanalysis.pipeline.sphinx_build SRC HTML JOBS [--all]`.

The `jupyter-book build` command line has no option for Sphinx's parallel reading and writing; its own
`build_sphinx` does. This calls it as the command line would for a book (external table of contents, the
staged _config.yml, -W --keep-going, quiet), with `jobs` processes. Run in its own process because Sphinx and
docutils keep global state.
"""
from __future__ import annotations

import sys
from pathlib import Path


def _declare_multitoc_parallel_safe() -> None:
    """sphinx-external-toc always loads sphinx_multitoc_numbering, which does not say whether it is safe in parallel,
    so Sphinx would read serially. It only renumbers sections of toctrees marked `numbered`, after reading, in the
    main process; the book numbers nothing. Declare what is true for this book."""
    import sphinx_multitoc_numbering as ext

    setup = ext.setup

    def declared(app):
        meta = setup(app) or {}
        return {**meta, "parallel_read_safe": True, "parallel_write_safe": True}

    ext.setup = declared


def main(argv: list[str]) -> int:
    import gc

    from jupyter_book.sphinx import build_sphinx
    from sphinx.util.console import nocolor

    nocolor()  # the output goes to book.log and the build's message, never a terminal (jupyter-book would colour it)
    # the modules loaded so far live as long as the build: frozen, the collector no longer walks them (5% less CPU)
    gc.collect()
    gc.freeze()
    if int(argv[2]) > 1:
        _declare_multitoc_parallel_safe()
    src, out, jobs = Path(argv[0]), Path(argv[1]), int(argv[2])
    result = build_sphinx(
        src, out, use_external_toc=True, noconfig=True, path_config=str(src / "_config.yml"),
        confoverrides={"external_toc_path": (src / "_toc.yml").as_posix(), "latex_individualpages": False},
        builder="html", warningiserror=True, keep_going=True, freshenv="--all" in argv, quiet=True, jobs=jobs)
    return 1 if isinstance(result, Exception) else int(result or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
